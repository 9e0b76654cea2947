/**
 * The folder a file sits in says what it may touch (docs/architecture.md): the JIT core knows nothing of
 * HTTP or of the explainer, the encoders are pure, the routes reach the JIT only through the registry's
 * plain data and the explainer through its entry, and the configuration does not load koffi to learn a
 * default. Read from the sources' import statements.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(folder: string): string[] {
  return readdirSync(path.join(root, folder)).flatMap((name) => {
    const relative = path.join(folder, name);
    if (statSync(path.join(root, relative)).isDirectory()) return sources(relative);
    return name.endsWith('.ts') ? [relative] : [];
  });
}

/** What `file` imports: packages by name, the project's own files as paths from the root (.ts). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*?from '([^']+)'/gm)].map(([, specifier = '']) =>
    specifier.startsWith('.')
      ? path.normalize(path.join(path.dirname(file), specifier)).replace(/\.js$/, '.ts')
      : specifier,
  );
}

/** Every project file `file` reaches through its imports, itself included. */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const target of importsOf(file)) if (target.endsWith('.ts')) reachable(target, seen);
  return seen;
}

function violations(files: string[], forbidden: (target: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((target) => `${file} → ${target}`),
  );
}

describe('the house', () => {
  it('keeps HTTP out of the JIT core', () => {
    assert.deepEqual(
      violations(sources('src/jit'), (target) =>
        /^(fastify|@fastify\/|fastify-plugin|pino|prom-client)|^(src\/service|src\/observability|routes)\//.test(
          target,
        ),
      ),
      [],
    );
  });

  it('keeps the encoders pure: they import only each other, the int32 and target definitions and the page template', () => {
    assert.deepEqual(
      violations(
        sources('src/jit/x86-64'),
        (target) => !/^src\/jit\/(x86-64\/[a-z0-9-]+|int32|target|page-template)\.ts$/.test(target),
      ),
      [],
    );
  });

  it('keeps the generic core out of every architecture’s folder but through the table of targets', () => {
    const core = sources('src/jit').filter((file) => path.dirname(file) === 'src/jit');
    assert.deepEqual(
      violations(
        core.filter((file) => file !== 'src/jit/targets.ts'),
        (target) => /^src\/jit\/[a-z0-9-]+\//.test(target),
      ),
      [],
    );
  });

  it('knows each architecture in targets.ts alone, by its architecture.ts, and nothing else of its folder', () => {
    const folders = readdirSync(path.join(root, 'src/jit'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, ['arm64', 'x86-64']);
    const imported = importsOf('src/jit/targets.ts').filter((target) =>
      /^src\/jit\/[a-z0-9-]+\//.test(target),
    );
    assert.deepEqual(
      imported.sort(),
      folders.map((folder) => `src/jit/${folder}/architecture.ts`),
    );
  });

  it('has no import cycle anywhere in the service', () => {
    const files = [...sources('src'), ...sources('routes')];
    const cycles: string[] = [];
    const visiting: string[] = [];
    const done = new Set<string>();
    const visit = (file: string) => {
      if (done.has(file)) return;
      const at = visiting.indexOf(file);
      if (at !== -1) {
        cycles.push([...visiting.slice(at), file].join(' → '));
        return;
      }
      visiting.push(file);
      for (const target of importsOf(file)) if (target.endsWith('.ts')) visit(target);
      visiting.pop();
      done.add(file);
    };
    for (const file of files) visit(file);
    assert.deepEqual(cycles, []);
  });

  it('keeps the A64 encoders pure too: they import only each other, the int32 and target definitions and the page template', () => {
    assert.deepEqual(
      violations(
        sources('src/jit/arm64'),
        (target) => !/^src\/jit\/(arm64\/[a-z0-9-]+|int32|target|page-template)\.ts$/.test(target),
      ),
      [],
    );
  });

  it('keeps the explainer out of the compiler: nothing under src/jit imports src/explain', () => {
    assert.deepEqual(
      violations(sources('src/jit'), (target) => target.startsWith('src/explain/')),
      [],
    );
  });

  it('lets the explainer import nothing of the service, and of the compiler only its errors and hex text', () => {
    assert.deepEqual(
      violations(
        sources('src/explain'),
        (target) =>
          /^(fastify|@fastify\/|fastify-plugin|pino|prom-client|koffi)$|^(src\/service|src\/observability|routes)\//.test(
            target,
          ) ||
          (target.startsWith('src/jit/') && !/^src\/jit\/(errors|hex)\.ts$/.test(target)),
      ),
      [],
    );
  });

  it("keeps each architecture's explainer to its folder and the shared shape, and iced-x86 to the decoder", () => {
    for (const architecture of ['x86-64', 'arm64']) {
      const folder = `src/explain/${architecture}/`;
      assert.deepEqual(
        violations(
          sources(folder),
          (target) =>
            target.startsWith('src/explain/') &&
            !target.startsWith(folder) &&
            target !== 'src/explain/annotation.ts',
        ),
        [],
      );
    }
    // iced-x86 is loaded with createRequire on first use (decoder.ts says why), not imported: read the text.
    const loadsIced = (file: string) =>
      /\)\('iced-x86'\)|from 'iced-x86'/.test(readFileSync(path.join(root, file), 'utf8'));
    assert.deepEqual([...sources('src'), ...sources('routes')].filter(loadsIced), [
      'src/explain/x86-64/decoder.ts',
    ]);
  });

  it('keeps the A64 words self-contained: forms and words import only each other', () => {
    assert.deepEqual(
      violations(
        ['src/explain/arm64/forms.ts', 'src/explain/arm64/words.ts'],
        (target) => !/^src\/explain\/arm64\/(forms|words)\.ts$/.test(target),
      ),
      [],
    );
  });

  it('lets the routes and the service reach the explainer only through its entry and its shape', () => {
    assert.deepEqual(
      violations(
        [...sources('routes'), ...sources('src/service')],
        (target) =>
          target.startsWith('src/explain/') && !/^src\/explain\/(explainer|annotation)\.ts$/.test(target),
      ),
      [],
    );
  });

  it('lets the routes reach the JIT only through the registry, its errors, int32 and hex text', () => {
    assert.deepEqual(
      violations(
        sources('routes'),
        (target) =>
          target.startsWith('src/jit/') && !/^src\/jit\/(registry|errors|int32|hex)\.ts$/.test(target),
      ),
      [],
    );
  });

  it('lets the service own the JIT through its plugin and read only plain data elsewhere', () => {
    const owner = 'src/service/plugins/app/jit.ts';
    assert.deepEqual(
      violations(
        sources('src/service').filter((file) => file !== owner),
        (target) =>
          target.startsWith('src/jit/') &&
          !/^src\/jit\/(registry|errors|int32|hex|target|targets)\.ts$/.test(target),
      ),
      [],
    );
    assert.deepEqual(
      violations([owner], (target) => /^src\/jit\/(page|libc|x86-64\/|blinding)/.test(target)),
      [],
    );
  });

  it('parses the configuration without loading koffi, the JIT or the service', () => {
    const loaded = [...reachable('src/config.ts')];
    assert.deepEqual(loaded, ['src/config.ts']);
    assert.deepEqual(
      importsOf('src/config.ts').filter((target) => !target.startsWith('node:')),
      [],
    );
  });

  it('keeps tests out of the benchmarks and benchmarks out of the tests: both share harness/', () => {
    assert.deepEqual(
      violations(sources('bench'), (target) => target.startsWith('test/')),
      [],
    );
    assert.deepEqual(
      violations(sources('test'), (target) => target.startsWith('bench/')),
      [],
    );
  });
});
