/**
 * The Node.js runtime against real containers (child processes running the action proxy): the
 * proxy protocol, results and errors as the invoker records them, environment, logs.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import AdmZip from 'adm-zip';
import { createNodeRuntime, type ActionRuntime } from '../../../../lib/platform/runtime';
import { compileRuntime, type CompiledRuntime } from './compiled-runtime';
import { API_HOST, API_KEY, isProcessAlive, logMessages, nodeAction, runRequest } from './fixtures';

// Containers are real processes; on a loaded 2-core machine a test can take seconds (jest's
// per-project testTimeout is not applied to projects, so set it here).
jest.setTimeout(60_000);

let compiled: CompiledRuntime;
let runtime: ActionRuntime;

beforeAll(() => {
  compiled = compileRuntime();
  process.env['WHISKFLOW_TEST_PLATFORM_SECRET'] = 'must-not-leak';
  runtime = createNodeRuntime({ proxyPath: compiled.proxyPath, maxContainers: 8 });
});

afterAll(async () => {
  await runtime.shutdown();
  delete process.env['WHISKFLOW_TEST_PLATFORM_SECRET'];
  compiled.remove();
});

describe('warm and cold starts', () => {
  it('starts a container cold, then reuses it warm', async () => {
    const action = nodeAction('function main(params) { return { pid: process.pid, echo: params.word }; }');
    const starts: Array<{ containerId: string; cold: boolean }> = [];
    const first = await runtime.run(action, runRequest(action, { word: 'one' }, { onStart: (info) => starts.push(info) }));
    const second = await runtime.run(action, runRequest(action, { word: 'two' }, { onStart: (info) => starts.push(info) }));

    expect(first).toMatchObject({ status: 'success', cold: true, timedOut: false, result: { echo: 'one' } });
    expect(first.initTime).toEqual(expect.any(Number));
    expect(second).toMatchObject({ status: 'success', cold: false, result: { echo: 'two', pid: first.result['pid'] } });
    expect(second).not.toHaveProperty('initTime');
    expect(second.containerId).toBe(first.containerId);
    expect(starts).toEqual([{ containerId: first.containerId, cold: true }, { containerId: first.containerId, cold: false }]);
    expect(first.end).toBeGreaterThanOrEqual(first.start);
  });

  it('does not reuse containers of an older revision', async () => {
    const action = nodeAction('function main() { return { version: 1 }; }');
    const before = await runtime.run(action, runRequest(action));
    const updated = { ...action, revision: '2-b', code: 'function main() { return { version: 2 }; }' };
    const after = await runtime.run(updated, runRequest(updated));
    expect(after).toMatchObject({ cold: true, result: { version: 2 } });
    expect(after.containerId).not.toBe(before.containerId);
  });

  it('evicts the containers of an action', async () => {
    const action = nodeAction('function main() { return { pid: process.pid }; }');
    const before = await runtime.run(action, runRequest(action));
    await runtime.evict(action.fqn);
    expect(runtime.stats().memoryByContainer).not.toHaveProperty(before.containerId);
    expect(isProcessAlive(before.result['pid'] as number)).toBe(false);
    const after = await runtime.run(action, runRequest(action));
    expect(after.cold).toBe(true);
  });
});

describe('results', () => {
  it('accepts main returning a promise and an exported main', async () => {
    const action = nodeAction('exports.main = async (params) => ({ sum: params.a + params.b });');
    expect(await runtime.run(action, runRequest(action, { a: 2, b: 3 }))).toMatchObject({ status: 'success', result: { sum: 5 } });
  });

  it('treats an empty return as an empty result', async () => {
    const action = nodeAction('function main() { return; }');
    expect(await runtime.run(action, runRequest(action))).toMatchObject({ status: 'success', result: {} });
  });

  it('records a result with an error field as an application error', async () => {
    const action = nodeAction('function main() { return { error: "bad input" }; }');
    expect(await runtime.run(action, runRequest(action))).toMatchObject({ status: 'application error', result: { error: 'bad input' } });
  });

  it('serializes a rejected promise into an application error and keeps the container', async () => {
    const action = nodeAction('function main(params) { return params.fail ? Promise.reject(new RangeError("too far")) : { ok: true }; }');
    const rejected = await runtime.run(action, runRequest(action, { fail: true }));
    expect(rejected).toMatchObject({ status: 'application error', result: { error: { name: 'RangeError', message: 'too far' } } });
    expect(String((rejected.result['error'] as { stack: string }).stack)).toContain('RangeError: too far');
    const next = await runtime.run(action, runRequest(action));
    expect(next).toMatchObject({ status: 'success', cold: false, containerId: rejected.containerId });
  });

  it('records a bare reject() as an empty error', async () => {
    const action = nodeAction('function main() { return Promise.reject(); }');
    expect(await runtime.run(action, runRequest(action))).toMatchObject({ status: 'application error', result: { error: {} } });
  });

  it('makes a thrown error a developer error and replaces the container', async () => {
    const action = nodeAction('let runs = 0; function main(p) { runs += 1; if (p.fail) throw new Error("boom"); return { runs }; }');
    const thrown = await runtime.run(action, runRequest(action, { fail: true }));
    expect(thrown).toMatchObject({ status: 'action developer error', result: { error: 'An error has occurred: Error: boom' } });
    expect(logMessages(thrown.logs)).toEqual(expect.arrayContaining(['stderr: Error: boom']));
    expect(logMessages(thrown.logs).at(-1)).toBe('stderr: The action did not initialize or run as expected. Log data might be missing.');
    const next = await runtime.run(action, runRequest(action));
    expect(next).toMatchObject({ status: 'success', cold: true, result: { runs: 1 } });
  });

  it('makes a result that is not a dictionary a developer error', async () => {
    const action = nodeAction('function main() { return 42; }');
    const outcome = await runtime.run(action, runRequest(action));
    expect(outcome).toMatchObject({ status: 'action developer error', result: { error: 'The action did not return a dictionary.' } });
    expect(logMessages(outcome.logs)).toContain('stderr: Result must be of type object but has type "number": 42');
  });

  it('reports a container that crashes mid-run', async () => {
    const action = nodeAction('function main() { setImmediate(() => process.exit(3)); return new Promise(() => {}); }');
    const outcome = await runtime.run(action, runRequest(action));
    expect(outcome).toMatchObject({
      status: 'action developer error',
      timedOut: false,
      result: { error: 'The action did not produce a valid response and exited unexpectedly.' },
    });
    expect(runtime.stats().memoryByContainer).not.toHaveProperty(outcome.containerId);
  });
});

describe('init failures', () => {
  it('reports a syntax error with the runtime message and destroys the container', async () => {
    const action = nodeAction('function main( {');
    const outcome = await runtime.run(action, runRequest(action));
    expect(outcome.status).toBe('action developer error');
    expect(outcome.cold).toBe(true);
    expect(outcome.result['error']).toMatch(/^Initialization has failed due to: .*SyntaxError/s);
    expect(logMessages(outcome.logs)[0]).toMatch(/^stderr: Error during initialization: /);
    expect(logMessages(outcome.logs).at(-1)).toBe('stderr: The action did not initialize or run as expected. Log data might be missing.');
    expect(runtime.stats().memoryByContainer).not.toHaveProperty(outcome.containerId);
  });

  it('reports a missing main', async () => {
    const action = nodeAction('function notMain() { return {}; }');
    expect(await runtime.run(action, runRequest(action))).toMatchObject({
      status: 'action developer error',
      result: { error: "Initialization has failed due to: Action entrypoint 'main' is not a function." },
    });
  });

  it('honours a custom main name', async () => {
    const action = nodeAction('function handler() { return { handled: true }; }', { main: 'handler' });
    expect(await runtime.run(action, runRequest(action))).toMatchObject({ status: 'success', result: { handled: true } });
  });
});

describe('timeouts', () => {
  it('kills a container that exceeds its time limit and answers as OpenWhisk does', async () => {
    const action = nodeAction('function main(p) { console.log("started"); return p.hang ? new Promise(() => {}) : { pid: process.pid }; }', {
      limits: { timeout: 700 },
    });
    const warm = await runtime.run(action, runRequest(action));
    const outcome = await runtime.run(action, runRequest(action, { hang: true }));
    expect(outcome).toMatchObject({
      status: 'action developer error',
      timedOut: true,
      result: { error: 'The action exceeded its time limits of 700 milliseconds.' },
    });
    expect(logMessages(outcome.logs)).toEqual(['stdout: started', 'stderr: The action did not initialize or run as expected. Log data might be missing.']);
    expect(isProcessAlive(warm.result['pid'] as number)).toBe(false);
    const after = await runtime.run(action, runRequest(action));
    expect(after).toMatchObject({ status: 'success', cold: true });
  });

  it('bounds initialization by the time limit too', async () => {
    const action = nodeAction('const until = Date.now() + 60000; while (Date.now() < until) {}\nfunction main() { return {}; }', { limits: { timeout: 500 } });
    expect(await runtime.run(action, runRequest(action))).toMatchObject({
      status: 'action developer error',
      timedOut: true,
      result: { error: 'The action exceeded its time limits of 500 milliseconds during initialization.' },
    });
  });
});

describe('environment', () => {
  it('sets the __OW_ variables per activation and the init env, and nothing of the platform', async () => {
    const action = nodeAction(
      'function main() { const e = process.env; return { host: e.__OW_API_HOST, key: e.__OW_API_KEY, ns: e.__OW_NAMESPACE, name: e.__OW_ACTION_NAME, id: e.__OW_ACTIVATION_ID, deadline: e.__OW_DEADLINE, extra: e.FROM_INIT, secret: e.WHISKFLOW_TEST_PLATFORM_SECRET || null }; }',
      { env: { FROM_INIT: 'yes' } },
    );
    const request = runRequest(action, {}, { namespace: 'caller-ns', deadline: 1_900_000_000_000 });
    const outcome = await runtime.run(action, request);
    expect(outcome.result).toEqual({
      host: API_HOST,
      key: API_KEY,
      ns: 'caller-ns',
      name: action.fqn,
      id: request.activationId,
      deadline: '1900000000000',
      extra: 'yes',
      secret: null,
    });
  });

  it("lets actions require('openwhisk') and call the platform with the activation's credentials", async () => {
    const seen: Array<{ url?: string; authorization?: string }> = [];
    const platform = http.createServer((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('[{"name":"listed"}]');
    });
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
    try {
      const apiHost = `http://127.0.0.1:${(platform.address() as AddressInfo).port}`;
      const action = nodeAction('const openwhisk = require("openwhisk");\nasync function main() { const actions = await openwhisk().actions.list(); return { names: actions.map((a) => a.name) }; }');
      const outcome = await runtime.run(action, runRequest(action, {}, { apiHost }));
      expect(outcome).toMatchObject({ status: 'success', result: { names: ['listed'] } });
      // The client reads __OW_API_HOST, __OW_API_KEY and __OW_NAMESPACE, as on OpenWhisk.
      expect(seen).toEqual([{ url: expect.stringMatching(/^\/api\/v1\/namespaces\/guest\/actions\b/), authorization: `Basic ${Buffer.from(API_KEY).toString('base64')}` }]);
    } finally {
      await new Promise((resolve) => platform.close(resolve));
    }
  });
});

describe('zip actions', () => {
  function zipOf(files: Record<string, string>): string {
    const zip = new AdmZip();
    for (const [name, content] of Object.entries(files)) zip.addFile(name, Buffer.from(content));
    return zip.toBuffer().toString('base64');
  }

  it('loads the package.json main with its relative requires and files', async () => {
    const code = zipOf({
      'package.json': JSON.stringify({ name: 'zipped', main: 'lib/entry.js' }),
      'lib/entry.js': 'const helper = require("./helper"); const fs = require("fs"); exports.main = (p) => ({ text: helper(p.name), data: fs.readFileSync("data.txt", "utf8") });',
      'lib/helper.js': 'module.exports = (name) => "hello " + name;',
      'data.txt': 'bundled',
    });
    const action = nodeAction(code, { binary: true });
    expect(await runtime.run(action, runRequest(action, { name: 'zip' }))).toMatchObject({ status: 'success', result: { text: 'hello zip', data: 'bundled' } });
  });

  it('accepts a file.function main', async () => {
    const action = nodeAction(zipOf({ 'index.js': 'exports.main = () => ({})', 'other.js': 'exports.go = () => ({ from: "other" })' }), { binary: true, main: 'other.go' });
    expect(await runtime.run(action, runRequest(action))).toMatchObject({ status: 'success', result: { from: 'other' } });
  });

  it('rejects a zip without package.json or index.js', async () => {
    const action = nodeAction(zipOf({ 'lib.js': 'exports.main = () => ({})' }), { binary: true });
    expect(await runtime.run(action, runRequest(action))).toMatchObject({
      status: 'action developer error',
      result: { error: 'Initialization has failed due to: Zipped actions must contain either package.json or index.js at the root.' },
    });
  });

  it('rejects an archive that is not a zip', async () => {
    const action = nodeAction(Buffer.from('not a zip at all').toString('base64'), { binary: true });
    expect(await runtime.run(action, runRequest(action))).toMatchObject({
      status: 'action developer error',
      result: { error: 'Initialization has failed due to: There was an error uncompressing the action archive.' },
    });
  });
});

describe('logs', () => {
  it('collects each activation up to its sentinels, line by line, in the invoker format', async () => {
    const action = nodeAction(
      'function main(p) { console.log("out " + p.n + "\\nsecond line"); console.error("err " + p.n); setImmediate(() => console.log("late " + p.n)); return {}; }',
    );
    const first = await runtime.run(action, runRequest(action, { n: 1 }));
    const second = await runtime.run(action, runRequest(action, { n: 2 }));
    for (const line of first.logs) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {7}(stdout|stderr): /);
    // stdout and stderr are separate pipes, so only the order within each stream is known.
    const byStream = (logs: string[]): string[] => [...logMessages(logs).filter((l) => l.startsWith('stdout')), ...logMessages(logs).filter((l) => l.startsWith('stderr'))];
    expect(byStream(first.logs)).toEqual(['stdout: out 1', 'stdout: second line', 'stderr: err 1']);
    // A line written after an activation ended belongs to the next one, as in a Docker log file.
    expect(byStream(second.logs)).toEqual(['stdout: late 1', 'stdout: out 2', 'stdout: second line', 'stderr: err 2']);
  });

  it('truncates at the log limit with the invoker notice', async () => {
    const action = nodeAction('function main() { const line = "x".repeat(1024); for (let i = 0; i < 1100; i++) console.log(line); return {}; }', {
      limits: { logs: 1 },
    });
    const outcome = await runtime.run(action, runRequest(action));
    expect(outcome.status).toBe('success');
    // 1024 lines of 1 KiB fill the 1 MiB limit exactly; the next one is cut and the notice appended.
    expect(outcome.logs).toHaveLength(1025);
    expect(logMessages(outcome.logs).at(-1)).toBe('stderr: Logs were truncated because the total bytes size exceeds the limit of 1048576 bytes.');
  });

  it('collects nothing when the log limit is 0', async () => {
    const action = nodeAction('function main() { console.log("ignored"); return {}; }', { limits: { logs: 0 } });
    expect(await runtime.run(action, runRequest(action))).toMatchObject({ status: 'success', logs: [] });
  });
});

describe('memory', () => {
  it('reports resident memory per container and aborts an action that exceeds its memory limit', async () => {
    const action = nodeAction(
      'const hoard = []; function main(p) { if (p.grow) { for (;;) hoard.push(new Array(1e6).fill(Math.random())); } return { pid: process.pid }; }',
      { limits: { memory: 128, timeout: 60_000 } },
    );
    const warm = await runtime.run(action, runRequest(action));
    expect(runtime.stats().memoryByContainer[warm.containerId]).toBeGreaterThan(1024 * 1024);
    const outcome = await runtime.run(action, runRequest(action, { grow: true }));
    expect(outcome).toMatchObject({ status: 'action developer error', timedOut: false, result: { error: 'The action exhausted its memory and was aborted.' } });
    expect(isProcessAlive(warm.result['pid'] as number)).toBe(false);
  });
});

describe('platform failures', () => {
  it('answers with a whisk internal error when a container cannot be started', async () => {
    const broken = createNodeRuntime({ proxyPath: compiled.proxyPath, nodePath: '/nonexistent/whiskflow-test/node' });
    try {
      const action = nodeAction('function main() { return {}; }');
      const outcome = await broken.run(action, runRequest(action));
      expect(outcome).toMatchObject({ status: 'whisk internal error', result: { error: 'Failed to provision resources to run the action.' }, cold: true });
      expect(broken.stats().containers).toBe(0);
    } finally {
      await broken.shutdown();
    }
  });
});
