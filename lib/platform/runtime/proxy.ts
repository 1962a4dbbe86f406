/**
 * The action proxy: the program each container runs. It speaks OpenWhisk's action proxy protocol
 * like apache/openwhisk-runtime-nodejs (`app.js`, `src/service.js`, `runner.js`): `POST /init`
 * once with `{value: {name, main, code, binary, env}}`, then `POST /run` per activation with
 * `{value, namespace, action_name, activation_id, deadline, api_key, ...}`; string fields other than
 * `value` become `__OW_<FIELD>` environment variables. After each activation it writes the sentinel
 * to stdout and stderr so that the invoker can cut the logs.
 *
 * Started by container.ts with an IPC channel: it reports its port over it, and exits when the
 * platform process dies (even when killed with SIGKILL, see parent-watchdog.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { InitFailure, loadActionHandler, type ActionHandler, type InitMessage } from './action-loader';
import type { LoopProcess } from './actionloop/loop-process';
import { isLoopRuntimeSettings, LoopFailure, startLoopAction } from './actionloop/loop-action';
import { ACTIVATION_SENTINEL } from './messages';
import { exitWhenParentDies } from './parent-watchdog';
import { SECRET_FD, SECRET_HEADER, WORK_DIR_ENV } from './proxy-environment';
import { serializeError } from './serialize-error';

/** The runtime's body limit (`bodyParser.json({ limit: "48mb" })`). */
const MAX_BODY_BYTES = 48 * 1024 * 1024;

type Status = 'ready' | 'starting' | 'running' | 'stopped';

interface Reply {
  code: number;
  response: unknown;
  /** A JSON text sent as it is (a loop launcher's result). */
  raw?: string;
}

/** The platform process, read at once: if it dies before the watchdog starts, ppid is already another. */
const parentPid = process.ppid;
const ownWorkDir = process.env[WORK_DIR_ENV];
const workDir = ownWorkDir ?? process.cwd();
delete process.env[WORK_DIR_ENV];
/**
 * Only the platform knows it (proxy-process.ts writes it to this pipe and closes it): a request
 * without it comes from another local process and is refused before it can touch the container.
 */
const secret = readSecret();
// With intra-container concurrency the proxy accepts runs while others are in flight. Read again
// after /init, whose env may set it (a prewarmed process starts before its action is known).
let ignoreRunStatus = allowsConcurrency();

let status: Status = 'ready';
let handler: ActionHandler | undefined;
/** The launcher of a non-Node.js action (python, java, go kinds), which runs it instead of `handler`. */
let loop: LoopProcess | undefined;

function setStatus(next: Status): void {
  if (status !== 'stopped') status = next;
}

function errorReply(code: number, error: string): Reply {
  return { code, response: { error } };
}

function writeMarkers(): void {
  console.log(ACTIVATION_SENTINEL);
  console.error(ACTIVATION_SENTINEL);
}

async function initCode(body: Record<string, unknown>): Promise<Reply> {
  if (handler !== undefined || loop !== undefined) {
    console.error('Internal system error:', 'Cannot initialize the action more than once.');
    return errorReply(403, 'Cannot initialize the action more than once.');
  }
  if (status !== 'ready') {
    console.error('Internal system error:', `System not ready, status is ${status}.`);
    return errorReply(403, `System not ready, status is ${status}.`);
  }
  setStatus('starting');
  const message = (isObject(body['value']) ? body['value'] : {}) as Partial<InitMessage> & { env?: unknown };
  if (typeof message.main !== 'string' || typeof message.code !== 'string' || !message.main || !message.code) {
    setStatus('ready');
    return errorReply(403, 'Missing main/no code to execute.');
  }
  applyInitEnv(message.env);
  ignoreRunStatus = allowsConcurrency();
  const runtime = (body['value'] as Record<string, unknown>)['runtime'];
  if (isLoopRuntimeSettings(runtime)) return initLoop(message as InitMessage, runtime);
  try {
    handler = await loadActionHandler({ name: message.name, main: message.main, code: message.code, binary: message.binary === true }, workDir);
    setStatus('ready');
    return { code: 200, response: { OK: true } };
  } catch (error) {
    // The runtime writes this to the activation's logs, then ends them.
    console.error('Error during initialization:', error);
    writeMarkers();
    setStatus('stopped');
    return errorReply(502, `Initialization has failed due to: ${describeInitError(error)}`);
  }
}

async function initLoop(message: InitMessage, runtime: Parameters<typeof startLoopAction>[1]): Promise<Reply> {
  try {
    loop = await startLoopAction({ code: message.code, binary: message.binary === true, main: message.main }, runtime, workDir);
    setStatus('ready');
    return { code: 200, response: { ok: true } };
  } catch (error) {
    writeMarkers();
    setStatus('stopped');
    if (error instanceof LoopFailure) return errorReply(error.statusCode, error.message);
    console.error('Error during initialization:', error);
    return errorReply(502, `Initialization has failed due to: ${describeInitError(error)}`);
  }
}

/** A loop launcher runs one activation at a time; its answer goes back as the launcher wrote it. */
async function runLoop(launcher: LoopProcess, body: Record<string, unknown>): Promise<Reply> {
  try {
    const result = await launcher.run({ ...body, value: body['value'] ?? {} });
    writeMarkers();
    return { code: 200, response: undefined, raw: result };
  } catch (error) {
    writeMarkers();
    if (error instanceof LoopFailure) return errorReply(error.statusCode, error.message);
    return errorReply(502, `An error has occurred: ${String(error)}`);
  }
}

async function runCode(body: Record<string, unknown>): Promise<Reply> {
  if (loop !== undefined && status === 'ready') return runLoop(loop, body);
  if (status !== 'ready' || handler === undefined) {
    const message = handler ? `System not ready, status is ${status}.` : 'System not initialized.';
    console.error('Internal system error:', message);
    return errorReply(403, message);
  }
  if (!ignoreRunStatus) setStatus('running');
  const value = body['value'] ?? {};
  if (typeof value !== 'object') {
    const message = `Internal system error: the argument must be a dictionary but has type '${typeof value}'.`;
    console.error('Internal system error:', message);
    return errorReply(403, message);
  }
  for (const [key, field] of Object.entries(body)) {
    if (key !== 'value' && typeof field === 'string') process.env[`__OW_${key.toUpperCase()}`] = field;
  }
  try {
    const result = await invoke(handler, value as Record<string, unknown>);
    if (typeof result !== 'object') {
      console.error(`Result must be of type object but has type "${typeof result}":`, result);
    }
    writeMarkers();
    if (!ignoreRunStatus) setStatus('ready');
    if (typeof result !== 'object') return errorReply(502, 'The action did not return a dictionary.');
    return { code: 200, response: result };
  } catch (error) {
    // A synchronous throw (not a rejected promise) leaves the container unusable, as in the runtime.
    console.error(error);
    writeMarkers();
    setStatus('stopped');
    return errorReply(502, `An error has occurred: ${String(error)}`);
  }
}

/** Runs main; resolves with its (awaited) result, or `{error}` when its promise rejects; throws when main throws. */
async function invoke(main: ActionHandler, params: Record<string, unknown>): Promise<unknown> {
  const returned = main(params);
  try {
    const resolved = await returned;
    return resolved === undefined ? {} : resolved;
  } catch (reason) {
    return { error: reason ? serializeError(reason) : {} };
  }
}

function allowsConcurrency(): boolean {
  return (process.env['__OW_ALLOW_CONCURRENT'] ?? '').toLowerCase() === 'true';
}

function applyInitEnv(env: unknown): void {
  if (!isObject(env)) return;
  for (const [key, value] of Object.entries(env)) {
    process.env[key] = typeof value !== 'object' || value === null ? (value ? String(value) : '') : JSON.stringify(value);
  }
}

function describeInitError(error: unknown): string {
  if (error instanceof InitFailure) return error.message;
  if (error instanceof Error && error.stack) return String(error.stack);
  return String(error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    request.on('error', reject);
  });
}

/** Read once, before any action code is loaded; the pipe is closed so that nothing can read it again. */
function readSecret(): Buffer {
  try {
    return fs.readFileSync(SECRET_FD);
  } catch {
    return Buffer.alloc(0);
  } finally {
    try {
      fs.closeSync(SECRET_FD);
    } catch {
      // not open
    }
  }
}

function fromPlatform(request: http.IncomingMessage): boolean {
  const given = request.headers[SECRET_HEADER];
  if (secret.length === 0 || typeof given !== 'string') return false;
  const candidate = Buffer.from(given);
  return candidate.length === secret.length && timingSafeEqual(candidate, secret);
}

async function handle(request: http.IncomingMessage): Promise<Reply> {
  if (!fromPlatform(request)) return errorReply(403, 'Forbidden.');
  const route = request.method === 'POST' ? request.url : undefined;
  if (route !== '/init' && route !== '/run') return errorReply(500, 'Bad request.');
  const text = await readBody(request);
  if (text === undefined) return errorReply(413, 'request entity too large');
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    return errorReply(400, 'Bad request.');
  }
  const fields = isObject(body) ? body : {};
  return route === '/init' ? initCode(fields) : runCode(fields);
}

function send(response: http.ServerResponse, reply: Reply): void {
  let payload: string;
  try {
    payload = reply.raw ?? JSON.stringify(reply.response) ?? '{}';
  } catch (error) {
    reply = errorReply(502, `An error has occurred: ${String(error)}`);
    payload = JSON.stringify(reply.response);
  }
  response.writeHead(reply.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

const server = http.createServer((request, response) => {
  handle(request).then(
    (reply) => send(response, reply),
    (error: unknown) => send(response, errorReply(500, `Internal system error: ${String(error)}`)),
  );
});
// As in the runtime: never close an idle or slow connection from this side.
server.timeout = 0;
server.keepAliveTimeout = 0;
server.requestTimeout = 0;

process.on('disconnect', () => process.exit(0));
// The platform removes the work dir after a normal stop; when the platform died first, this does.
process.on('exit', () => {
  loop?.kill();
  if (ownWorkDir !== undefined) fs.rmSync(ownWorkDir, { recursive: true, force: true });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.send?.({ type: 'listening', port });
  // After the port is out, so that the watchdog's start does not delay the cold start.
  setImmediate(() => exitWhenParentDies(parentPid, ownWorkDir));
});
