/** TypeBox schemas of the adders resource: what its routes answer. */
import { Type } from 'typebox';
import { Int32 } from './common.js';

export const MachineCode = Type.String({
  description:
    'The machine code as read back from the executable page, hex bytes separated by spaces: the adder, ' +
    'int3 padding, then the batch adder at offset 16. With blinding (the default) each loads its term as ' +
    '`mov eax, term ^ key; xor eax, key` with a random key per page; without, the adder is the seed ' +
    "program's 11 bytes",
  examples: [
    'b8 3a 1c 5e 9d 35 3f 1c 5e 9d 01 f8 c3 cc cc cc b8 3a 1c 5e 9d 35 3f 1c 5e 9d 48 85 f6 74 0b 01 07 48 83 c7 04 48 ff ce 75 f5 c3',
    '48 c7 c0 05 00 00 00 48 01 f8 c3 cc cc cc cc cc b8 05 00 00 00 48 85 f6 74 0b 01 07 48 83 c7 04 48 ff ce 75 f5 c3',
  ],
});

export const AdderCreated = Type.Object({
  term: Int32,
  code: MachineCode,
});

export const Instruction = Type.Object({
  offset: Type.Integer({ description: 'Offset from the start of the code, in bytes', examples: [0] }),
  bytes: Type.String({ examples: ['b8 3a 1c 5e 9d'] }),
  text: Type.String({ description: 'Intel syntax', examples: ['mov eax, -0x62a1e3c6'] }),
});

export const AdderSummary = Type.Object({
  term: Int32,
  calls: Type.Integer({ minimum: 0, description: 'Inputs evaluated by this adder', examples: [3] }),
  compiledAt: Type.String({ format: 'date-time', examples: ['2026-11-24T12:00:00.000Z'] }),
});

export const AdderDetails = Type.Object({
  term: Int32,
  calls: AdderSummary.properties.calls,
  compiledAt: AdderSummary.properties.compiledAt,
  code: MachineCode,
  entries: Type.Array(
    Type.Object({
      name: Type.String({ examples: ['apply'] }),
      offset: Type.Integer({ examples: [0] }),
      signature: Type.String({ examples: ['int32_t apply(int32_t x)'] }),
    }),
    { description: 'Where each function of the page starts in its code' },
  ),
  disassembly: Type.Array(Instruction, {
    description: 'Decoded by iced-x86 from the bytes in the executable page',
  }),
});

export const RegistryStats = Type.Object({
  capacity: Type.Integer({ examples: [4096] }),
  live: Type.Integer({ description: 'Adders compiled and mapped now', examples: [1] }),
  mappedBytes: Type.Integer({ description: 'Executable memory held by live adders', examples: [4096] }),
  compiles: Type.Integer({ examples: [1] }),
  hits: Type.Integer({ examples: [2] }),
  misses: Type.Integer({ examples: [1] }),
  evictions: Type.Integer({ examples: [0] }),
  pressureEvictions: Type.Integer({
    description:
      'Of the evictions, those made below capacity because the kernel refused memory for a new page',
    examples: [0],
  }),
  releases: Type.Integer({ description: 'Adders deleted through the API', examples: [0] }),
});
