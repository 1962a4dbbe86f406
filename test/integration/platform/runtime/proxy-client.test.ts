/**
 * The container's HTTP client against a raw TCP server: the answers HTTP/1.1 allows (content-length,
 * chunked, ended by closing), keep-alive reuse, and a connection that breaks mid-answer.
 */
import * as net from 'node:net';
import { ProxyClient } from '../../../../lib/platform/runtime/proxy-client';
import { sleep } from '../../../helpers/until';

interface RawServer { port: number; connections: number; requests: string[]; close(): Promise<void> }

/** A server that answers each request with `answer(requestText)`, written as raw bytes. */
async function rawServer(answer: (request: string, socket: net.Socket) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, requests: [] as string[] };
  const server = net.createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      const request = buffered.slice(0, headEnd + 4 + length);
      buffered = buffered.slice(request.length);
      state.requests.push(request);
      answer(request, socket);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() { return state.connections; },
    requests: state.requests,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

const servers: RawServer[] = [];
const clients: ProxyClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setUp(answer: (request: string, socket: net.Socket) => void): Promise<{ server: RawServer; client: ProxyClient }> {
  const server = await rawServer(answer);
  const client = new ProxyClient(server.port, 1, 'test-secret');
  servers.push(server);
  clients.push(client);
  return { server, client };
}

test('sends a JSON POST and reads a content-length answer; reuses the connection', async () => {
  const { server, client } = await setUp((request, socket) => {
    const body = JSON.stringify({ echoed: request.split('\r\n\r\n')[1] });
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  const first = await client.post('/run', '{"value":{"ü":1}}');
  const second = await client.post('/run', '{}');
  expect(first).toEqual({ statusCode: 200, body: JSON.stringify({ echoed: Buffer.from('{"value":{"ü":1}}').toString('latin1') }) });
  expect(second.statusCode).toBe(200);
  expect(server.requests[0]).toMatch(/^POST \/run HTTP\/1\.1\r\n/);
  expect(server.requests[0]).toMatch(/\r\ncontent-length: 18\r\n/i);
  expect(server.connections).toBe(1);
});

test('reads a chunked answer delivered in pieces, and an error status', async () => {
  const { client } = await setUp((_request, socket) => {
    socket.write('HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\nd\r\n{"err');
    setTimeout(() => socket.write('or":"x"}\r\n'), 10);
    setTimeout(() => socket.write('3\r\n   \r\n0\r\n\r\n'), 20);
  });
  expect(await client.post('/init', '{}')).toEqual({ statusCode: 502, body: '{"error":"x"}   ' });
});

test('reads an answer ended by closing, and opens a new connection afterwards', async () => {
  const { server, client } = await setUp((_request, socket) => {
    socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"ok":true}');
  });
  expect(await client.post('/run', '{}')).toEqual({ statusCode: 200, body: '{"ok":true}' });
  expect(await client.post('/run', '{}')).toEqual({ statusCode: 200, body: '{"ok":true}' });
  expect(server.connections).toBe(2);
});

test('rejects when the connection breaks before the whole answer arrived', async () => {
  const { client } = await setUp((_request, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial"');
    setTimeout(() => socket.destroy(), 10);
  });
  await expect(client.post('/run', '{}')).rejects.toThrow(/aborted|socket hang up/i);
});

test('rejects requests in flight when closed', async () => {
  const { client } = await setUp(() => undefined);
  const pending = client.post('/run', '{}');
  await sleep(20);
  client.close();
  await expect(pending).rejects.toThrow();
  await expect(client.post('/run', '{}')).rejects.toThrow(/closed/);
});

test('rejects an answer whose chunked framing is broken', async () => {
  const { client } = await setUp((_request, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
  });
  await expect(client.post('/run', '{}')).rejects.toThrow(/chunk size/i);
});
