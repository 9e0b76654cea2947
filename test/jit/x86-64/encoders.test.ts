import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../../../src/jit/hex.js';
import {
  ADDER_ENTRY,
  BATCH_ADDER_ENTRY,
  encodeAdder,
  encodeBatchAdder,
  encodeBlindedAdder,
} from '../../../src/jit/x86-64/adder-page.js';
import { X86_64_CALL_GATES } from '../../../src/jit/x86-64/call-gates.js';
import {
  addRaxRdi,
  addRdiImm8,
  addRdiImm32,
  andEsiImm8,
  cpuid,
  decRcx,
  jnzRel8,
  jzRel8,
  movDwordAtRdiR32,
  movEaxImm32,
  movR32DwordAtRdi,
  movRaxImm32,
  movRcxRsi,
  popRbx,
  pushRbx,
  R32,
  ret,
  shrRcxImm8,
  testDilImm8,
  xgetbv,
  xorEaxImm32,
} from '../../../src/jit/x86-64/instructions.js';
import { decodeOne, disassemble } from '../../support/x86-decoding.js';
import { composeAdderPage, encodeAdderPage } from '../../support/x86-pages.js';

describe('x86-64 encoders', () => {
  // The expected bytes are the seed program's: 48 c7 c0 <imm32 little-endian> 48 01 f8 c3.
  const seedBytes: Array<[number, string]> = [
    [0, '48 c7 c0 00 00 00 00 48 01 f8 c3'],
    [1, '48 c7 c0 01 00 00 00 48 01 f8 c3'],
    [-1, '48 c7 c0 ff ff ff ff 48 01 f8 c3'],
    [-4, '48 c7 c0 fc ff ff ff 48 01 f8 c3'],
    [2147483647, '48 c7 c0 ff ff ff 7f 48 01 f8 c3'],
    [-2147483648, '48 c7 c0 00 00 00 80 48 01 f8 c3'],
    [0x12345678, '48 c7 c0 78 56 34 12 48 01 f8 c3'],
  ];
  for (const [term, hex] of seedBytes) {
    it(`encodes the adder for ${term} byte for byte as the seed does`, () => {
      assert.equal(toHex(encodeAdder(term)), hex);
    });
  }

  it('emits each instruction on its own', () => {
    assert.deepEqual(movRaxImm32(-4), [0x48, 0xc7, 0xc0, 0xfc, 0xff, 0xff, 0xff]);
    assert.deepEqual(addRaxRdi(), [0x48, 0x01, 0xf8]);
    assert.deepEqual(ret(), [0xc3]);
  });

  for (const bad of [
    2147483648,
    -2147483649,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '1',
    null,
    2 ** 53,
  ]) {
    it(`refuses the term ${String(bad)} with a RangeError naming the operand instead of truncating it`, () => {
      const refusal = (field: string) => ({
        name: 'RangeError',
        message: `${field} must be an integer from -2147483648 to 2147483647, got ${String(bad)}`,
      });
      assert.throws(() => encodeAdder(bad as number), refusal('term'));
      assert.throws(() => movRaxImm32(bad as number), refusal('imm32'));
    });
  }

  it('decodes, with a real x86 decoder, to mov rax, term / add rax, rdi / ret for any int32 term', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (term) => {
        const decoded = disassemble(encodeAdder(term));
        assert.deepEqual(
          decoded.map((instruction) => instruction.mnemonic),
          ['Mov', 'Add', 'Ret'],
        );
        const expectedImmediate = term < 0 ? `-0x${(-term).toString(16)}` : `0x${term.toString(16)}`;
        const immediate = decoded[0]?.text.replace('mov rax, ', '');
        // iced prints values below 10 in decimal, larger ones in hex.
        assert.ok(
          immediate === String(term) || immediate === expectedImmediate,
          `immediate ${immediate} for term ${term}`,
        );
        assert.equal(decoded[1]?.text, 'add rax, rdi');
        assert.equal(decoded[2]?.text, 'ret');
      }),
      { numRuns: 500 },
    );
  });

  it('decodes the batch adder to its loop, with both branches landing on instructions', () => {
    const code = encodeBatchAdder(-4);
    assert.deepEqual(
      disassemble(code).map(({ offset, text }) => `${offset}: ${text}`),
      [
        '0: mov eax, -4',
        '5: test rsi, rsi',
        '8: je short 0x15',
        '10: add [rdi], eax',
        '12: add rdi, 4',
        '16: dec rsi',
        '19: jne short 0xa',
        '21: ret',
      ],
    );
  });

  it('lays out an adder page: the seed adder at its entry, int3 padding, the batch adder at its entry', () => {
    const page = encodeAdderPage(5);
    assert.equal(ADDER_ENTRY, 0);
    assert.equal(BATCH_ADDER_ENTRY % 16, 0);
    assert.deepEqual(page.subarray(ADDER_ENTRY, ADDER_ENTRY + 11), encodeAdder(5));
    assert.ok(page.subarray(11, BATCH_ADDER_ENTRY).every((byte) => byte === 0xcc));
    assert.deepEqual(page.subarray(BATCH_ADDER_ENTRY), encodeBatchAdder(5));
  });

  it('patches the term into the page template to exactly the composed page, for any int32 term', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (term) => {
        assert.deepEqual(encodeAdderPage(term), composeAdderPage(term));
      }),
      { numRuns: 2000, examples: [[0], [1], [-1], [-2147483648], [2147483647]] },
    );
    // Each page is a copy: writing one must not change the next.
    const first = encodeAdderPage(3);
    first.fill(0);
    assert.deepEqual(encodeAdderPage(3), composeAdderPage(3));
    assert.throws(() => encodeAdderPage(2 ** 31), RangeError);
  });

  it('blinds the adder: mov eax, term ^ key / xor eax, key / add eax, edi / ret, byte for byte', () => {
    // term 5 = 05 00 00 00, key 0x11223344 = 44 33 22 11, term ^ key = 0x11223341 = 41 33 22 11.
    assert.equal(toHex(encodeBlindedAdder(5, 0x11223344)), 'b8 41 33 22 11 35 44 33 22 11 01 f8 c3');
    assert.ok(encodeBlindedAdder(5, 0x11223344).length <= BATCH_ADDER_ENTRY, 'fits before the batch entry');
  });

  it('decodes, with a real x86 decoder, a blinded page to the intended instructions and immediates', () => {
    const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
    const hex32 = (value: number) => (value >>> 0).toString(16);
    fc.assert(
      fc.property(int32, int32, (term, key) => {
        const code = composeAdderPage(term, key);
        // Immediates as iced prints them with signed operands: decimal below 10, hex above.
        const immediate = (value: number) =>
          Math.abs(value) < 10 ? String(value) : value < 0 ? `-0x${hex32(-value)}` : `0x${hex32(value)}`;
        const decoded = disassemble(code).map(({ offset, text }) => `${offset}: ${text}`);
        assert.deepEqual(decoded.slice(0, 4), [
          `0: mov eax, ${immediate(term ^ key)}`,
          `5: xor eax, ${immediate(key)}`,
          '10: add eax, edi',
          '12: ret',
        ]);
        assert.deepEqual(decoded.slice(7, 10), [
          `16: mov eax, ${immediate(term ^ key)}`,
          `21: xor eax, ${immediate(key)}`,
          '26: test rsi, rsi',
        ]);
        assert.deepEqual(encodeAdderPage(term, key), code, 'the fast path makes the composed page');
      }),
      {
        numRuns: 1000,
        examples: [
          [5, 0x11223344],
          [-1, -1],
          [-2147483648, 1],
          [2147483647, -2147483648],
        ],
      },
    );
  });

  it('decodes the call gates to jmp rsi and jmp rdx at their entries', () => {
    const gates = X86_64_CALL_GATES.encode();
    assert.deepEqual(
      disassemble(gates.subarray(X86_64_CALL_GATES.int32Entry, X86_64_CALL_GATES.int32Entry + 2)).map(
        (instruction) => instruction.text,
      ),
      ['jmp rsi'],
    );
    assert.deepEqual(
      disassemble(gates.subarray(X86_64_CALL_GATES.batchEntry)).map((instruction) => instruction.text),
      ['jmp rdx'],
    );
  });
});

describe('x86-64 encoders of the kernels’ loops and the CPU probe, against iced-x86’s decoding', () => {
  const disp8 = fc.integer({ min: -128, max: 127 });
  const r32 = fc.constantFrom(...Object.entries(R32));
  const memory = (disp: number) => (disp === 0 ? '[RDI]' : disp > 0 ? `[RDI+${disp}]` : `[RDI${disp}]`);

  it('encodes the instructions without operands', () => {
    assert.deepEqual(decodeOne(cpuid()), { mnemonic: 'Cpuid', operands: [] });
    assert.deepEqual(decodeOne(xgetbv()), { mnemonic: 'Xgetbv', operands: [] });
    assert.deepEqual(decodeOne(pushRbx()), { mnemonic: 'Push', operands: ['RBX'] });
    assert.deepEqual(decodeOne(popRbx()), { mnemonic: 'Pop', operands: ['RBX'] });
    assert.deepEqual(decodeOne(movRcxRsi()), { mnemonic: 'Mov', operands: ['RCX', 'RSI'] });
    assert.deepEqual(decodeOne(decRcx()), { mnemonic: 'Dec', operands: ['RCX'] });
  });

  it('encodes 32-bit loads and stores at [rdi + disp8] for every register and displacement', () => {
    fc.assert(
      fc.property(r32, disp8, ([name, number], disp) => {
        assert.deepEqual(decodeOne(movR32DwordAtRdi(number, disp)), {
          mnemonic: 'Mov',
          operands: [name.toUpperCase(), memory(disp)],
        });
        assert.deepEqual(decodeOne(movDwordAtRdiR32(disp, number)), {
          mnemonic: 'Mov',
          operands: [memory(disp), name.toUpperCase()],
        });
      }),
      {
        examples: [
          [['eax', 0], 0],
          [['ebx', 3], -128],
          [['edi', 7], 127],
        ],
      },
    );
    assert.equal(movR32DwordAtRdi(R32.eax, 0).length, 2, 'no displacement byte for [rdi]');
  });

  it('encodes the loops’ shift, mask, stride and alignment test with their immediates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 63 }),
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: 0, max: 255 }),
        (count, mask, stride, byteMask) => {
          assert.deepEqual(decodeOne(shrRcxImm8(count)), { mnemonic: 'Shr', operands: ['RCX', count] });
          assert.deepEqual(decodeOne(andEsiImm8(mask)), { mnemonic: 'And', operands: ['ESI', mask] });
          assert.deepEqual(decodeOne(addRdiImm32(stride)), { mnemonic: 'Add', operands: ['RDI', stride] });
          // iced reports test's imm8 sign-extended as it reads it; the low byte is the mask.
          const test = decodeOne(testDilImm8(byteMask));
          assert.equal(test.mnemonic, 'Test');
          assert.equal(test.operands[0], 'DIL');
          assert.equal((test.operands[1] as number) & 0xff, byteMask);
        },
      ),
    );
  });

  it('refuses operands outside their fields with a RangeError naming the field and its range', () => {
    for (const [encode, message] of [
      [() => shrRcxImm8(0), 'shift count must be an integer from 1 to 63, got 0'],
      [() => shrRcxImm8(64), 'shift count must be an integer from 1 to 63, got 64'],
      [() => shrRcxImm8(1.5), 'shift count must be an integer from 1 to 63, got 1.5'],
      [() => andEsiImm8(128), 'mask must be an integer from 0 to 127, got 128'],
      [() => andEsiImm8(-1), 'mask must be an integer from 0 to 127, got -1'],
      [() => addRdiImm32(2 ** 31), 'imm32 must be an integer from -2147483648 to 2147483647, got 2147483648'],
      [() => movEaxImm32(2 ** 31), 'imm32 must be an integer from -2147483648 to 2147483647, got 2147483648'],
      [
        () => xorEaxImm32(-(2 ** 31) - 1),
        'imm32 must be an integer from -2147483648 to 2147483647, got -2147483649',
      ],
      [() => testDilImm8(256), 'imm8 must be an integer from 0 to 255, got 256'],
      [() => testDilImm8(-1), 'imm8 must be an integer from 0 to 255, got -1'],
      [() => movR32DwordAtRdi(R32.eax, 128), 'disp8 must be an integer from -128 to 127, got 128'],
      [() => movDwordAtRdiR32(-129, R32.eax), 'disp8 must be an integer from -128 to 127, got -129'],
      [() => movDwordAtRdiR32(0, 8 as R32), 'ModRM.reg must be an integer from 0 to 7, got 8'],
      [() => movDwordAtRdiR32(0, -1 as R32), 'ModRM.reg must be an integer from 0 to 7, got -1'],
    ] as const) {
      assert.throws(encode, { name: 'RangeError', message });
    }
  });

  it('encodes add rdi, imm8 at both ends of a signed byte, and refuses what a byte cannot hold', () => {
    for (const imm of [-128, -1, 0, 4, 127]) {
      assert.deepEqual(decodeOne(addRdiImm8(imm)), { mnemonic: 'Add', operands: ['RDI', imm] });
    }
    assert.deepEqual(addRdiImm8(-128), [0x48, 0x83, 0xc7, 0x80]);
    for (const imm of [-129, 128, 0.5, Number.NaN]) {
      assert.throws(() => addRdiImm8(imm), {
        name: 'RangeError',
        message: `imm8 must be -128..127, got ${imm}`,
      });
    }
  });

  it('encodes jz and jnz rel8 at both ends of their reach, and refuses a jump beyond it', () => {
    // The opcode, then rel as a two's-complement byte.
    for (const rel of [-128, -2, 0, 127]) {
      assert.deepEqual(jzRel8(rel), [0x74, rel & 0xff]);
      assert.deepEqual(jnzRel8(rel), [0x75, rel & 0xff]);
      assert.equal(decodeOne(jzRel8(rel)).mnemonic, 'Je');
      assert.equal(decodeOne(jnzRel8(rel)).mnemonic, 'Jne');
    }
    for (const rel of [-129, 128, 0.5]) {
      for (const jump of [jzRel8, jnzRel8]) {
        assert.throws(() => jump(rel), { name: 'RangeError', message: `rel8 must be -128..127, got ${rel}` });
      }
    }
  });
});
