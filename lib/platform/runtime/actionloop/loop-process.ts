/**
 * One running loop launcher (see protocol.ts): started at /init, it answers one line per /run, one
 * activation at a time, as in OpenWhisk's actionloop runtimes (their containers run one activation
 * at a time: `limits.concurrency` above 1 queues here instead).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { DEVELOPER_ERROR_FIELD, LoopFailure, LoopMessages, type LaunchCommand } from './protocol';

type LineWaiter = { resolve: (line: string) => void; reject: (error: Error) => void };

export class LoopProcess {
  private readonly child: ChildProcess;
  private readonly input: Writable;
  private readonly waiters: LineWaiter[] = [];
  private readonly lines: string[] = [];
  private exited = false;
  /** The previous activation, which the next one waits for. */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(command: LaunchCommand) {
    this.child = spawn(command.executable, command.args, {
      cwd: command.cwd,
      env: command.env,
      // stdout and stderr are the container's own: the platform reads them as the activation logs.
      stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
    });
    this.input = this.child.stdin as Writable;
    this.input.on('error', () => undefined);
    const results = readline.createInterface({ input: this.child.stdio[3] as Readable, crlfDelay: Infinity });
    results.on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(line);
      else this.lines.push(line);
    });
    const end = (): void => {
      this.exited = true;
      for (const waiter of this.waiters.splice(0)) waiter.reject(new LoopFailure(400, LoopMessages.commandExited));
    };
    // 'close', not 'exit': a launcher that answers and exits must still have its last line read.
    this.child.once('close', end);
    this.child.once('error', end);
  }

  /** Starts the launcher and waits for its acknowledgement; rejects with the /init failure. */
  static async start(command: LaunchCommand): Promise<LoopProcess> {
    const loop = new LoopProcess(command);
    let ack: string;
    try {
      ack = await loop.nextLine();
    } catch {
      throw new LoopFailure(502, LoopMessages.startFailed);
    }
    const failure = developerError(ack);
    if (failure !== undefined) {
      loop.kill();
      throw new LoopFailure(502, failure);
    }
    return loop;
  }

  /** Runs one activation: `body` is the /run body; resolves with the result's JSON text. */
  run(body: Record<string, unknown>): Promise<string> {
    const mine = this.turn.then(() => this.interact(body));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private async interact(body: Record<string, unknown>): Promise<string> {
    if (this.exited) throw new LoopFailure(500, LoopMessages.commandExited);
    this.input.write(`${JSON.stringify(body)}\n`);
    const line = await this.nextLine();
    const failure = developerError(line);
    if (failure !== undefined) throw new LoopFailure(502, failure);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new LoopFailure(502, LoopMessages.notDictionary);
    }
    // Like the actionloop proxy: an object or an array is passed on, anything else is refused
    // (null passes too, and the invoker then finds no JSON object in it).
    if (parsed !== null && typeof parsed !== 'object') throw new LoopFailure(502, LoopMessages.notDictionary);
    return line;
  }

  private nextLine(): Promise<string> {
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (this.exited) return Promise.reject(new LoopFailure(400, LoopMessages.commandExited));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

function developerError(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown> | null;
    const text = parsed !== null && typeof parsed === 'object' ? parsed[DEVELOPER_ERROR_FIELD] : undefined;
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}
