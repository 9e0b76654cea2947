import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMaps } from '../../harness/maps.js';
import { bytesOf, classifyWritableExecutable } from '../../harness/writable-executable.js';

const NODE = '/opt/node/26/package/bin/node';

/** Lines as the kernel prints them. */
const maps = (...lines: string[]) => parseMaps(lines.join('\n'));
const starts = (mappings: { start: number }[]) => mappings.map(({ start }) => start.toString(16));

/** The node executable's own image, as Node.js 26 maps it. */
const IMAGE = [
  `00400000-0082f000 r--p 00000000 fe:00 1491157                            ${NODE}`,
  `0082f000-034ce000 r-xp 0042f000 fe:00 1491157                            ${NODE}`,
  `0735e000-0738a000 rw-p 06f5d000 fe:00 1491157                            ${NODE}`,
];
/** Node.js 26's code range at start: 512 MiB rwx around the builtins remapped from the executable. */
const CODE_RANGE = [
  '7faffc000000-7fb01bdc0000 rwxp 00000000 00:00 0',
  `7fb01bdc0000-7fb01bfd5000 r-xp 01625000 fe:00 1491157                    ${NODE}`,
  '7fb01bfd5000-7fb01c000000 rwxp 00000000 00:00 0',
];

describe('classifyWritableExecutable on synthetic maps lines', () => {
  it("names Node 26's code range at start: 512 MiB less the builtins, in two mappings", () => {
    const reading = classifyWritableExecutable(maps(...IMAGE, ...CODE_RANGE), NODE);
    assert.equal(reading.builtins?.start.toString(16), '7fb01bdc0000');
    assert.deepEqual(starts(reading.codeRange), ['7faffc000000', '7fb01bfd5000']);
    assert.equal(
      bytesOf(reading.codeRange) + bytesOf(reading.builtins ? [reading.builtins] : []),
      512 * 2 ** 20,
    );
    assert.deepEqual(reading.webAssembly, []);
    assert.deepEqual(reading.unexplained, []);
  });

  it("names Node 22's code chunks, and a WebAssembly code space's rwx pieces in their reservation", () => {
    const reading = classifyWritableExecutable(
      maps(
        ...IMAGE,
        '335ef0e3a000-335ef0e48000 rwxp 00000000 00:00 0',
        '335ef0e48000-335ef0e4e000 ---p 00000000 00:00 0',
        '335ef0e4e000-335ef0e4f000 rwxp 00000000 00:00 0',
        '335ef0e4f000-335ef0e50000 ---p 00000000 00:00 0',
        '335ef0e50000-335ef0f4b000 rwxp 00000000 00:00 0',
        '7fb2327c0000-7fb2327c2000 rw-p 00000000 00:00 0',
        '7fb2327c2000-7fb2327c3000 ---p 00000000 00:00 0',
        '7fb2327c3000-7fb2327ff000 rwxp 00000000 00:00 0',
        '7fb2327ff000-7fb2525c0000 ---p 00000000 00:00 0',
        `7fb2525c0000-7fb2527a0000 r-xp 01956000 fe:00 1508248                    ${NODE}`,
      ),
      NODE,
    );
    assert.deepEqual(starts(reading.codeRange), ['7fb2327c3000']);
    assert.deepEqual(starts(reading.webAssembly), ['335ef0e3a000', '335ef0e4e000', '335ef0e50000']);
    assert.deepEqual(reading.unexplained, []);
  });

  it('leaves unexplained a writable+executable file or lone anonymous mapping, and the JIT’s pages to their classifier', () => {
    const jitPage = parseMaps('7f0000020000-7f0000021000 rwxp 00000000 00:00 0');
    const reading = classifyWritableExecutable(
      maps(
        ...IMAGE,
        ...CODE_RANGE,
        '10000000-10001000 rwxp 00000000 fe:00 42                                 /tmp/evil.so',
        '20000000-20010000 rwxp 00000000 00:00 0',
        '30000000-30010000 rw-p 00000000 00:00 0',
        '30010000-30020000 rwxp 00000000 00:00 0',
        '30020000-30030000 ---p 00000000 00:00 0',
        '7f0000020000-7f0000021000 rwxp 00000000 00:00 0',
        '7f0000021000-7f0000022000 ---p 00000000 00:00 0',
      ),
      NODE,
      jitPage,
    );
    assert.deepEqual(starts(reading.unexplained), ['10000000', '20000000']);
    // Reserved memory after it makes a run: a code space's shape, away from the code range.
    assert.deepEqual(starts(reading.webAssembly), ['30010000']);
    assert.deepEqual(starts(reading.codeRange), ['7faffc000000', '7fb01bfd5000']);
  });

  it('finds no code range without the builtins, and refuses two remappings', () => {
    const reading = classifyWritableExecutable(
      maps(...IMAGE, '7faffc000000-7fb01bdc0000 rwxp 00000000 00:00 0'),
      NODE,
    );
    assert.equal(reading.builtins, undefined);
    assert.deepEqual(starts(reading.unexplained), ['7faffc000000']);
    assert.throws(
      () =>
        classifyWritableExecutable(
          maps(...IMAGE, ...CODE_RANGE, `7fc000000000-7fc000001000 r-xp 00000000 fe:00 1 ${NODE}`),
          NODE,
        ),
      /2 remappings/,
    );
  });
});
