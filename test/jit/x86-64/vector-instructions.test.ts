import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { R32 } from '../../../src/jit/x86-64/instructions.js';
import {
  movdquAtRdiXmm,
  movdquXmmAtRdi,
  movdXmmR32,
  padddXmmXmm,
  pshufdXmmXmmImm8,
  vmovdquAtRdiYmm,
  vmovdXmmR32,
  vpadddYmmYmmAtRdi,
  vpbroadcastdYmmXmm,
  vzeroupper,
} from '../../../src/jit/x86-64/vector-instructions.js';
import { decodeOne } from '../../support/x86-decoding.js';

const vectorRegister = fc.integer({ min: 0, max: 15 });
const disp8 = fc.integer({ min: -128, max: 127 });
const r32 = fc.constantFrom(...Object.entries(R32));
const memory = (disp: number) => (disp === 0 ? '[RDI]' : disp > 0 ? `[RDI+${disp}]` : `[RDI${disp}]`);
const xmm = (register: number) => `XMM${register}`;
const ymm = (register: number) => `YMM${register}`;

describe('SSE2 and AVX2 encoders, against iced-x86’s decoding of their bytes', () => {
  it('encodes movd xmm, r32 for every xmm register and 32-bit register', () => {
    fc.assert(
      fc.property(vectorRegister, r32, (register, [name, number]) => {
        assert.deepEqual(decodeOne(movdXmmR32(register, number)), {
          mnemonic: 'Movd',
          operands: [xmm(register), name.toUpperCase()],
        });
      }),
    );
  });

  it('encodes pshufd xmm, xmm, imm8 for every register pair and order', () => {
    fc.assert(
      fc.property(vectorRegister, vectorRegister, fc.integer({ min: 0, max: 255 }), (to, from, order) => {
        assert.deepEqual(decodeOne(pshufdXmmXmmImm8(to, from, order)), {
          mnemonic: 'Pshufd',
          operands: [xmm(to), xmm(from), order],
        });
      }),
    );
  });

  it('encodes movdqu loads and stores at [rdi + disp8] for every xmm register and displacement', () => {
    fc.assert(
      fc.property(vectorRegister, disp8, (register, disp) => {
        assert.deepEqual(decodeOne(movdquXmmAtRdi(register, disp)), {
          mnemonic: 'Movdqu',
          operands: [xmm(register), memory(disp)],
        });
        assert.deepEqual(decodeOne(movdquAtRdiXmm(disp, register)), {
          mnemonic: 'Movdqu',
          operands: [memory(disp), xmm(register)],
        });
      }),
      {
        examples: [
          [0, 0],
          [8, -128],
          [15, 127],
        ],
      },
    );
  });

  it('gives an SSE instruction a REX prefix only when a register is above 7', () => {
    // movdqu xmm0, [rdi + 1]: f3 0f 6f 47 01; with xmm8, REX.R (44) before the opcode.
    assert.deepEqual(movdquXmmAtRdi(0, 1), [0xf3, 0x0f, 0x6f, 0x47, 0x01]);
    assert.deepEqual(movdquXmmAtRdi(8, 1), [0xf3, 0x44, 0x0f, 0x6f, 0x47, 0x01]);
  });

  it('encodes paddd xmm, xmm for every register pair', () => {
    fc.assert(
      fc.property(vectorRegister, vectorRegister, (to, from) => {
        assert.deepEqual(decodeOne(padddXmmXmm(to, from)), {
          mnemonic: 'Paddd',
          operands: [xmm(to), xmm(from)],
        });
      }),
    );
  });

  it('encodes vmovd xmm, r32 for every xmm register and 32-bit register', () => {
    fc.assert(
      fc.property(vectorRegister, r32, (register, [name, number]) => {
        assert.deepEqual(decodeOne(vmovdXmmR32(register, number)), {
          mnemonic: 'Vmovd',
          operands: [xmm(register), name.toUpperCase()],
        });
      }),
    );
  });

  it('encodes vpbroadcastd ymm, xmm for every register pair, in the three-byte VEX form', () => {
    fc.assert(
      fc.property(vectorRegister, vectorRegister, (to, from) => {
        const bytes = vpbroadcastdYmmXmm(to, from);
        assert.equal(bytes[0], 0xc4, 'map 0F38 has no two-byte VEX form');
        assert.deepEqual(decodeOne(bytes), { mnemonic: 'Vpbroadcastd', operands: [ymm(to), xmm(from)] });
      }),
    );
  });

  it('encodes vpaddd ymm, ymm, [rdi + disp8] for every register pair and displacement', () => {
    fc.assert(
      fc.property(vectorRegister, vectorRegister, disp8, (to, first, disp) => {
        assert.deepEqual(decodeOne(vpadddYmmYmmAtRdi(to, first, disp)), {
          mnemonic: 'Vpaddd',
          operands: [ymm(to), ymm(first), memory(disp)],
        });
      }),
      {
        examples: [
          [1, 0, 0],
          [15, 15, -128],
          [8, 0, 127],
        ],
      },
    );
  });

  it('encodes vmovdqu [rdi + disp8], ymm for every register and displacement', () => {
    fc.assert(
      fc.property(vectorRegister, disp8, (register, disp) => {
        assert.deepEqual(decodeOne(vmovdquAtRdiYmm(disp, register)), {
          mnemonic: 'Vmovdqu',
          operands: [memory(disp), ymm(register)],
        });
      }),
    );
  });

  it('encodes vzeroupper as C5 F8 77', () => {
    assert.deepEqual(vzeroupper(), [0xc5, 0xf8, 0x77]);
    assert.deepEqual(decodeOne(vzeroupper()), { mnemonic: 'Vzeroupper', operands: [] });
  });

  it('uses the two-byte VEX form only where it can: map 0F and no register above 7 in ModRM.rm', () => {
    // ymm8-15 in ModRM.reg only need R̄, which the two-byte form has; [rdi] needs no B̄.
    assert.equal(vpadddYmmYmmAtRdi(9, 12, 0)[0], 0xc5);
    assert.equal(vmovdquAtRdiYmm(0, 15)[0], 0xc5);
    assert.equal(vmovdXmmR32(3, R32.edi)[0], 0xc5);
  });

  it('refuses registers and displacements outside their fields with a RangeError naming the operand', () => {
    const register = (field: string, value: number) =>
      `${field} must be an integer from 0 to 15, got ${value}`;
    for (const [encode, message] of [
      [() => movdXmmR32(16, R32.eax), register('xmm', 16)],
      [() => movdXmmR32(0, 8 as R32), 'r32 must be an integer from 0 to 7, got 8'],
      [() => pshufdXmmXmmImm8(16, 0, 0), register('destination xmm', 16)],
      [() => pshufdXmmXmmImm8(0, -1, 0), register('source xmm', -1)],
      [() => pshufdXmmXmmImm8(0, 0, 256), 'imm8 must be an integer from 0 to 255, got 256'],
      [() => movdquXmmAtRdi(-1, 0), register('xmm', -1)],
      [() => movdquAtRdiXmm(128, 0), 'disp8 must be an integer from -128 to 127, got 128'],
      [() => movdquAtRdiXmm(0, 16), register('xmm', 16)],
      [() => padddXmmXmm(16, 0), register('destination xmm', 16)],
      [() => padddXmmXmm(0, 16), register('source xmm', 16)],
      [() => vmovdXmmR32(16, R32.eax), register('xmm', 16)],
      [() => vmovdXmmR32(0, 8 as R32), 'r32 must be an integer from 0 to 7, got 8'],
      [() => vpbroadcastdYmmXmm(16, 0), register('ymm', 16)],
      [() => vpbroadcastdYmmXmm(0, 1.5), register('xmm', 1.5)],
      [() => vpadddYmmYmmAtRdi(16, 0, 0), register('destination ymm', 16)],
      [() => vpadddYmmYmmAtRdi(0, 16, 0), register('first source ymm', 16)],
      [() => vpadddYmmYmmAtRdi(0, 0, -129), 'disp8 must be an integer from -128 to 127, got -129'],
      [() => vmovdquAtRdiYmm(0, 16), register('ymm', 16)],
    ] as const) {
      assert.throws(encode, { name: 'RangeError', message });
    }
  });
});
