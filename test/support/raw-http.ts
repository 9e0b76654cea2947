/**
 * HTTP/1.1 spoken byte for byte over a raw socket, for tests that need what a client library would clean
 * up or refuse to send: invalid bytes, pipelined requests, bodies that arrive slowly or never end.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: Buffer;
}

export interface RawExchange {
  /** Every response the server sent, in order (pipelined requests get one each). */
  responses: RawResponse[];
  /** Everything the server sent, as received. */
  received: Buffer;
  /** The socket error the client saw, if any (ECONNRESET when an answer may have been lost). */
  error: string | undefined;
}

export interface RawOptions {
  /** Called once connected, with the socket, to send more later (a slow body). */
  onConnect?: (socket: Socket) => void;
  /** Give up (and destroy the socket) after this long without the server closing. */
  timeoutMs?: number;
  /** Half-close after writing, as a client that has nothing more to send does. */
  end?: boolean;
  /** The loopback address to connect from: how a test plays another client. */
  localAddress?: string;
  /** The requests are HEAD requests: their responses have a Content-Length but no body. */
  head?: boolean;
}

/**
 * Writes `bytes` on a fresh connection to 127.0.0.1:`port` and collects what comes back until the server
 * closes the connection (or the timeout).
 */
export function exchangeRaw(
  port: number,
  bytes: Buffer | string,
  options: RawOptions = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.setTimeout(options.timeoutMs ?? 15_000, () =>
      socket.destroy(new Error('the server did not close')),
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error = failure.code ?? failure.message;
    });
    socket.on('close', () => {
      const received = Buffer.concat(chunks);
      resolve({ responses: parseResponses(received, options.head ?? false), received, error });
    });
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    if (options.end ?? true) socket.end(data);
    else socket.write(data);
    options.onConnect?.(socket);
  });
}

/**
 * The responses in `raw`, one after another, each framed by its Content-Length (none: empty body), or
 * with no body at all when they answer HEAD requests.
 */
export function parseResponses(raw: Buffer, head = false): RawResponse[] {
  const responses: RawResponse[] = [];
  for (
    let taken = takeResponse(raw, 0, head);
    taken !== undefined;
    taken = takeResponse(raw, taken.next, head)
  ) {
    responses.push(taken.response);
  }
  return responses;
}

/**
 * The response that starts at `at` in `raw`, and where the next one starts; undefined while `raw` does not
 * hold all of it yet (or at all: `at` is its end).
 */
export function takeResponse(
  raw: Buffer,
  at: number,
  head = false,
): { response: RawResponse; next: number } | undefined {
  const headEnd = raw.indexOf('\r\n\r\n', at);
  if (headEnd === -1) return undefined;
  const lines = raw.subarray(at, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = head ? 0 : Number(headers.get('content-length') ?? 0);
  const bodyStart = headEnd + 4;
  if (raw.length < bodyStart + length) return undefined;
  return {
    response: { status, headers, body: raw.subarray(bodyStart, bodyStart + length) },
    next: bodyStart + length,
  };
}

/** Reads the next whole response from a socket that stays open; rejects if it closes first. */
export function readResponse(socket: Socket): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const taken = takeResponse(received, 0);
      if (taken === undefined) return;
      cleanup();
      resolve(taken.response);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`connection closed after ${received.length} bytes, before a whole response`));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** A GET request's bytes, as a keep-alive client pipelining them writes it. */
export function getRequest(path: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
}
