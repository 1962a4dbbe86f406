/**
 * The log of one container, read the way the invoker reads a Docker log file: each activation takes
 * the lines written since the previous activation's sentinels, up to its own sentinel on stdout and
 * on stderr. Lines written after a stream's sentinel (say, by a timer that outlived the activation)
 * stay for the next activation, as they would in the Docker log.
 */
import { LineSplitter, type LogEntry, type LogStream } from './log-lines';
import { ACTIVATION_SENTINEL } from './messages';

interface BufferedLine {
  entry: LogEntry;
  sentinel: boolean;
}

export class ContainerLog {
  private readonly lines: BufferedLine[] = [];
  private readonly splitters: Record<LogStream, LineSplitter> = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  private bufferedBytes = 0;
  /** Sentinels not yet taken, per stream: counted as they arrive so that checks stay O(1). */
  private readonly sentinels: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  private listener: (() => void) | undefined;

  /**
   * @param maxBufferedBytes lines beyond this many bytes are dropped while nobody takes them, so
   *   that an action logging in a loop cannot exhaust the platform's memory; the per-activation
   *   limit (and its notice) is applied by whoever takes the lines.
   */
  constructor(private readonly maxBufferedBytes: number, private readonly now: () => string = () => new Date().toISOString()) {}

  push(stream: LogStream, chunk: string): void {
    this.append(stream, this.splitters[stream].push(chunk));
  }

  /** Flushes unfinished lines once the container's streams have closed. */
  end(): void {
    this.append('stdout', this.splitters.stdout.flush());
    this.append('stderr', this.splitters.stderr.flush());
  }

  /** True once both streams have written a sentinel not yet taken. */
  hasActivationEnd(): boolean {
    return this.sentinels.stdout > 0 && this.sentinels.stderr > 0;
  }

  /** Calls `listener` whenever lines arrive (one listener at a time: activations take turns). */
  onLines(listener: (() => void) | undefined): void {
    this.listener = listener;
  }

  /** Removes and returns the lines of the finished activation: each stream up to its first sentinel. */
  takeActivation(): LogEntry[] {
    const taken: LogEntry[] = [];
    const ended: Record<LogStream, boolean> = { stdout: false, stderr: false };
    const rest: BufferedLine[] = [];
    for (const line of this.lines) {
      const stream = line.entry.stream;
      if (ended[stream]) rest.push(line);
      else if (line.sentinel) ended[stream] = true;
      else taken.push(line.entry);
    }
    this.replaceLines(rest);
    return taken;
  }

  /** Removes and returns every line (sentinels dropped), for activations that ended without sentinels. */
  takeAll(): LogEntry[] {
    const taken = this.lines.filter((line) => !line.sentinel).map((line) => line.entry);
    this.replaceLines([]);
    return taken;
  }

  /** Forgets every line, for containers whose logs are not collected. */
  discard(): void {
    this.replaceLines([]);
  }

  private append(stream: LogStream, lines: string[]): void {
    if (lines.length === 0) return;
    const time = this.now();
    for (const line of lines) {
      if (!line.endsWith(ACTIVATION_SENTINEL)) {
        this.appendMessage(time, stream, line);
        continue;
      }
      // An action that wrote without a final newline glues its text to the sentinel: keep both.
      const before = line.slice(0, -ACTIVATION_SENTINEL.length);
      if (before !== '') this.appendMessage(time, stream, before);
      this.sentinels[stream] += 1;
      this.lines.push({ entry: { time, stream, message: ACTIVATION_SENTINEL }, sentinel: true });
    }
    this.listener?.();
  }

  private appendMessage(time: string, stream: LogStream, message: string): void {
    // Keep one line past the bound so that the taker still sees that the limit was exceeded.
    if (this.bufferedBytes > this.maxBufferedBytes) return;
    this.bufferedBytes += Buffer.byteLength(message, 'utf8');
    this.lines.push({ entry: { time, stream, message }, sentinel: false });
  }

  private replaceLines(rest: BufferedLine[]): void {
    this.lines.length = 0;
    this.bufferedBytes = 0;
    this.sentinels.stdout = 0;
    this.sentinels.stderr = 0;
    for (const line of rest) {
      this.lines.push(line);
      if (line.sentinel) this.sentinels[line.entry.stream] += 1;
      else this.bufferedBytes += Buffer.byteLength(line.entry.message, 'utf8');
    }
  }
}
