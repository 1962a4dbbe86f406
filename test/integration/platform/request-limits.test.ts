/**
 * Requests are admitted before their bodies are read: credentials (401), content type (415) and
 * declared length (413) are checked on the headers, a chunked body is cut off as soon as it passes
 * its bound, and a refused upload costs the platform no memory. Entity sizes (exec, parameters,
 * annotations) are refused as OpenWhisk refuses them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../helpers/openwhisk-cli';
import { MB, settledRss, withPeakRss } from '../../helpers/memory';
import { raw } from './support';
import { usePlatform } from '../../helpers/local-platform';

const { platform, ow } = usePlatform({ runtime: { maxContainers: 2 } });

let workDir = '';
beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'whiskflow-limits-'));
  await ow.actions.create({ name: 'kept', action: 'function main(params) { return { got: params }; }' });
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const basic = () => `Basic ${Buffer.from(platform.auth).toString('base64')}`;

interface Upload {
  status: number;
  body: any;
  /** Body bytes handed to the socket when the answer came. */
  written: number;
  /** True when the whole body had been written (and the request ended) before the answer. */
  sentAll: boolean;
}

/**
 * Sends the headers at once, then `total` body bytes in 64 KiB chunks with backpressure, stopping as
 * soon as the answer arrives. Without `content-length` in `headers` the body is chunked.
 */
function upload(method: string, path: string, headers: Record<string, string | number>, total: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, platform.apihost), { method, headers, agent: false });
    let written = 0;
    let sentAll = false;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      const writtenAtAnswer = written;
      const sentAllAtAnswer = sentAll;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, written: writtenAtAnswer, sentAll: sentAllAtAnswer });
      });
    });
    // The platform may close the connection of a refused upload once it has answered.
    request.on('error', (error) => { if (!answered) reject(error); });
    request.flushHeaders();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (!answered && written < total) {
        const size = Math.min(chunk.length, total - written);
        written += size;
        if (!request.write(size === chunk.length ? chunk : chunk.subarray(0, size))) { request.once('drain', pump); return; }
      }
      if (!answered && total > 0) { sentAll = true; request.end(); }
    };
    pump();
  });
}

const errorBody = { error: expect.any(String), code: expect.any(String) };

describe('refused on the headers, before the body is sent', () => {
  test('an unauthenticated PUT declaring 45 MB gets 401 while none of its body has been sent', async () => {
    const answer = await upload('PUT', '/api/v1/namespaces/_/actions/big', { 'content-type': 'application/json', 'content-length': 45_000_000 }, 0);
    expect(answer).toEqual({ status: 401, body: { error: 'The supplied authentication is invalid.', code: expect.any(String) }, written: 0, sentAll: false });
  });

  test('a wrong key is refused the same way', async () => {
    const wrong = `Basic ${Buffer.from('23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrong').toString('base64')}`;
    const answer = await upload('PUT', '/api/v1/namespaces/_/actions/big', { authorization: wrong, 'content-type': 'application/json', 'content-length': 45_000_000 }, 0);
    expect(answer.status).toBe(401);
    expect(answer.written).toBe(0);
  });

  test('an invoke declaring more than the payload limit gets 413 with the sizes before its body is sent', async () => {
    const answer = await upload('POST', '/api/v1/namespaces/_/actions/kept?blocking=true', { authorization: basic(), 'content-type': 'application/json', 'content-length': 45_000_000 }, 0);
    expect(answer).toEqual({ status: 413, body: { error: 'Request larger than allowed: 45000000 > 1048576 bytes.', code: expect.any(String) }, written: 0, sentAll: false });
  });

  test('a PUT declaring more than 50 MB gets 413 before its body is sent, even without credentials', async () => {
    const declared = 60 * MB;
    for (const authorization of [basic(), undefined]) {
      const answer = await upload('PUT', '/api/v1/namespaces/_/actions/huge', { ...(authorization ? { authorization } : {}), 'content-type': 'application/json', 'content-length': declared }, 0);
      expect(answer).toEqual({ status: 413, body: { error: `Request larger than allowed: ${declared} > ${50 * MB} bytes.`, code: expect.any(String) }, written: 0, sentAll: false });
    }
  });

  test('a web action body declaring more than the payload limit gets 413 before it is sent', async () => {
    const answer = await upload('POST', '/api/v1/web/guest/default/kept.json', { 'content-type': 'text/plain', 'content-length': 45_000_000 }, 0);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: 'Request larger than allowed: 45000000 > 1048576 bytes.', code: expect.any(String) });
    expect(answer.written).toBe(0);
  });

  test('a client waiting for 100 Continue is refused without being asked for its body', async () => {
    const answer = await upload('PUT', '/api/v1/namespaces/_/actions/big', { expect: '100-continue', 'content-type': 'application/json', 'content-length': 45_000_000 }, 0);
    expect(answer.status).toBe(401);
  });
});

describe('cut off while the body arrives', () => {
  test('a chunked invoke body growing past 1 MB is answered 413 before the client has sent it all', async () => {
    const answer = await upload('POST', '/api/v1/namespaces/_/actions/kept?blocking=true', { authorization: basic(), 'content-type': 'application/json' }, 64 * MB);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatch(/^Request larger than allowed: \d+ > 1048576 bytes\.$/);
    expect(answer.sentAll).toBe(false);
    expect(answer.written).toBeLessThan(64 * MB);
  });

  test('16 unauthenticated 45 MB PUTs, sent in full by their clients, leave the RSS growth under 50 MB', async () => {
    const before = await settledRss();
    const { result: answers, peak } = await withPeakRss(() => Promise.all(Array.from({ length: 16 }, () =>
      upload('PUT', '/api/v1/namespaces/_/actions/big', { 'content-type': 'application/json', 'content-length': 45_000_000 }, 45_000_000))));
    const after = await settledRss();
    process.stdout.write(`16 refused 45 MB uploads: RSS ${Math.round(before / MB)} MB before, peak ${Math.round(peak / MB)} MB, ${Math.round(after / MB)} MB after\n`);
    expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill(401));
    expect(answers.every((answer) => !answer.sentAll)).toBe(true);
    expect(peak - before).toBeLessThan(50 * MB);
    expect(after - before).toBeLessThan(50 * MB);
    // The platform still answers on new connections.
    expect((await raw(platform, 'GET', '/api/v1/namespaces/_/actions/kept')).status).toBe(200);
  });
});

function curl(...args: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-w', '\n%{http_code}', ...args], (error, stdout) => {
      if (error) { reject(error); return; }
      const at = stdout.lastIndexOf('\n');
      const text = stdout.slice(0, at);
      resolve({ status: Number(stdout.slice(at + 1)), body: text ? JSON.parse(text) : undefined });
    });
  });
}

describe('content types', () => {
  test('curl -X PUT -H "Content-Type: text/plain" is 415, and nothing is created', async () => {
    const url = `${platform.apihost}/api/v1/namespaces/_/actions/plain`;
    const answer = await curl('-X', 'PUT', '-u', platform.auth, '-H', 'Content-Type: text/plain', '--data', '{"exec":{"kind":"nodejs:20","code":"function main() { return {}; }"}}', url);
    expect(answer).toEqual({ status: 415, body: { error: "The request's Content-Type [text/plain] is not supported. Expected:\napplication/json", code: expect.any(String) } });
    expect((await raw(platform, 'GET', '/api/v1/namespaces/_/actions/plain')).status).toBe(404);
  });

  test('an invoke or a fire with a non-JSON body is 415; JSON with a charset is accepted', async () => {
    const invoke = await curl('-X', 'POST', '-u', platform.auth, '-H', 'Content-Type: application/x-www-form-urlencoded', '--data', 'a=1', `${platform.apihost}/api/v1/namespaces/_/actions/kept?blocking=true`);
    expect(invoke.status).toBe(415);
    expect(invoke.body).toEqual(errorBody);
    await ow.triggers.create({ name: 'plain-trigger' });
    const fire = await curl('-X', 'POST', '-u', platform.auth, '-H', 'Content-Type: text/plain', '--data', 'hello', `${platform.apihost}/api/v1/namespaces/_/triggers/plain-trigger`);
    expect(fire.status).toBe(415);
    const json = await curl('-X', 'POST', '-u', platform.auth, '-H', 'Content-Type: application/json; charset=utf-8', '--data', '{"n":1}', `${platform.apihost}/api/v1/namespaces/_/actions/kept?blocking=true&result=true`);
    expect(json).toEqual({ status: 200, body: { got: { n: 1 } } });
  });

  test('web actions still take any content type', async () => {
    await ow.actions.create({ name: 'web-echo', action: 'function main(params) { return { got: params }; }', annotations: { 'web-export': true } });
    const answer = await curl('-X', 'POST', '-H', 'Content-Type: text/plain', '--data', 'Jane', `${platform.apihost}/api/v1/web/guest/default/web-echo.json`);
    expect(answer.status).toBe(200);
    expect(answer.body.got.__ow_body).toBe('Jane');
  });
});

describe('entity sizes, as OpenWhisk checks them', () => {
  const code = 'function main() { return {}; }';

  test('annotations over 1 MB are 413 "annotations larger than allowed" through the npm client, and nothing is created', async () => {
    const value = 'x'.repeat(MB);
    // Parameters.size: the key's bytes plus the value's JSON (with its quotes).
    const size = 'big'.length + value.length + 2;
    await expect(ow.actions.create({ name: 'annotated', action: code, annotations: { big: value } }))
      .rejects.toMatchObject({ statusCode: 413, message: expect.stringContaining(`annotations larger than allowed: ${size} > 1048576 bytes.`) });
    expect((await raw(platform, 'GET', '/api/v1/namespaces/_/actions/annotated')).status).toBe(404);
    await expect(ow.triggers.create({ name: 'annotated-trigger', trigger: { annotations: [{ key: 'big', value }] } }))
      .rejects.toMatchObject({ statusCode: 413 });
    await expect(ow.packages.create({ name: 'annotated-package', package: { annotations: [{ key: 'big', value }] } }))
      .rejects.toMatchObject({ statusCode: 413 });
  });

  test('wsk with an annotation file and a parameter file over 1 MB fails with OpenWhisk\'s texts', async () => {
    const file = join(workDir, 'hello.js');
    writeFileSync(file, code);
    const annotations = join(workDir, 'annotations.json');
    writeFileSync(annotations, JSON.stringify({ big: 'y'.repeat(MB) }));
    const parameters = join(workDir, 'parameters.json');
    writeFileSync(parameters, JSON.stringify({ big: 'z'.repeat(MB) }));
    const annotated = await runTool('wsk', ['action', 'create', 'wsk-annotated', file, '--annotation-file', annotations], platform, { cwd: workDir });
    expect(annotated.code).not.toBe(0);
    expect(annotated.stderr).toContain('annotations larger than allowed');
    const parameterized = await runTool('wsk', ['action', 'create', 'wsk-parameterized', file, '--param-file', parameters], platform, { cwd: workDir });
    expect(parameterized.code).not.toBe(0);
    expect(parameterized.stderr).toContain('parameters larger than allowed');
    // Just under the limit is accepted.
    writeFileSync(annotations, JSON.stringify({ big: 'y'.repeat(MB - 10) }));
    const fits = await runTool('wsk', ['action', 'create', 'wsk-annotated', file, '--annotation-file', annotations], platform, { cwd: workDir });
    expect(fits.code).toBe(0);
  });
});
