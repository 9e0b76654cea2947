/**
 * The adders resource's schemas: every route's parameters, query, body and answers. Fastify compiles them
 * once at start into its validators and serialisers, the handlers take their types from them, and the
 * OpenAPI document is generated from them.
 */
import { Type } from 'typebox';
import { ENCODING_FIELD_KINDS, type EncodingFieldKind } from '../../explain/annotation.js';
import { KERNEL_LEVELS } from '../../jit/targets.js';
import type { BinaryBatchBody } from '../binary-batch.js';
import { DecimalCount, DecimalInt32Text, errorResponses, Int32, NoQuery } from './common.js';

/** Response header saying whether this request found the adder compiled (`hit`) or compiled it. */
export const CACHE_HEADER = 'x-jit-cache';
/** The most inputs one JSON batch may hold. */
export const MAX_BATCH = 10_000;
/** GET /adders: adders listed per page unless the query says otherwise, and at most. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
/** The largest offset a query may give: beyond any capacity the service accepts. */
export const MAX_PAGE_OFFSET = 1_048_576;

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

const TermParams = Type.Object({ n: DecimalInt32Text('The adder’s term', '5') });

const cacheHeader = {
  [CACHE_HEADER]: Type.Union([Type.Literal('hit'), Type.Literal('compile')], {
    description: '`hit` if the adder was already compiled, `compile` if this request compiled it',
  }),
};

const AdderCreated = Type.Object({ term: Int32, code: MachineCode });

const AdderSummary = Type.Object({
  term: Int32,
  calls: Type.Integer({ minimum: 0, description: 'Inputs evaluated by this adder', examples: [3] }),
  compiledAt: Type.String({ format: 'date-time', examples: ['2026-11-24T12:00:00.000Z'] }),
});

const EncodingField = Type.Object(
  {
    // The explainer's kinds, one literal each; Unsafe gives the union its static type back.
    kind: Type.Unsafe<EncodingFieldKind>(Type.Union(ENCODING_FIELD_KINDS.map((kind) => Type.Literal(kind)))),
    offset: Type.Integer({ description: 'Offset of the field in the instruction', examples: [0] }),
    length: Type.Integer({ examples: [1] }),
    bytes: Type.String({ examples: ['48'] }),
    bits: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ examples: ['W'] }),
          value: Type.String({ examples: ['1'] }),
          meaning: Type.String({ examples: ['64-bit operand size'] }),
          high: Type.Optional(
            Type.Integer({
              description: 'An A64 word’s bits only: the highest bit of the group',
              examples: [20],
            }),
          ),
          low: Type.Optional(
            Type.Integer({
              description: 'An A64 word’s bits only: the lowest bit of the group',
              examples: [5],
            }),
          ),
        }),
      ),
    ),
    description: Type.String({ examples: ['REX 0100 1000: REX.W, 64-bit operand size'] }),
  },
  { description: 'One encoding field of an instruction, as the decoder reads it' },
);

const Instruction = Type.Object({
  offset: Type.Integer({ description: 'Offset from the start of the code, in bytes', examples: [0] }),
  bytes: Type.String({ examples: ['b8 3a 1c 5e 9d'] }),
  text: Type.String({
    description: 'Intel syntax on x86-64, the Arm ARM’s on arm64',
    examples: ['mov eax, -0x62a1e3c6'],
  }),
  length: Type.Integer({ examples: [5] }),
  mnemonic: Type.String({
    description: "iced-x86's name for the mnemonic; on arm64, the Arm ARM heading's (MOVZ)",
    examples: ['Mov'],
  }),
  opCodeString: Type.String({
    description: 'The opcode in Intel SDM notation; on arm64, the encoding diagram from bit 31 down',
    examples: ['B8+rd id'],
  }),
  instructionString: Type.String({ examples: ['MOV r32, imm32'] }),
  reference: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
    description: 'A reference page for the mnemonic, or null',
    examples: ['https://www.felixcloutier.com/x86/mov'],
  }),
  operation: Type.String({ description: 'What it does, in plain words', examples: ['eax ← -0x62a1e3c6'] }),
  fields: Type.Array(EncodingField, { description: 'The fields, in order, tiling the instruction exactly' }),
});

const PageLife = Type.Object(
  {
    term: Int32,
    live: Type.Boolean({ description: 'Whether the page still holds this term’s adder' }),
    steps: Type.Array(
      Type.Object({
        step: Type.Union([
          Type.Literal('mapped'),
          Type.Literal('recycled'),
          Type.Literal('written'),
          Type.Literal('sealed'),
          Type.Literal('called'),
          Type.Literal('evicted'),
          Type.Literal('unmapped'),
        ]),
        protection: Type.Union([Type.Literal('rw-'), Type.Literal('r-x'), Type.Literal('none')], {
          description: 'The page’s protection after the step: never writable and executable at once',
        }),
        durationUs: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
          description: 'How long the step took, in microseconds, where it was measured',
          examples: [4.2],
        }),
        count: Type.Optional(
          Type.Integer({ description: 'written: the code’s bytes; called: the calls', examples: [43] }),
        ),
        term: Type.Optional(
          Type.Integer({
            description:
              'recycled: the term whose evicted page this was; evicted: the term it went on to hold',
          }),
        ),
      }),
      { description: 'What the page went through, in order, as the service measured it' },
    ),
  },
  { description: 'The life of the page that holds, or last held, an adder' },
);

const AdderDetails = Type.Object({
  term: Int32,
  calls: AdderSummary.properties.calls,
  compiledAt: AdderSummary.properties.compiledAt,
  code: MachineCode,
  target: Type.String({ description: 'What the page was generated for', examples: ['x86-64-avx2'] }),
  entries: Type.Array(
    Type.Object({
      name: Type.String({ examples: ['apply'] }),
      offset: Type.Integer({ examples: [0] }),
      signature: Type.String({ examples: ['int32_t apply(int32_t x)'] }),
      registers: Type.String({
        description:
          'Where its arguments arrive and its result leaves, as the architecture’s calling convention says',
        examples: ['x arrives in edi (the low half of rdi); the result leaves in eax'],
      }),
    }),
    { description: 'Where each function of the page starts in its code' },
  ),
  disassembly: Type.Array(Instruction, {
    description:
      'Decoded from the bytes in the executable page (by iced-x86 on x86-64), with their encoding fields',
  }),
  page: Type.Object({
    bytes: Type.Integer({ description: 'The page’s size', examples: [4096] }),
    codeBytes: Type.Integer({ description: 'How many of its bytes the code fills', examples: [43] }),
  }),
  blinding: Type.Union(
    [
      Type.Object({
        key: Int32,
        blindedTerm: { ...Int32, description: '`term ^ key`, what the page holds instead of the term' },
      }),
      Type.Null(),
    ],
    { description: 'The page’s random key and blinded term, or null without blinding' },
  ),
  termBytesAt: Type.Array(Type.Integer(), {
    description:
      'Offsets where the term’s own four bytes (little-endian) appear in the code. With blinding no ' +
      'immediate holds them: they appear only where bytes every page has spell them, such as the int3 ' +
      'padding for 0xcccccccc',
    examples: [[]],
  }),
  life: PageLife,
});

const RegistryStats = Type.Object({
  target: Type.String({ description: 'What the pages are generated for', examples: ['x86-64-avx2'] }),
  level: Type.String({
    enum: [...KERNEL_LEVELS],
    description: 'The batch kernels’ instruction-set level (JIT_ISA)',
  }),
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

const tags = ['adders'];

export const compileSchema = {
  tags,
  operationId: 'compileAdder',
  summary: 'Compile the adder for a term',
  description:
    'Compiles `term + x` into its own executable page. 201 with a Location the first time, 200 with the ' +
    'same body when the adder is already compiled. `term` is a JSON integer written as one: no fraction ' +
    'or exponent (`5.0`, `5e0` are refused).',
  querystring: NoQuery,
  body: Type.Object({ term: { ...Int32, examples: [5] } }, { additionalProperties: false }),
  response: {
    200: { ...AdderCreated, description: 'Already compiled', headers: cacheHeader },
    201: { ...AdderCreated, description: 'Compiled by this request', headers: cacheHeader },
    ...errorResponses(413, 415, 429, 503),
  },
};

export const applySchema = {
  tags,
  operationId: 'applyAdder',
  summary: 'Evaluate n + x',
  description: 'Compiles the adder on the first request for n, then evaluates it. Sums wrap around at int32.',
  params: TermParams,
  querystring: Type.Object({ x: DecimalInt32Text('The input', '37') }, { additionalProperties: false }),
  response: {
    200: Type.Object(
      { term: Int32, x: Int32, result: { ...Int32, examples: [42] } },
      { headers: cacheHeader },
    ),
    ...errorResponses(414, 429, 503),
  },
};

/** A JSON batch's results: typed as the Int32Array the handler returns, written by serializers.ts. */
const BatchResults = Type.Object({
  term: Int32,
  // Documented as the array of integers it is sent as; typed as the Int32Array the handler returns,
  // which the route's serializer writes out as is (src/service/serializers.ts).
  results: Type.Unsafe<Int32Array>(Type.Array(Int32, { examples: [[6, 7, 8]] })),
});

export const applyAllSchema = {
  tags,
  operationId: 'applyAdderToMany',
  summary: 'Evaluate n + x for many x',
  description:
    'Compiles the adder on first use, then evaluates it on every input with one call into its batch ' +
    `kernel. As JSON, \`{"xs": [...]}\`: up to ${MAX_BATCH} inputs, each a JSON integer written as one (no ` +
    'fraction or exponent). As `application/octet-stream`: the inputs as little-endian int32s, up to ' +
    'BINARY_BATCH_LIMIT_BYTES (16 MiB unless configured), with a Content-Length; the answer is the results ' +
    'in the same format and length.',
  params: TermParams,
  querystring: NoQuery,
  body: {
    content: {
      'application/json': {
        schema: Type.Object(
          { xs: Type.Array(Int32, { minItems: 1, maxItems: MAX_BATCH, examples: [[1, 2, 3]] }) },
          { additionalProperties: false },
        ),
      },
      'application/octet-stream': {
        schema: Type.Unsafe<BinaryBatchBody>({
          description: 'The inputs as little-endian int32s: 4 bytes each, at least one',
        }),
      },
    },
  },
  response: {
    200: {
      description: 'The results, in the format of the request',
      headers: cacheHeader,
      content: {
        'application/json': { schema: BatchResults },
        'application/octet-stream': {
          schema: Type.Unsafe({
            description: 'The results as little-endian int32s, in the order of the inputs',
          }),
        },
      },
    },
    ...errorResponses(411, 413, 414, 415, 429, 503),
  },
};

const ListQuery = Type.Object(
  {
    limit: Type.Optional(
      DecimalCount(
        `Adders to list, ${DEFAULT_PAGE_LIMIT} unless given; 0 for the counters alone`,
        MAX_PAGE_LIMIT,
        '100',
      ),
    ),
    offset: Type.Optional(DecimalCount('Adders to skip, least recently used first', MAX_PAGE_OFFSET, '0')),
  },
  { additionalProperties: false },
);

const AdderList = Type.Object({
  stats: RegistryStats,
  adders: Type.Array(AdderSummary, { description: 'Least recently used first' }),
  page: Type.Object({
    offset: Type.Integer({ examples: [0] }),
    limit: Type.Integer({ examples: [100] }),
    total: Type.Integer({ description: 'Adders live now', examples: [2] }),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'The path of the next page, or null on the last',
      examples: ['/adders?offset=100&limit=100'],
    }),
  }),
});

/**
 * What a HEAD of our own documents for 200: its GET's representation (content type and schema), as the
 * HEAD Fastify adds for a GET does, though no body is sent. The handler sends none, so it is never used to
 * serialise.
 */
const headOf = <Schema extends object>(schema: Schema, description: string) => ({ ...schema, description });

export const listSchema = {
  tags,
  operationId: 'listAdders',
  summary: 'List compiled adders, a page at a time, with the registry’s counters',
  description:
    'The registry’s counters, and the adders compiled now from `offset`, `limit` at a time; `page.next` ' +
    'is the path of the next page. `limit=0` gives the counters alone. Does not compile.',
  querystring: ListQuery,
  response: { 200: AdderList, ...errorResponses(503) },
};

export const headListSchema = {
  tags,
  operationId: 'headAdders',
  summary: 'Whether the adders resource answers, without its body (costs nothing)',
  description:
    'The status and content type a GET would answer, without building the list: no body, and no ' +
    'Content-Length.',
  querystring: ListQuery,
  response: {
    200: headOf(AdderList, 'The status and headers of a GET, without its body'),
    ...errorResponses(503),
  },
};

export const describeSchema = {
  tags,
  operationId: 'describeAdder',
  summary: 'Describe a compiled adder: its machine code, decoded and annotated',
  description:
    'Reads the code back from the executable page and decodes it (x86-64 with iced-x86, A64 word by word): ' +
    'what the CPU will run, each instruction split into its encoding fields. Does not compile.',
  params: TermParams,
  querystring: NoQuery,
  response: { 200: AdderDetails, ...errorResponses(404, 414, 503) },
};

export const lifeSchema = {
  tags,
  operationId: 'getAdderLife',
  summary: 'The life of the page that holds, or last held, an adder',
  description:
    'How the page was mapped (or recycled from an evicted adder), written, sealed and called, and, for a ' +
    'page whose adder has gone (one of the last 64), how it was evicted or unmapped. 404 when the service ' +
    'has no record of it.',
  params: TermParams,
  querystring: NoQuery,
  response: { 200: PageLife, ...errorResponses(404, 414, 503) },
};

export const headDescribeSchema = {
  tags,
  operationId: 'headAdder',
  summary: 'Whether an adder is compiled, without decoding it (costs one lookup)',
  description: '200 if the adder for n is compiled, 404 if not, without a body. Does not compile.',
  params: TermParams,
  querystring: NoQuery,
  response: {
    200: headOf(AdderDetails, 'Compiled: the status and headers of a GET, without its body'),
    ...errorResponses(404, 414, 503),
  },
};

export const releaseSchema = {
  tags,
  operationId: 'releaseAdder',
  summary: 'Release an adder: its page is unmapped',
  description:
    'Costs the client one compile of its quota, as the adder’s owner will pay one to compile it again.',
  params: TermParams,
  querystring: NoQuery,
  response: {
    204: Type.Null({ description: 'Released' }),
    ...errorResponses(404, 409, 413, 414, 415, 429, 503),
  },
};
