/**
 * Several events of one key in one broker message (a Kafka record, a Redis stream entry): the value
 * is a JSON array of the events, in order. Both brokers' clients cost per message rather than per
 * byte: kafkajs regroups a send's messages by partition copying each partition's list once per
 * message and encodes every record on its own; ioredis decodes every entry of an XREADGROUP reply
 * into its own arrays and strings, and Redis stores each entry with its id and field names. A
 * batch of Condition Engine outputs is mostly many events of few runs, so one message per run and
 * batch removes most of that. A message whose value is not a JSON array (another producer's single
 * event) is one event, as before: a CloudEvent in structured mode is a JSON object, never an array.
 */
import type { StreamRecord } from './event-stream';
import { parseEventJson } from './event-json';

/** Bytes of JSON per envelope: well under Kafka's default message.max.bytes (1 MiB). */
export const ENVELOPE_MAX_BYTES = 256 * 1024;

/** One message ready to send: its key, its value (an envelope) and its size for chunking sends. */
export interface PackedMessage {
  readonly key: string;
  readonly value: string;
  readonly bytes: number;
}

interface OpenEnvelope {
  key: string;
  parts: string[];
  bytes: number;
}

/**
 * The records as envelopes, one per key (more when a key's events exceed `maxBytes`), each key's
 * events in order. Keys' envelopes follow one another in the order the keys first appear.
 */
export function packByKey(records: readonly StreamRecord[], maxBytes = ENVELOPE_MAX_BYTES): PackedMessage[] {
  const packed: PackedMessage[] = [];
  const open = new Map<string, OpenEnvelope>();
  const close = (envelope: OpenEnvelope): void => {
    packed.push({ key: envelope.key, value: `[${envelope.parts.join(',')}]`, bytes: envelope.bytes + Buffer.byteLength(envelope.key) });
  };
  for (const record of records) {
    const json = JSON.stringify(record.event) ?? 'null';
    const bytes = Buffer.byteLength(json) + 1;
    let envelope = open.get(record.key);
    if (envelope && envelope.bytes + bytes > maxBytes) {
      // Full: it goes out before anything later of its key.
      close(envelope);
      envelope = undefined;
    }
    if (!envelope) {
      envelope = { key: record.key, parts: [], bytes: 1 };
      open.set(record.key, envelope);
    }
    envelope.parts.push(json);
    envelope.bytes += bytes;
  }
  for (const envelope of open.values()) close(envelope);
  return packed;
}

/** The events of a message's value: an envelope's, in order, or the one event another producer wrote. */
export function unpackValue(text: string): unknown[] {
  const parsed = parseEventJson(text);
  return Array.isArray(parsed) ? parsed : [parsed];
}

/**
 * The id of the event at `index` of a message with `count` events: the message's own position when
 * it holds one (so a single event keeps the id it had before envelopes), else `position/index`.
 * Stable across redeliveries, since a message's contents never change.
 */
export function eventIdInMessage(position: string, index: number, count: number): string {
  return count === 1 ? position : `${position}/${index}`;
}

/** The messages in order, in runs of at most `maxBytes` and `maxCount` (a larger single message alone). */
export function chunksOf(messages: readonly PackedMessage[], maxBytes: number, maxCount = Infinity): PackedMessage[][] {
  const chunks: PackedMessage[][] = [];
  let chunk: PackedMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (chunk.length > 0 && (bytes + message.bytes > maxBytes || chunk.length >= maxCount)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += message.bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
