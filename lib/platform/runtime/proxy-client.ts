/**
 * Talks to one container's action proxy over a keep-alive connection, so that a warm activation
 * costs one request on an open socket instead of a TCP handshake.
 */
import * as http from 'node:http';
import { SECRET_HEADER } from './proxy-environment';
import type { ProxyHttpResponse } from './proxy-response';

export class ProxyClient {
  private readonly agent: http.Agent;
  private closed = false;

  /** `secret`: the container's, without which its proxy refuses the request (proxy-process.ts). */
  constructor(private readonly port: number, maxSockets: number, private readonly secret: string) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  }

  /** Rejects when the connection breaks before a whole answer arrived (the process died). */
  post(route: '/init' | '/run', body: string): Promise<ProxyHttpResponse> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the connection to the action proxy is closed'));
        return;
      }
      const request = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: route,
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), [SECRET_HEADER]: this.secret },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Closes every connection; requests in flight reject. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}
