import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CouchConnectionError, CouchHttp, CouchHttpError, docPath } from '../../../lib/store/couch-http';
import { isConnectionFailure } from '../../../lib/store/connection-retry';

interface Seen { method: string; url: string; authorization?: string; contentType?: string; body: string }

/** A server that records each request and answers with `answer`. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}) });
      answer(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('CouchHttp', () => {
  let server: Server | undefined;
  let client: CouchHttp | undefined;
  afterEach(async () => {
    client?.close();
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    client = undefined;
  });

  test('sends the credentials of the URL as basic auth, a JSON body, and parses the JSON answer', async () => {
    const served = await serve((_req, res) => json(res, 201, [{ ok: true, id: 'a', rev: '1-x' }]));
    server = served.server;
    client = new CouchHttp(served.url.replace('http://', 'http://admin:p%40ss@'));
    await expect(client.request('POST', 'runs/_bulk_docs', { body: { docs: [{ _id: 'a' }] } })).resolves.toEqual([{ ok: true, id: 'a', rev: '1-x' }]);
    expect(served.seen).toEqual([{
      method: 'POST', url: '/runs/_bulk_docs', body: '{"docs":[{"_id":"a"}]}', contentType: 'application/json',
      authorization: `Basic ${Buffer.from('admin:p@ss').toString('base64')}`,
    }]);
  });

  test('sends the keys of a range as JSON and other parameters as text; a document id is one path segment', async () => {
    const served = await serve((_req, res) => json(res, 200, { rows: [] }));
    server = served.server;
    client = new CouchHttp(`${served.url}/`);
    await client.request('GET', 'runs/_all_docs', { query: { startkey: 'stage/r1/', endkey: 'stage/r1/\ufff0', include_docs: true, limit: 2, skip: undefined } });
    await client.request('GET', docPath('runs', 'workflow/seq 1'));
    const listed = new URL(served.seen[0]!.url, 'http://x');
    expect(listed.pathname).toBe('/runs/_all_docs');
    expect(Object.fromEntries(listed.searchParams)).toEqual({ startkey: '"stage/r1/"', endkey: '"stage/r1/\ufff0"', include_docs: 'true', limit: '2' });
    expect(served.seen[1]!.url).toBe('/runs/workflow%2Fseq%201');
  });

  test('an error status rejects with its status, CouchDB\'s error and reason, and no credentials', async () => {
    const served = await serve((_req, res) => json(res, 409, { error: 'conflict', reason: 'Document update conflict.' }));
    server = served.server;
    client = new CouchHttp(served.url.replace('http://', 'http://admin:secret@'));
    const failure = await client.request('PUT', docPath('runs', 'a'), { body: {} }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CouchHttpError);
    expect(failure).toMatchObject({ statusCode: 409, error: 'conflict', reason: 'Document update conflict.' });
    expect(String((failure as Error).message)).toContain('PUT /runs/a');
    expect(String((failure as Error).message)).not.toContain('secret');
    expect(isConnectionFailure(failure)).toBe(false);
  });

  test('a success whose body is not JSON is an error, not an empty answer', async () => {
    const served = await serve((_req, res) => { res.writeHead(200); res.end('<html>proxy</html>'); });
    server = served.server;
    client = new CouchHttp(served.url);
    await expect(client.request('GET', 'runs/a')).rejects.toMatchObject({ statusCode: 200, error: 'bad_response' });
  });

  test('no server: a connection failure, which the store sends again', async () => {
    const served = await serve(() => undefined);
    const { url } = served;
    await new Promise((resolve) => served.server.close(resolve));
    client = new CouchHttp(url);
    const failure = await client.request('GET', 'runs/a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CouchConnectionError);
    expect(isConnectionFailure(failure)).toBe(true);
  });

  test('an answer cut off before its end is a connection failure, not a short document', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"_id":"a",');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    server = served.server;
    client = new CouchHttp(served.url);
    const failure = await client.request('GET', 'runs/a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CouchConnectionError);
    expect(isConnectionFailure(failure)).toBe(true);
  });
});
