/**
 * Log lines as the OpenWhisk invoker records them: one entry per line a container wrote, stamped
 * when it was read, formatted `f"$time%-30s $stream: $log"` (apache/openwhisk
 * `DockerToActivationLogStore.LogLine.toFormattedString`) and cut at the activation's log limit.
 */
import { truncateLogs } from './messages';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  /** ISO-8601 time the line was read from the container. */
  time: string;
  stream: LogStream;
  message: string;
}

/** The invoker pads the timestamp to 30 characters (Docker's nanosecond timestamps are that long). */
const TIMESTAMP_WIDTH = 30;

export function formatLogLine(entry: LogEntry): string {
  return `${entry.time.padEnd(TIMESTAMP_WIDTH)} ${entry.stream}: ${stripLineEnd(entry.message)}`;
}

/**
 * Keeps lines while their total UTF-8 size stays within `limitBytes`; once a line would exceed it,
 * drops it and everything after, and appends the invoker's truncation notice on stderr.
 */
export function limitLogEntries(entries: readonly LogEntry[], limitBytes: number, now: () => string): LogEntry[] {
  const kept: LogEntry[] = [];
  let used = 0;
  for (const entry of entries) {
    used += Buffer.byteLength(entry.message, 'utf8');
    if (used > limitBytes) {
      kept.push({ time: now(), stream: 'stderr', message: truncateLogs(limitBytes) });
      return kept;
    }
    kept.push(entry);
  }
  return kept;
}

/**
 * Splits a byte stream into lines. A chunk may end mid-line (pipes deliver arbitrary slices), so the
 * unfinished tail waits for the next chunk or for `flush()` when the stream ends.
 */
export class LineSplitter {
  private partial = '';

  /** Returns the complete lines in `chunk`, without their line terminators. */
  push(chunk: string): string[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(stripLineEnd);
  }

  /** The unfinished last line, if any, once the stream has ended. */
  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [stripLineEnd(rest)];
  }
}

function stripLineEnd(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
