/**
 * The service against its own /openapi.json, operation by operation: requests generated from each
 * operation's schemas (test/support/openapi-requests.ts: valid, boundary and invalid parameters, bodies in
 * each declared content type and in others, both framings), and every answer held to the document: its
 * status documented for the operation, its Content-Type declared for that status, its body valid against
 * the schema declared for that content type (ajv, in the document's dialect), its documented headers
 * valid; and a HEAD answered as its GET is, without the body. A route added or changed without its
 * document, or the other way round, fails here.
 *
 * Deterministic: a fixed seed and a fixed number of requests per operation, sent one at a time.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestApp } from '../support/app.js';
import {
  fetchOpenApiDocument,
  type OpenApiOperation,
  operationsOf,
  resolveHeader,
} from '../support/openapi-document.js';
import { type GeneratedRequest, requestBytes, requestsFor } from '../support/openapi-requests.js';
import { OpenApiValidator } from '../support/openapi-validation.js';
import { exchangeRaw, takeResponse } from '../support/raw-http.js';

const SEED = 26;
/** Requests per operation (a HEAD operation's are each sent as its GET too). */
const RUNS = 100;

/** What came back: the head as parsed, and every byte after it until the service closed the connection. */
interface Answer {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Header fields about the message's framing and time, not its meaning: a HEAD may differ from its GET in them. */
const FRAMING_HEADERS = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/** Where `answer` departs from what the document says of `operation`; none if it agrees. */
function departures(
  validator: OpenApiValidator,
  operation: OpenApiOperation,
  method: string,
  answer: Answer,
): string[] {
  const response =
    operation.responses[String(answer.status)] ??
    operation.responses[`${Math.floor(answer.status / 100)}XX`] ??
    operation.responses.default;
  if (response === undefined) return [`status ${answer.status} is not documented`];
  const found: string[] = [];
  const declared = response.content ?? {};
  const contentType = answer.headers.get('content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== undefined && (mediaType === undefined || declared[mediaType] === undefined)) {
    found.push(`Content-Type ${contentType} is not declared for ${answer.status} (${Object.keys(declared)})`);
  }
  if (method === 'HEAD') {
    if (answer.body.length > 0) found.push(`a HEAD answered with a body of ${answer.body.length} bytes`);
  } else if (answer.body.length === 0) {
    if (Object.keys(declared).length > 0) found.push(`no body, where ${answer.status} declares one`);
  } else if (mediaType === undefined) {
    found.push('a body without a Content-Type');
  } else {
    const length = answer.headers.get('content-length');
    if (length !== undefined && Number(length) !== answer.body.length) {
      found.push(`Content-Length ${length} for a body of ${answer.body.length} bytes`);
    }
    const schema = declared[mediaType]?.schema;
    if (schema !== undefined && mediaType === 'application/json') {
      let value: unknown;
      try {
        value = JSON.parse(answer.body.toString('utf8'));
      } catch {
        found.push(`a body that is not JSON: ${answer.body.toString('utf8').slice(0, 100)}`);
      }
      if (value !== undefined) {
        const problems = validator.problems(schema, value);
        if (problems !== '') found.push(`a body that does not match its schema:\n${problems}`);
      }
    }
  }
  for (const [name, described] of Object.entries(response.headers ?? {})) {
    const header = resolveHeader(document, described);
    const value = answer.headers.get(name.toLowerCase());
    if (value === undefined) {
      if (header.required) found.push(`no ${name} header`);
    } else {
      const problems = validator.problems(header.schema, value);
      if (problems !== '') found.push(`header ${name}: ${value}: ${problems}`);
    }
  }
  return found;
}

/** Where a HEAD's answer departs from its GET's: the status, the content type, the headers that matter. */
function headDepartures(head: Answer, get: Answer): string[] {
  const found: string[] = [];
  if (head.status !== get.status) found.push(`HEAD answered ${head.status}, GET ${get.status}`);
  if (head.headers.get('content-type') !== get.headers.get('content-type')) {
    found.push(
      `HEAD's Content-Type ${head.headers.get('content-type')}, GET's ${get.headers.get('content-type')}`,
    );
  }
  const names = (answer: Answer) =>
    [...answer.headers.keys()].filter((name) => !FRAMING_HEADERS.has(name)).sort();
  if (names(head).join() !== names(get).join()) {
    found.push(`HEAD's header fields ${names(head).join()}, GET's ${names(get).join()}`);
  }
  return found;
}

// The document is read from the running service, before the tests are named after its operations. No load
// shedding (its answers would depend on the machine's load), and a small binary batch limit, so that a
// generated batch can be over it.
const t = await startTestApp({ maxEventLoopDelayMs: 0, binaryBatchLimitBytes: 64 });
const port = (t.app.server.address() as { port: number }).port;
const document = await fetchOpenApiDocument(t);
const validator = new OpenApiValidator(document);

async function send(method: string, request: GeneratedRequest): Promise<Answer> {
  const exchange = await exchangeRaw(port, requestBytes(method, request), { head: true, timeoutMs: 10_000 });
  const taken = takeResponse(exchange.received, 0, true);
  assert.ok(taken, `${method} ${request.target}: no answer (${exchange.error ?? 'the connection closed'})`);
  const { status, headers } = taken.response;
  return { status, headers, body: exchange.received.subarray(taken.next) };
}

/** A request as a line for a failure's message. */
const shown = (method: string, request: GeneratedRequest) =>
  `${method} ${request.target.slice(0, 200)} ${JSON.stringify(request.headers)} ${request.body?.framing ?? ''} ` +
  `${request.body?.bytes.subarray(0, 120).toString('latin1') ?? ''}`;

describe('the service against /openapi.json, under requests generated from its schemas', () => {
  after(() => t.close());

  it('finds an undocumented status, an undeclared content type, a body off its schema, a HEAD with a body or unlike its GET', () => {
    const healthz = document.paths['/healthz']?.get;
    const headAdders = document.paths['/adders']?.head;
    assert.ok(healthz && headAdders);
    const json = new Map([['content-type', 'application/json; charset=utf-8']]);
    const answer = (status: number, headers: Map<string, string>, body: string): Answer => ({
      status,
      headers,
      body: Buffer.from(body),
    });
    assert.deepEqual(departures(validator, healthz, 'GET', answer(200, json, '{"status":"ok"}')), []);
    assert.deepEqual(departures(validator, healthz, 'GET', answer(418, json, '{}')), [
      'status 418 is not documented',
    ]);
    assert.match(
      departures(
        validator,
        healthz,
        'GET',
        answer(200, new Map([['content-type', 'text/html']]), '<p>'),
      ).join(),
      /^Content-Type text\/html is not declared for 200 \(application\/json\)/,
    );
    assert.match(
      departures(validator, healthz, 'GET', answer(200, json, '{"status":"fine"}')).join(),
      /^a body that does not match its schema:\n\/status must be equal to one of the allowed values$/,
    );
    assert.deepEqual(departures(validator, headAdders, 'HEAD', answer(200, json, '{}')), [
      'a HEAD answered with a body of 2 bytes',
    ]);
    assert.deepEqual(
      headDepartures(answer(200, json, ''), answer(400, new Map([...json, ['x-jit-cache', 'hit']]), '{}')),
      ['HEAD answered 200, GET 400', "HEAD's header fields content-type, GET's content-type,x-jit-cache"],
    );
  });

  for (const [name, operation] of operationsOf(document)) {
    const [method = '', path = ''] = name.split(' ');
    const get = method === 'HEAD' ? document.paths[path]?.get : undefined;
    it(`${name}: answers ${RUNS} generated requests as documented${get ? ', and as its GET without the body' : ''}, never with a fault (500), a success and a refusal among them`, async () => {
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(requestsFor(path, method, operation), async (request) => {
          const answer = await send(method, request);
          statuses.add(answer.status);
          assert.deepEqual(departures(validator, operation, method, answer), [], shown(method, request));
          assert.notEqual(answer.status, 500, `a fault of the service: ${shown(method, request)}`);
          if (get === undefined) return;
          const got = await send('GET', request);
          assert.deepEqual(departures(validator, get, 'GET', got), [], shown('GET', request));
          assert.deepEqual(headDepartures(answer, got), [], shown(method, request));
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
      );
      const answered = [...statuses].sort();
      assert.ok(
        answered.some((status) => status < 300),
        `no success among ${answered}`,
      );
      assert.ok(
        answered.some((status) => status >= 400 && status < 500),
        `no refusal among ${answered}`,
      );
    });
  }
});
