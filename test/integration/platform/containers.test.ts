/**
 * Action containers confined as OpenWhisk's Docker containers are, driven through the real
 * `openwhisk` client: the memory limit holds for the whole process tree (Buffers, children) and
 * ends the activation with the invoker's message; what an action started dies with its container;
 * the containers' proxy ports answer the platform alone; and actions run without the platform's
 * rights (another user when it is root) and without its environment.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep, until } from '../../helpers/until';
import { raw } from './support';
import { usePlatform, type SuitePlatform } from '../../helpers/local-platform';

jest.setTimeout(120_000);

const MEMORY_EXHAUSTED = 'The action exhausted its memory and was aborted.';
const PLATFORM_SECRET = 'whiskflow-test-platform-secret-must-not-leak';
process.env['WHISKFLOW_TEST_PLATFORM_SECRET'] = PLATFORM_SECRET;

/** 2 GB of Buffers with their pages written (zero pages of a fresh mapping would not be resident). */
const ALLOCATE_2GB = `
function main() {
  const kept = [];
  for (let i = 0; i < 32; i++) kept.push(Buffer.alloc(64 * 1024 * 1024, 1));
  return { allocatedMb: kept.length * 64 };
}`;

/** The same in a child process the action waits for: the limit covers the container's children too. */
const CHILD_ALLOCATES_2GB = `
const { execFileSync } = require('node:child_process');
function main() {
  execFileSync(process.execPath, ['-e', 'const kept = []; for (let i = 0; i < 32; i++) kept.push(Buffer.alloc(64 * 1024 * 1024, 1));']);
  return { childDone: true };
}`;

const SPAWNS_DETACHED_SLEEP = (seconds: string): string => `
const { spawn } = require('node:child_process');
function main() {
  const child = spawn('sleep', ['${seconds}'], { detached: true, stdio: 'ignore' });
  child.unref();
  return { sleeper: child.pid, cgroup: require('node:fs').readFileSync('/proc/self/cgroup', 'utf8') };
}`;

const INSPECTS_ITS_PLATFORM = `
const fs = require('node:fs');
function attempt(run) { try { return { ok: run() }; } catch (error) { return { code: error.code }; } }
function main() {
  const platform = process.ppid;
  return {
    env: process.env,
    uid: process.getuid(),
    signal: attempt(() => process.kill(platform, 0)),
    environ: attempt(() => fs.readFileSync('/proc/' + platform + '/environ', 'utf8')),
    cmdline: attempt(() => fs.readFileSync('/proc/' + platform + '/cmdline', 'utf8')),
  };
}`;

async function invokeBlocking(suite: SuitePlatform, name: string): Promise<{ status: number; body: any }> {
  return raw(suite.platform, 'POST', `/api/v1/namespaces/_/actions/${name}?blocking=true`, {});
}

/** Alive and not a zombie (an orphan's zombie may linger until the machine's init reaps it). */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function processesWithArgument(argument: string): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return isRunning(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(argument);
    } catch {
      return false;
    }
  });
}

/** The TCP ports the given process listens on, from /proc (the proxies tell nobody but the platform). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // local_address is hex ip:port; state 0A is LISTEN; inode is field 10.
    if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
  }
  return ports;
}

/** The platform's container processes (action proxies) and their ports. */
function proxyProcesses(): Array<{ pid: number; ports: number[] }> {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).flatMap((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('lib/platform/runtime/proxy.js') || Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) !== process.pid) return [];
      return [{ pid, ports: listeningPorts(pid) }];
    } catch {
      return [];
    }
  });
}

function postToPort(port: number, route: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: route, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

describe.each([
  ['a memory cgroup per container where the platform may create them', 'auto' as const],
  ['polling the process tree', 'poll' as const],
])('memory limit and teardown, by %s', (_how, memoryEnforcement) => {
  const suite = usePlatform({ runtime: { maxContainers: 8, memoryEnforcement } });

  test('a 128 MB action allocating 2 GB of Buffers fails with the invoker\'s memory message; the platform serves on', async () => {
    await suite.ow.actions.create({ name: 'buffers', action: ALLOCATE_2GB, limits: { memory: 128 } });
    const { status, body } = await invokeBlocking(suite, 'buffers');
    expect(status).toBe(502);
    expect(body.response).toMatchObject({ status: 'action developer error', success: false, result: { error: MEMORY_EXHAUSTED } });

    await suite.ow.actions.create({ name: 'still-here', action: 'function main() { return { ok: true }; }' });
    expect(await suite.ow.actions.invoke({ name: 'still-here', blocking: true, result: true })).toEqual({ ok: true });
  });

  test('the limit covers the action\'s child processes', async () => {
    await suite.ow.actions.create({ name: 'child-buffers', action: CHILD_ALLOCATES_2GB, limits: { memory: 128 } });
    const { status, body } = await invokeBlocking(suite, 'child-buffers');
    expect(status).toBe(502);
    expect(body.response).toMatchObject({ status: 'action developer error', result: { error: MEMORY_EXHAUSTED } });
  });

  test('a detached child of an action dies when its container is torn down (action update)', async () => {
    const seconds = `${1000 + Math.floor(Math.random() * 1000)}.${memoryEnforcement === 'auto' ? 1 : 2}`;
    await suite.ow.actions.create({ name: 'spawner', action: SPAWNS_DETACHED_SLEEP(seconds) });
    const { sleeper, cgroup } = await suite.ow.actions.invoke({ name: 'spawner', blocking: true, result: true });
    expect(isRunning(sleeper)).toBe(true);
    // A root platform on a cgroup v1 machine gives each container a memory group of its own.
    const cgroupV1 = process.getuid?.() === 0 && fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs');
    if (memoryEnforcement === 'auto' && cgroupV1) expect(cgroup).toMatch(/:memory:.*\/whiskflow-\d+-\d+\/p\d+$/m);
    if (memoryEnforcement === 'poll') expect(cgroup).not.toMatch(/whiskflow-/);
    expect(processesWithArgument(seconds)).toEqual([sleeper]);

    // An update retires the action's warm containers.
    await suite.ow.actions.update({ name: 'spawner', action: 'function main() { return {}; }' });
    await until('the detached child is gone', async () => !isRunning(sleeper));
    expect(processesWithArgument(seconds)).toEqual([]);
  });
});

describe('teardown at platform stop', () => {
  test('a detached child of an action does not outlive the platform', async () => {
    const { clientFor, startLocalPlatform } = await import('../../helpers/local-platform');
    const platform = await startLocalPlatform();
    const seconds = `${2000 + Math.floor(Math.random() * 1000)}.3`;
    let sleeper: number;
    try {
      const ow = clientFor(platform);
      await ow.actions.create({ name: 'spawner', action: SPAWNS_DETACHED_SLEEP(seconds) });
      ({ sleeper } = (await ow.actions.invoke({ name: 'spawner', blocking: true, result: true })) as { sleeper: number });
      expect(isRunning(sleeper)).toBe(true);
    } finally {
      await platform.stop();
    }
    await until('the detached child is gone', async () => !isRunning(sleeper));
    expect(processesWithArgument(seconds)).toEqual([]);
  });
});

describe('the containers\' proxy ports and rights', () => {
  const suite = usePlatform({ runtime: { maxContainers: 8, prewarmCount: 1 } });

  test('a request without the container\'s secret is refused, and a stray /init does not break the next cold start', async () => {
    await suite.ow.actions.create({ name: 'first', action: 'function main() { return { pid: process.pid }; }' });
    const { pid: warm } = await suite.ow.actions.invoke({ name: 'first', blocking: true, result: true });
    // The cold start is followed by a prewarmed process (stem cell) for the next one.
    const proxies = await until('a prewarmed container listens', async () => {
      const found = proxyProcesses();
      return found.some((proxy) => proxy.pid !== warm && proxy.ports.length > 0) && found;
    });
    const stray = { value: { name: 'evil', main: 'main', code: 'function main() { return { hijacked: true }; }', binary: false } };
    for (const proxy of proxies) {
      for (const port of proxy.ports) {
        expect(await postToPort(port, '/init', stray)).toMatchObject({ status: 403 });
        expect(await postToPort(port, '/run', { value: {} })).toMatchObject({ status: 403 });
        expect(await postToPort(port, '/init', stray, { 'x-whiskflow-container-secret': 'guessed' })).toMatchObject({ status: 403 });
      }
    }
    await suite.ow.actions.create({ name: 'second', action: 'function main() { return { second: true }; }' });
    expect(await suite.ow.actions.invoke({ name: 'second', blocking: true, result: true })).toEqual({ second: true });
    expect(await suite.ow.actions.invoke({ name: 'first', blocking: true, result: true })).toEqual({ pid: warm });
  });

  test('an action sees only the runtime contract\'s environment and cannot reach the platform process', async () => {
    await suite.ow.actions.create({ name: 'inspector', action: INSPECTS_ITS_PLATFORM });
    const seen = await suite.ow.actions.invoke({ name: 'inspector', blocking: true, result: true });

    const allowed = new Set(['PATH', 'HOME', 'NODE_PATH']);
    expect(Object.keys(seen.env).filter((key) => !allowed.has(key) && !key.startsWith('__OW_'))).toEqual([]);
    expect(JSON.stringify(seen.env)).not.toContain(PLATFORM_SECRET);
    // The platform's command line is world-readable on Linux: it must carry no secret.
    const cmdline: string = seen.cmdline.ok ?? '';
    expect(cmdline).not.toContain(PLATFORM_SECRET);
    expect(cmdline).not.toContain(suite.platform.auth.split(':')[1]);

    if (process.getuid?.() === 0) {
      expect(seen.uid).not.toBe(0);
      expect(seen.signal).toEqual({ code: 'EPERM' });
      expect(seen.environ).toEqual({ code: 'EACCES' });
    } else {
      // Without root there is no other user to run as: the platform's own.
      expect(seen.uid).toBe(process.getuid?.());
    }
  });

  test('a Python action runs as the containers\' user too, without the platform\'s environment', async () => {
    await suite.ow.actions.create({
      name: 'py-inspector', kind: 'python:3',
      action: 'import os\ndef main(args):\n    return {"uid": os.getuid(), "env": dict(os.environ)}\n',
    });
    const seen = await suite.ow.actions.invoke({ name: 'py-inspector', blocking: true, result: true });
    if (process.getuid?.() === 0) expect(seen.uid).not.toBe(0);
    expect(JSON.stringify(seen.env)).not.toContain(PLATFORM_SECRET);
  });
});

describe('a root platform whose containers\' user cannot read the runtime', () => {
  test('refuses to start with an error naming the unreadable path', async () => {
    const { createNodeRuntime } = await import('../../../lib/platform/runtime');
    // mkdtemp makes it 0700: readable by the platform's user alone.
    const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-private-'));
    const proxyPath = path.join(privateDir, 'proxy.js');
    fs.writeFileSync(proxyPath, '');
    try {
      const start = (): void => void createNodeRuntime({ proxyPath, prewarmCount: 0 }).shutdown();
      if (process.getuid?.() === 0) expect(start).toThrow(`nobody cannot use ${proxyPath}`);
      else expect(start).not.toThrow();
    } finally {
      fs.rmSync(privateDir, { recursive: true, force: true });
    }
  });
});

afterAll(async () => {
  delete process.env['WHISKFLOW_TEST_PLATFORM_SECRET'];
  await sleep(0);
});
