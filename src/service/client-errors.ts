/**
 * Answers what Node's HTTP parser refuses before any route sees it (a malformed request line or header,
 * request headers too large, a request that took too long to arrive) in the one error shape, then closes
 * the connection without losing the answer.
 *
 * The connection cannot carry another request (the parser has lost the request boundaries), so it is
 * closed. Closed at once, as Fastify's default handler does, a socket that still has the client's unread
 * bytes in its receive buffer, or gets more of them, is reset by the kernel, and the reset can reach the
 * client before it has read the answer: on Node.js 24, whose parser refuses raw bytes above 0x7f in a
 * request target, a client sending such a request with a large body got ECONNRESET instead of the 400.
 * So the answer is written and the sending side closed, and the client's remaining bytes are read and
 * dropped for a short while (a "lingering close", as nginx and Apache do) before the socket is destroyed.
 *
 * Unless an answer has begun on the connection: a streamed binary batch sends its head before its body has
 * arrived, and a request timeout or a body cut short is reported here while its results are being sent.
 * Anything written then would reach the client inside that answer, as if it were results; so the
 * connection is ended without another byte, and the client sees an answer shorter than its Content-Length.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { newRequestId } from '../observability/request-id.js';
import { openConnectionsOf } from './open-connections.js';
import { everyAnswerHeaderLines } from './response-headers.js';

/** How long, and how many bytes, a refused connection's remaining input is read and dropped at most. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 1024 * 1024;

/** What each of the parser's complaints means, in words a client can act on (codes from llhttp and Node). */
const PARSER_ERRORS: Record<string, [status: number, message: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in full within the request timeout'],
  HPE_HEADER_OVERFLOW: [431, 'the request headers are larger than the server accepts'],
  HPE_INVALID_URL: [
    400,
    'malformed HTTP request: the request target is not a valid URL (bytes outside ASCII must be percent-encoded)',
  ],
  HPE_INVALID_METHOD: [400, 'malformed HTTP request: unknown method'],
  HPE_INVALID_VERSION: [400, 'malformed HTTP request: the HTTP version is not HTTP/1.0 or HTTP/1.1'],
  HPE_INVALID_HEADER_TOKEN: [400, 'malformed HTTP request: a header name or value has invalid characters'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'malformed HTTP request: the Content-Length is not a number'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'malformed HTTP request: both Content-Length and Transfer-Encoding'],
  HPE_INVALID_CHUNK_SIZE: [400, 'malformed HTTP request: a chunk size is not hexadecimal'],
  HPE_INVALID_TRANSFER_ENCODING: [400, 'malformed HTTP request: unsupported Transfer-Encoding'],
};

/** The status and message for a parser error; its code is the parser's, never the client's text. */
export function describeClientError(code: string | undefined): { statusCode: number; message: string } {
  const known = code === undefined ? undefined : PARSER_ERRORS[code];
  if (known !== undefined) return { statusCode: known[0], message: known[1] };
  return { statusCode: 400, message: `malformed HTTP request (${code ?? 'unknown parser error'})` };
}

/** What Node leaves on a parser's error: the bytes it was parsing (a Buffer), and how many it had parsed. */
type ParserError = Error & { code?: string; rawPacket?: unknown; bytesParsed?: number };

/**
 * Whether the refused request is a HEAD, whose answer has no body (RFC 9110, 9.3.2). The parser keeps no
 * method for a request it refused, so this reads the last request line among the bytes it had parsed. A
 * request line that came in an earlier read than the error is not among them: that answer keeps its body.
 */
export function isHeadRequest(error: ParserError): boolean {
  const packet = error.rawPacket;
  if (!Buffer.isBuffer(packet)) return false;
  const parsed = packet.subarray(0, error.bytesParsed ?? packet.length).toString('latin1');
  const requestLines = [...parsed.matchAll(/(?:^|\n)([A-Z]+) [^ \r\n]+ HTTP\/1\.[01]\r?\n/g)];
  return requestLines.at(-1)?.[1] === 'HEAD';
}

/** Fastify's `clientErrorHandler`: bound to the app, called with the parser's error and the socket. */
export function answerClientError(this: FastifyInstance, error: ParserError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (openConnectionsOf(this.server).answerBegun(socket)) {
    this.log.debug({ err: error }, 'ended a connection whose answer had begun, writing nothing more on it');
    socket.destroy();
    return;
  }
  const { statusCode, message } = describeClientError(error.code);
  // Node hands over the socket, not a request: there is no client id to take, so the answer gets a new one.
  const reqId = newRequestId();
  this.log.debug({ reqId, err: error, statusCode }, 'refused a malformed request before routing');
  const body = JSON.stringify({ statusCode, error: STATUS_CODES[statusCode], message });
  // Stop the server's parser reading this socket: what follows is dropped, not parsed.
  socket.removeAllListeners('data');
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        everyAnswerHeaderLines(reqId) +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${isHeadRequest(error) ? '' : body}`,
    );
  }
  lingerThenDestroy(socket);
}

/** Reads and drops the client's remaining input until it closes its side, or for LINGER_MS/LINGER_BYTES. */
function lingerThenDestroy(socket: Socket): void {
  let dropped = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) socket.destroy();
  });
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
}
