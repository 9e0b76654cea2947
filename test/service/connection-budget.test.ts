import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import {
  ADDER_ENTRY_BYTES,
  CONNECTION_BYTES,
  connectionBudget,
  FILES_KEPT,
  limitConnections,
  MIN_CONNECTIONS,
  memoryLimit,
  openFileLimit,
  WORKING_SET_BYTES,
} from '../../src/service/connection-budget.js';
import { waitUntil } from '../support/wait-for.js';

const MiB = 2 ** 20;

describe('connectionBudget', () => {
  it('is what the memory left after the working set and held results allows, one connection at a time', () => {
    const capacity = 4096;
    const spare = 100 * CONNECTION_BYTES + CONNECTION_BYTES - 1;
    const budget = connectionBudget({
      fileLimit: 1_048_576,
      memoryLimitBytes: WORKING_SET_BYTES + capacity * (16_384 + ADDER_ENTRY_BYTES) + 32 * MiB + spare,
      capacity,
      pageBytes: 16_384,
      heldResultsBytes: 32 * MiB,
    });
    assert.deepEqual(budget, {
      maxConnections: 100,
      limitedBy: 'memory',
      byFiles: 1_048_576 - FILES_KEPT,
      byMemory: 100,
    });
  });

  it('is what the open files allow, less those kept for the process, when they allow fewer', () => {
    const budget = connectionBudget({
      fileLimit: 400,
      memoryLimitBytes: 24 * 2 ** 30,
      capacity: 4096,
      pageBytes: 4096,
      heldResultsBytes: 32 * MiB,
    });
    assert.equal(budget.maxConnections, 400 - FILES_KEPT);
    assert.equal(budget.limitedBy, 'files');
  });

  it('never falls below MIN_CONNECTIONS for lack of memory, and has no file bound without a file limit', () => {
    const budget = connectionBudget({
      fileLimit: undefined,
      memoryLimitBytes: 64 * MiB,
      capacity: 4096,
      pageBytes: 4096,
      heldResultsBytes: 32 * MiB,
    });
    assert.deepEqual(budget, {
      maxConnections: MIN_CONNECTIONS,
      limitedBy: 'memory',
      byFiles: Number.POSITIVE_INFINITY,
      byMemory: MIN_CONNECTIONS,
    });
  });
});

describe('the limits the budget reads', () => {
  it('takes the soft limit on open files from /proc/self/limits, and none when it is unlimited', () => {
    const limits = (soft: string) =>
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      `Max open files            ${soft}                20000                files     \n`;
    assert.equal(openFileLimit(limits('1024')), 1024);
    assert.equal(openFileLimit(limits('unlimited')), undefined);
    assert.equal(openFileLimit(''), undefined);
    assert.ok((openFileLimit() ?? 0) > 0, 'this process has a limit');
  });

  it('takes the memory limit from the process, at most the machine’s memory', () => {
    const limit = memoryLimit();
    assert.ok(limit > 0 && Number.isSafeInteger(limit), String(limit));
  });
});

describe('limitConnections', () => {
  it('closes connections past the budget as they are accepted, counts them, and keeps those it holds', async () => {
    const server = createServer((_request, response) => response.end('ok'));
    let refused = 0;
    limitConnections(server, 2, pino({ level: 'silent' }), () => {
      refused += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const sockets = Array.from({ length: 5 }, () => connect({ port, host: '127.0.0.1' }));
    let closed = 0;
    for (const socket of sockets) {
      socket.on('error', () => {});
      socket.on('close', () => {
        closed += 1;
      });
    }
    try {
      await waitUntil('three refused', () => refused === 3 && closed === 3);
      assert.equal(server.maxConnections, 2);
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
      assert.equal(server.listening, true, 'an error accepting is logged, and the server goes on');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
