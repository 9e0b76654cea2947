import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { REQUEST_ID_PATTERN, requestIdOf, traceIdOf } from '../../src/observability/request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** What requestIdOf reads of a request: its headers, as Node gives them (lower-case names). */
function requestWith(headers: Record<string, string | string[]>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('requestIdOf', () => {
  it('takes a client’s X-Request-Id that is a plain token of 1 to 64 characters', () => {
    for (const id of [
      'a',
      '5b0c1f2e-8a43-4d57-9d1a-1f0e6c8d2a77',
      '01HZX3J5Q8Y7V6T5R4E3W2Q1AB',
      'Root=1-67891233-abcdef012345678912345678',
      'aGVsbG8rd29ybGQ/Pz8=',
      'x'.repeat(64),
    ]) {
      assert.equal(requestIdOf(requestWith({ 'x-request-id': id })), id);
    }
  });

  it('ignores an X-Request-Id that is empty, too long or has characters a log or header would need quoted', () => {
    for (const id of ['', 'x'.repeat(65), 'has space', '<script>', '"quoted"', 'a,b', 'naïve', 'tab\there']) {
      assert.match(requestIdOf(requestWith({ 'x-request-id': id })), UUID, JSON.stringify(id));
    }
    // Node joins repeated X-Request-Id headers with ", ", which no usable id contains.
    assert.match(requestIdOf(requestWith({ 'x-request-id': 'a, b' })), UUID);
    assert.ok(!REQUEST_ID_PATTERN.test('a, b'));
  });

  it('takes the trace id of a valid traceparent when there is no usable X-Request-Id, the client’s id first', () => {
    assert.equal(requestIdOf(requestWith({ traceparent: TRACEPARENT })), TRACE_ID);
    assert.equal(requestIdOf(requestWith({ 'x-request-id': 'bad id', traceparent: TRACEPARENT })), TRACE_ID);
    assert.equal(requestIdOf(requestWith({ 'x-request-id': 'mine', traceparent: TRACEPARENT })), 'mine');
  });

  it('reads traceparent as W3C Trace Context says: lower-case hex, no zero ids, version ff invalid', () => {
    assert.equal(traceIdOf(TRACEPARENT), TRACE_ID);
    // A later version may append fields after the four it shares with 00.
    assert.equal(traceIdOf(`01-${TRACE_ID}-00f067aa0ba902b7-01-later`), TRACE_ID);
    for (const invalid of [
      `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`,
      `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`,
      `0-${TRACE_ID}-00f067aa0ba902b7-01`,
      'garbage',
    ]) {
      assert.equal(traceIdOf(invalid), undefined, invalid);
      assert.match(requestIdOf(requestWith({ traceparent: invalid })), UUID, invalid);
    }
  });

  it('otherwise makes a random UUID, a new one for every request: no counter that restarts with the process', () => {
    const ids = Array.from({ length: 1000 }, () => requestIdOf(requestWith({})));
    for (const id of ids) assert.match(id, UUID);
    assert.equal(new Set(ids).size, ids.length);
  });
});
