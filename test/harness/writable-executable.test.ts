import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMaps } from '../../harness/maps.js';
import { bytesOf, classifyWritableExecutable, webAssemblyCodeIn } from '../../harness/writable-executable.js';

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

  it('names a fresh code space, one rwx mapping alone, by the WebAssembly code V8 reports in it', () => {
    // Node.js 24.22.3 just after the first description: iced-x86's code space before any of it was freed.
    const lines = [...IMAGE, ...CODE_RANGE, '36c65943e000-36c65958f000 rwxp 00000000 00:00 0'];
    assert.deepEqual(starts(classifyWritableExecutable(maps(...lines), NODE).unexplained), ['36c65943e000']);
    const reading = classifyWritableExecutable(maps(...lines), NODE, { webAssemblyCode: [0x36c659440840] });
    assert.deepEqual(starts(reading.webAssembly), ['36c65943e000']);
    assert.deepEqual(reading.unexplained, []);
  });

  it('leaves unexplained a writable+executable file, and anonymous memory alone that V8 reports no WebAssembly code in, and the JIT’s pages to their classifier', () => {
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
        '40000000-40010000 rwxp 00000000 00:00 0',
        '40010000-40020000 rwxp 00000000 00:00 0',
        '50000000-50010000 rwxp 00000000 00:00 0',
        '7f0000020000-7f0000021000 rwxp 00000000 00:00 0',
        '7f0000021000-7f0000022000 ---p 00000000 00:00 0',
      ),
      NODE,
      // WebAssembly code in the file, in the rw- mapping, just past the end of the run at 40000000, and in
      // the second half of that run.
      { jitPages: jitPage, webAssemblyCode: [0x10000000, 0x30000000, 0x40020000, 0x40010100] },
    );
    assert.deepEqual(starts(reading.unexplained), ['10000000', '20000000', '50000000']);
    // Beside reserved memory: a code space's shape, away from the code range; and a run that V8 reports
    // WebAssembly code in, all of it.
    assert.deepEqual(starts(reading.webAssembly), ['30010000', '40000000', '40010000']);
    assert.deepEqual(starts(reading.codeRange), ['7faffc000000', '7fb01bfd5000']);
  });

  it('reads the addresses of WebAssembly functions, and only those, from V8’s perf map', () => {
    const perfMap = [
      '7f936e62c140 ec Builtin:JSToWasmWrapperAsm',
      '2fe41e1bd840 80 JS:wasm-function[1754]-1754-liftoff',
      '2fe41e212000 1a0 JS:wasm-function[22]-22-turbofan',
      '3a5c0e1c4a00 2c JS:wasm-function[0]-0-liftoff',
      '7f936e58f600 38 JS:~IterableToFixedArrayForWasm',
      'not a line 12 JS:wasm-function[1]',
      '',
    ].join('\n');
    assert.deepEqual(
      webAssemblyCodeIn(perfMap).map((address) => address.toString(16)),
      ['2fe41e1bd840', '2fe41e212000', '3a5c0e1c4a00'],
    );
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
