import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anonymousReadExecutePages } from '../../harness/maps.js';
import { SyscallError } from '../../src/jit/errors.js';
import { toHex } from '../../src/jit/hex.js';
import { wrappingAdd } from '../../src/jit/int32.js';
import { pageSize } from '../../src/jit/libc.js';
import { ExecutablePage } from '../../src/jit/page.js';
import { CACHE_HEADER, MAX_BATCH } from '../../src/service/schemas/adders.js';
import { errorMessage, startTestApp, type TestApp } from '../support/app.js';
import { encodeAdderPage } from '../support/x86-pages.js';

describe('adders API', () => {
  let t: TestApp;
  before(async () => {
    // Blinding off and the scalar kernels: these tests compare the pages with the seed's exact bytes. The
    // service's defaults, blinding on and the best kernels the host runs, have their own tests below.
    t = await startTestApp({ jitMaxAdders: 64, jitBlinding: false, jitIsa: 'scalar' });
  });
  after(() => t.close());

  describe('POST /adders', () => {
    it('compiles: 201, Location, the term and its machine code read back from the page', async () => {
      const response = await t.http.post('/adders').send({ term: -4 }).expect(201);
      assert.equal(response.headers.location, '/adders/-4');
      assert.equal(response.headers[CACHE_HEADER], 'compile');
      assert.match(response.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(response.body, { term: -4, code: toHex(encodeAdderPage(-4)) });
      assert.ok(response.body.code.startsWith('48 c7 c0 fc ff ff ff 48 01 f8 c3 cc'), 'the seed adder first');
    });

    it('is idempotent: the same term again is 200 with the same body', async () => {
      const first = await t.http.post('/adders').send({ term: 1234 }).expect(201);
      const again = await t.http.post('/adders').send({ term: 1234 }).expect(200);
      assert.equal(again.headers[CACHE_HEADER], 'hit');
      assert.deepEqual(again.body, first.body);
      assert.equal(again.headers.location, '/adders/1234');
    });

    it('accepts the ends of int32', async () => {
      for (const term of [-2147483648, 2147483647]) {
        const response = await t.http.post('/adders').send({ term });
        assert.ok([200, 201].includes(response.status));
        assert.deepEqual(response.body, { term, code: toHex(encodeAdderPage(term)) });
      }
    });
  });

  describe('GET /adders/:n/apply', () => {
    it('compiles on the first request, then hits', async () => {
      const first = await t.http.get('/adders/5/apply?x=37').expect(200);
      assert.deepEqual(first.body, { term: 5, x: 37, result: 42 });
      assert.equal(first.headers[CACHE_HEADER], 'compile');
      const second = await t.http.get('/adders/5/apply?x=-10').expect(200);
      assert.deepEqual(second.body, { term: 5, x: -10, result: -5 });
      assert.equal(second.headers[CACHE_HEADER], 'hit');
    });

    it('wraps around like 32-bit two’s complement', async () => {
      const cases: Array<[number, number]> = [
        [2147483647, 1],
        [-2147483648, -1],
        [2147483647, 2147483647],
        [-2147483648, -2147483648],
      ];
      for (const [term, x] of cases) {
        const response = await t.http.get(`/adders/${term}/apply?x=${x}`).expect(200);
        assert.equal(response.body.result, wrappingAdd(term, x), `${term} + ${x}`);
      }
      assert.equal((await t.http.get('/adders/2147483647/apply?x=1')).body.result, -2147483648);
    });

    it('refuses leading zeros, -0 and +5: only canonical decimals, one spelling per int32', async () => {
      for (const [path, field] of [
        ['/adders/007/apply?x=1', 'params/n'],
        ['/adders/-0/apply?x=1', 'params/n'],
        ['/adders/%2B5/apply?x=1', 'params/n'],
        ['/adders/7/apply?x=-0', 'querystring/x'],
        ['/adders/7/apply?x=00000000005', 'querystring/x'],
        ['/adders/007', 'params/n'],
        ['/adders?limit=010', 'querystring/limit'],
      ] as const) {
        const response = await t.http.get(path);
        assert.equal(response.status, 400, path);
        assert.match(
          errorMessage(response.body, 400),
          new RegExp(`^${field} must be a decimal integer from -?[0-9]+ .*\\(digits without a leading zero`),
          path,
        );
      }
      assert.deepEqual((await t.http.get('/adders/0/apply?x=-10').expect(200)).body, {
        term: 0,
        x: -10,
        result: -10,
      });
    });

    // The apply routes serialise with serializers of their own (src/service/serializers.ts), not from their
    // schemas: the bytes must still be the schema's fields in its order, for answers and errors alike.
    it('writes exactly the schema’s fields, in order, as compact JSON, errors included', async () => {
      const answer = await t.http.get('/adders/-2147483648/apply?x=2147483647').expect(200);
      assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(answer.text, '{"term":-2147483648,"x":2147483647,"result":-1}');
      const refused = await t.http.get('/adders/5/apply?x=2147483648').expect(400);
      assert.match(refused.headers['content-type'] ?? '', /^application\/json/);
      assert.match(refused.text, /^\{"statusCode":400,"error":"Bad Request","message":"[^"]+"\}$/);
    });
  });

  describe('POST /adders/:n/apply', () => {
    it('evaluates a batch, compiling on first use', async () => {
      const xs = [1, 2, 3, 2147483647, -2147483648];
      const response = await t.http.post('/adders/11/apply').send({ xs }).expect(200);
      assert.deepEqual(response.body, { term: 11, results: xs.map((x) => wrappingAdd(11, x)) });
      assert.equal(response.headers[CACHE_HEADER], 'compile');
    });

    it('writes exactly the schema’s fields, in order, as compact JSON, errors included', async () => {
      const answer = await t.http
        .post('/adders/-3/apply')
        .send({ xs: [3, -2147483648] })
        .expect(200);
      assert.equal(answer.text, '{"term":-3,"results":[0,2147483645]}');
      const refused = await t.http.post('/adders/-3/apply').send({ xs: [] }).expect(400);
      assert.match(refused.text, /^\{"statusCode":400,"error":"Bad Request","message":"[^"]+"\}$/);
    });

    it(`takes up to ${MAX_BATCH} values`, async () => {
      const xs = Array.from({ length: MAX_BATCH }, (_, i) => i * 214_748 - 1_073_741_824);
      const response = await t.http.post('/adders/-99/apply').send({ xs }).expect(200);
      assert.equal(response.body.results.length, MAX_BATCH);
      assert.deepEqual(
        response.body.results,
        xs.map((x) => wrappingAdd(-99, x)),
      );
    });
  });

  describe('GET /adders and GET /adders/:n', () => {
    it('lists compiled adders with counters and capacity', async () => {
      await t.http.get('/adders/31/apply?x=1').expect(200);
      await t.http.get('/adders/31/apply?x=2').expect(200);
      const response = await t.http.get('/adders').expect(200);
      const { stats, adders } = response.body;
      assert.equal(stats.capacity, 64);
      assert.equal(stats.live, adders.length);
      assert.equal(stats.mappedBytes, adders.length * pageSize());
      const adder = adders.find((a: { term: number }) => a.term === 31);
      assert.equal(adder.calls, 2);
      assert.ok(!Number.isNaN(Date.parse(adder.compiledAt)));
      assert.equal(adders.at(-1).term, 31, 'most recently used last');
      for (const key of ['compiles', 'hits', 'misses', 'evictions', 'releases']) {
        assert.equal(typeof stats[key], 'number', key);
      }
    });

    it('describes an adder: code and a disassembly decoded from the page', async () => {
      await t.http.post('/adders').send({ term: 2147483647 });
      const response = await t.http.get('/adders/2147483647').expect(200);
      assert.equal(
        response.body.code,
        '48 c7 c0 ff ff ff 7f 48 01 f8 c3 cc cc cc cc cc b8 ff ff ff 7f 48 85 f6 74 0b 01 07 48 83 c7 04 48 ff ce 75 f5 c3',
      );
      assert.deepEqual(response.body.entries, [
        {
          name: 'apply',
          offset: 0,
          signature: 'int32_t apply(int32_t x)',
          registers: 'x arrives in edi (the low half of rdi); the result leaves in eax',
        },
        {
          name: 'applyAll',
          offset: 16,
          signature: 'void applyAll(int32_t *xs, size_t n)',
          registers: 'xs arrives in rdi and n in rsi; the values are added to in place',
        },
      ]);
      const plain = (instruction: { offset: number; bytes: string; text: string }) => ({
        offset: instruction.offset,
        bytes: instruction.bytes,
        text: instruction.text,
      });
      assert.deepEqual(response.body.disassembly.slice(0, 4).map(plain), [
        { offset: 0, bytes: '48 c7 c0 ff ff ff 7f', text: 'mov rax, 0x7fffffff' },
        { offset: 7, bytes: '48 01 f8', text: 'add rax, rdi' },
        { offset: 10, bytes: 'c3', text: 'ret' },
        { offset: 11, bytes: 'cc', text: 'int3' },
      ]);
      assert.deepEqual(
        response.body.disassembly.slice(-8).map((instruction: { text: string }) => instruction.text),
        [
          'mov eax, 0x7fffffff',
          'test rsi, rsi',
          'je short 0x25',
          'add [rdi], eax',
          'add rdi, 4',
          'dec rsi',
          'jne short 0x1a',
          'ret',
        ],
      );
    });

    it('answers 404 for an adder that is not compiled, without compiling it', async () => {
      const response = await t.http.get('/adders/424242').expect(404);
      assert.match(errorMessage(response.body, 404), /adder 424242 is not compiled/);
      const list = await t.http.get('/adders');
      assert.ok(!list.body.adders.some((a: { term: number }) => a.term === 424242));
    });
  });

  describe('DELETE /adders/:n', () => {
    it('unmaps the adder: 204, then 404; a later apply compiles it again', async () => {
      await t.http.post('/adders').send({ term: 77 }).expect(201);
      const pagesBefore = anonymousReadExecutePages(pageSize());
      await t.http.delete('/adders/77').expect(204);
      assert.equal(anonymousReadExecutePages(pageSize()), pagesBefore - 1, 'one executable page fewer');
      errorMessage((await t.http.delete('/adders/77').expect(404)).body, 404);
      await t.http.get('/adders/77').expect(404);
      const again = await t.http.get('/adders/77/apply?x=1').expect(200);
      assert.equal(again.headers[CACHE_HEADER], 'compile');
      assert.equal(again.body.result, 78);
    });
  });

  describe('with constant blinding, the service’s default', () => {
    it('keeps the term’s bytes out of the page; GET /adders/:n shows the real bytes and their decoding', async () => {
      const blinded = await startTestApp({ jitMaxAdders: 8 });
      try {
        const term = 0x12345678;
        const created = await blinded.http.post('/adders').send({ term }).expect(201);
        assert.doesNotMatch(created.body.code, /78 56 34 12/, 'the term, little-endian, is not in the page');
        const described = await blinded.http.get(`/adders/${term}`).expect(200);
        assert.equal(described.body.code, created.body.code, 'the bytes read back from the page');
        const [mov, xor, add, ret] = described.body.disassembly as Array<{ bytes: string; text: string }>;
        assert.match(mov?.text ?? '', /^mov eax, /);
        assert.match(xor?.text ?? '', /^xor eax, /);
        assert.deepEqual([add?.text, ret?.text], ['add eax, edi', 'ret']);
        // The two immediates, as the page holds them, xor back to the term.
        const immediate = (bytes = '') =>
          new DataView(
            Uint8Array.from(bytes.split(' ').slice(1), (byte) => Number.parseInt(byte, 16)).buffer,
          ).getInt32(0, true);
        assert.equal(immediate(mov?.bytes) ^ immediate(xor?.bytes), term);
        const applied = await blinded.http.get(`/adders/${term}/apply?x=-1`).expect(200);
        assert.equal(applied.body.result, term - 1);
        const batch = await blinded.http
          .post(`/adders/${term}/apply`)
          .send({ xs: [1, 2147483647] })
          .expect(200);
        assert.deepEqual(batch.body.results, [term + 1, wrappingAdd(term, 2147483647)]);
      } finally {
        await blinded.close();
      }
    });
  });

  it('answers 1,000 concurrent applies over 200 terms correctly at capacity 50', async () => {
    // The thousand requests come from this process, whose event loop they share with the server: load
    // shedding, which would answer some of them 503 on a busy machine, is another test's subject.
    const small = await startTestApp({ jitMaxAdders: 50, maxEventLoopDelayMs: 0 });
    try {
      const requests = Array.from({ length: 1000 }, (_, i) => {
        const term = ((i * 7919) % 200) - 100;
        const x = i * 2_000_003 - 1_000_000_000;
        return small.http
          .get(`/adders/${term}/apply?x=${x}`)
          .then((response) => ({ term, x, status: response.status, body: response.body }));
      });
      const results = await Promise.all(requests);
      for (const { term, x, status, body } of results) {
        assert.equal(status, 200);
        assert.deepEqual(body, { term, x, result: wrappingAdd(term, x) });
      }
      const { stats } = (await small.http.get('/adders')).body;
      assert.ok(stats.live <= 50);
      assert.equal(stats.hits + stats.misses, 1000);
      assert.ok(stats.evictions > 0);
    } finally {
      await small.close();
    }
  });

  it('answers 503 with a clear message when no memory can be had for a page, and recovers', async () => {
    let exhausted = true;
    const starved = await startTestApp({
      jitCompile: (term) => {
        if (exhausted) throw new SyscallError('mmap', 12, 'ENOMEM', 'Cannot allocate memory');
        return ExecutablePage.seal(encodeAdderPage(term));
      },
    });
    try {
      const response = await starved.http.get('/adders/3/apply?x=1').expect(503);
      assert.match(errorMessage(response.body, 503), /could not get memory.*ENOMEM/);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal((await starved.http.get('/adders')).body.stats.live, 0);
      exhausted = false;
      assert.equal((await starved.http.get('/adders/3/apply?x=1').expect(200)).body.result, 4);
    } finally {
      await starved.close();
    }
  });

  it('leaves no JIT page mapped once the app is closed', async () => {
    const size = pageSize();
    const baseline = anonymousReadExecutePages(size);
    const short = await startTestApp({ jitMaxAdders: 100 });
    for (let term = 0; term < 30; term += 1) await short.http.post('/adders').send({ term }).expect(201);
    assert.equal(anonymousReadExecutePages(size) - baseline, 30);
    await short.close();
    assert.equal(anonymousReadExecutePages(size) - baseline, 0);
    assert.equal(short.app.jitReady(), false);
  });
});

describe('GET /adders/:n/life and the page in GET /adders/:n', () => {
  it('lists, with blinding, where bytes every page has spell the term: the int3 padding for 0xcccccccc', async () => {
    const t = await startTestApp();
    try {
      const term = 0xcccccccc | 0;
      await t.http.post('/adders').send({ term }).expect(201);
      const { body } = await t.http.get(`/adders/${term}`).expect(200);
      assert.notEqual(body.blinding, null);
      const code: string[] = body.code.split(' ');
      const int3Runs = code.flatMap((_byte, at) =>
        at + 4 <= code.length && code.slice(at, at + 4).every((byte) => byte === 'cc') ? [at] : [],
      );
      assert.ok(int3Runs.length > 0, `four int3 in a row in ${body.code}`);
      assert.deepEqual(body.termBytesAt, int3Runs);
    } finally {
      await t.close();
    }
  });

  it('shows the page, its blinding and its life, and the life after a release', async () => {
    const t = await startTestApp();
    try {
      await t.http.get('/adders/-4/apply?x=1').expect(200);
      const { body } = await t.http.get('/adders/-4').expect(200);
      assert.equal(body.page.codeBytes, body.code.split(' ').length);
      assert.equal(body.blinding.key ^ body.blinding.blindedTerm, -4);
      assert.deepEqual(body.termBytesAt, []);
      assert.deepEqual(
        body.life.steps.map((step: { step: string }) => step.step),
        ['mapped', 'written', 'sealed', 'called'],
      );
      assert.deepEqual((await t.http.get('/adders/-4/life').expect(200)).body, body.life);
      await t.http.delete('/adders/-4').expect(204);
      const released = (await t.http.get('/adders/-4/life').expect(200)).body;
      assert.equal(released.live, false);
      assert.equal(released.steps.at(-1).step, 'unmapped');
      const unknown = await t.http.get('/adders/12345/life').expect(404);
      assert.equal(errorMessage(unknown.body, 404), 'the service has no record of a page for adder 12345');
    } finally {
      await t.close();
    }
  });
});
