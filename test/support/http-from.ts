/**
 * One HTTP request on a connection of its own from a chosen loopback address (127.0.0.0/8 is all the
 * machine's): how a test plays several clients, told apart by address as the compile quota tells them.
 */
import { type IncomingHttpHeaders, request } from 'node:http';

export interface Answer {
  status: number;
  /** Header names in lower case. */
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestFromOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function requestFrom(
  localAddress: string,
  url: string,
  options: RequestFromOptions = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      localAddress,
      agent: false,
    });
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    outgoing.end(options.body);
  });
}

/** The value of a header that must be present once. */
export function header(answer: Answer, name: string): string {
  const value = answer.headers[name];
  if (typeof value !== 'string') throw new Error(`no ${name} header: ${JSON.stringify(answer.headers)}`);
  return value;
}
