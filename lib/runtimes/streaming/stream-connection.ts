/**
 * Opening an event stream from a URL for the engines: the brokers' `kafka://` and `redis://`, plus
 * `memory://` for a single process (an in-process broker; nothing survives the process).
 */
import { createEventStream as createBrokerStream, type CreateEventStreamOptions, type EventStream } from './brokers';
import { MemoryBroker, MemoryEventStream } from './memory-event-stream';

export function createEventStream(url: string, options: CreateEventStreamOptions = {}): EventStream {
  if (url.trim().toLowerCase().startsWith('memory://')) return new MemoryEventStream(new MemoryBroker(options.partitions ?? 4));
  return createBrokerStream(url, options);
}

/** Protocol, host and port only: a stream URL may carry a password. */
export function redactStreamUrl(url: string): string {
  const trimmed = url.trim();
  if (/^kafka:\/\//i.test(trimmed)) return trimmed.replace(/\/\/[^@/]*@/, '//');
  try {
    const parsed = new URL(trimmed);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(unparseable URL)';
  }
}
