/**
 * The shutdown plugin in a bare Fastify app, for what the server-process test cannot show on loopback:
 * an answer still in Node's write buffer when the close begins. Node's http.Server#close() counts its
 * connection as idle (the answer is ended) and destroys it; the plugin waits for the bytes to be written.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import shutdownPlugin from '../../../src/service/plugins/app/shutdown.js';

describe('the shutdown plugin', () => {
  it('lets an answer that is still being written when close begins reach a slow reader whole', async () => {
    // Bigger than the kernel's socket buffers on loopback, so that most of it waits in Node's write buffer.
    const body = Buffer.alloc(32 * 1024 * 1024, 'a');
    const app = Fastify();
    await app.register(shutdownPlugin);
    app.get('/big', async (_request, reply) => reply.header('content-type', 'text/plain').send(body));
    await app.listen({ port: 0, host: '127.0.0.1' });
    let serverSide: Socket | undefined;
    app.server.on('connection', (accepted: Socket) => {
      serverSide = accepted;
    });
    const { port } = app.server.address() as { port: number };

    const socket = connect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    socket.write('GET /big HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    socket.pause(); // a slow reader
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    const closed = once(socket, 'close');
    // Close while the answer is sent (ended) but mostly still in Node's write buffer.
    await sleep(200);
    assert.ok((serverSide?.writableLength ?? 0) > 0, 'the answer is still being written');
    const closing = app.close();
    await sleep(200);
    socket.resume();
    await Promise.all([closing, closed]);
    const headerBytes = received - body.length;
    assert.ok(
      headerBytes > 0 && headerBytes < 1024,
      `received ${received} bytes for a body of ${body.length}`,
    );
  });
});

describe('the shutdown plugin’s wait for a first request', () => {
  it('closes a connection that has sent nothing once firstRequestWaitMs have passed, not before', async (t) => {
    const app = Fastify();
    await app.register(shutdownPlugin, { firstRequestWaitMs: 1000 });
    app.get('/', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const accepted = once(app.server, 'connection');
    const { port } = app.server.address() as { port: number };
    const silent = connect({ port, host: '127.0.0.1' });
    silent.resume();
    let closed = false;
    silent.on('close', () => {
      closed = true;
    });
    await accepted;

    // Time is driven by hand from here: the plugin's wait is a setTimeout.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const closing = app.close();
    const turns = async (count: number) => {
      for (let turn = 0; turn < count; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    };
    await turns(20);
    assert.equal(closed, false, 'closed at once');
    t.mock.timers.tick(999);
    await turns(20);
    assert.equal(closed, false, 'closed before the wait was over');
    t.mock.timers.tick(1);
    await turns(20);
    assert.equal(closed, true, 'still open after the wait');
    t.mock.timers.reset();
    await closing;
  });
});
