/**
 * The activation journal: what makes activation records survive a crash of the platform.
 *
 * The activation store writes records to CouchDB behind (in batches, up to a second later), and an
 * activation that is running when the platform dies would never get a record at all: a client that
 * waits for it (whiskflow's sweep reads the task's record) would wait for ever. So every activation
 * start, and every record, is first appended to a local file with a synchronous write. A write to
 * the file is in the kernel's page cache when `writeSync` returns, so it survives the death of the
 * process (kill -9, an out-of-memory kill), not a crash of the machine; it costs a few microseconds
 * per activation (no fsync: measured in docs/exactly-once.md).
 *
 * On the next start, `open` reads the journal back: records not yet in CouchDB are written, and an
 * activation that started and never ended is recorded as lost (`whisk internal error`, see
 * `LOST_ACTIVATION_ERROR`). Real OpenWhisk writes no record for an activation its invoker lost (the
 * controller only completes it for its own bookkeeping); a record that says so is what lets a client
 * tell "lost" from "still running".
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import type { ActivationRecord } from '../activation-record';
import { responseOf } from '../activation-record';
import type { KeyValue } from '../entities';

/** The error of an activation that was running when the platform stopped without recording it. */
export const LOST_ACTIVATION_ERROR = 'The activation was lost: the platform stopped while it ran, and it produced no response.';

/** What is known of an activation when it starts: enough to record it as lost. */
export interface ActivationStart {
  namespace: string;
  activationId: string;
  name: string;
  version: string;
  subject: string;
  start: number;
  annotations: KeyValue[];
  cause?: string;
}

export interface JournalRecovery {
  /** Records of activations that ended, in the order they ended. */
  ended: ActivationRecord[];
  /** Records made for activations that started and never ended (running when the platform stopped). */
  lost: ActivationRecord[];
}

type Entry = { s: ActivationStart } | { e: ActivationRecord };

export class ActivationJournal {
  private fd: number;
  private bytes: number;

  private constructor(private readonly file: string) {
    this.fd = openSync(file, 'a');
    this.bytes = statSync(file).size;
  }

  /** Opens (creates) the journal at `file` and reads back what a previous platform left in it. */
  static open(file: string): { journal: ActivationJournal; recovered: JournalRecovery } {
    const recovered = existsSync(file) ? recover(file) : { ended: [], lost: [] };
    return { journal: new ActivationJournal(file), recovered };
  }

  get size(): number {
    return this.bytes;
  }

  started(start: ActivationStart): void {
    this.append({ s: start });
  }

  ended(record: ActivationRecord): void {
    this.append({ e: record });
  }

  /**
   * Starts the journal afresh with only `running` starts and `unwritten` records: called when every
   * other record in it is in CouchDB. Written to a new file that replaces the old one in one rename,
   * so a crash in between leaves one of the two, each complete.
   */
  reset(running: Iterable<ActivationStart>, unwritten: Iterable<ActivationRecord>): void {
    const lines: string[] = [];
    for (const start of running) lines.push(`${JSON.stringify({ s: start })}\n`);
    for (const record of unwritten) lines.push(`${JSON.stringify({ e: record })}\n`);
    const text = lines.join('');
    const next = `${this.file}.next`;
    writeFileSync(next, text);
    renameSync(next, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.bytes = Buffer.byteLength(text);
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(entry: Entry): void {
    const line = `${JSON.stringify(entry)}\n`;
    // One write call per entry, so a crash cuts at most the last line (which recover() skips).
    this.bytes += writeSync(this.fd, line);
  }
}

/** Reads a journal: the records it holds, and a lost-record for every start without its record. */
export function recover(file: string): JournalRecovery {
  const text = readFileSync(file, 'utf8');
  // The last write before a crash may be cut short: when the platform stopped, roughly.
  const stoppedAt = Math.floor(statSync(file).mtimeMs);
  const starts = new Map<string, ActivationStart>();
  const ended = new Map<string, ActivationRecord>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      continue;
    }
    if ('s' in entry) starts.set(keyOf(entry.s), entry.s);
    else if ('e' in entry) ended.set(keyOf(entry.e), entry.e);
  }
  const lostStarts = [...starts.entries()].filter(([key]) => !ended.has(key)).map(([, start]) => start);
  // A composition's components name it as their cause; its record lists them in start order (logs).
  const components = new Map<string, { id: string; start: number }[]>();
  for (const item of [...ended.values(), ...lostStarts]) {
    if (!item.cause) continue;
    components.set(item.cause, [...(components.get(item.cause) ?? []), { id: item.activationId, start: item.start }]);
  }
  const lost = lostStarts.map((start): ActivationRecord => {
    const end = Math.max(start.start, stoppedAt);
    const parts = (components.get(start.activationId) ?? []).sort((a, b) => a.start - b.start).map((part) => part.id);
    return {
      namespace: start.namespace, name: start.name, version: start.version, subject: start.subject, activationId: start.activationId,
      start: start.start, end, duration: end - start.start,
      response: responseOf('whisk internal error', { error: LOST_ACTIVATION_ERROR }),
      logs: parts, annotations: start.annotations, publish: false,
      ...(start.cause ? { cause: start.cause } : {}),
    };
  });
  return { ended: [...ended.values()], lost };
}

function keyOf(item: { namespace: string; activationId: string }): string {
  return `${item.namespace}/${item.activationId}`;
}
