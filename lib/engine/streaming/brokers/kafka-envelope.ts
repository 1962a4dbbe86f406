/**
 * Several events of one key in one Kafka message: the value is a JSON array of the events, in
 * order. kafkajs's producer costs per message (it regroups a send's messages by partition by
 * copying each partition's list once per message, and encodes every record on its own), which made
 * producing the Condition Engine's outputs a third of its CPU; a batch's outputs are mostly many
 * events of few runs. A message whose value is not a JSON array (another producer's single event)
 * is one event, as before: a CloudEvent in structured mode is a JSON object, never an array.
 */
import type { Message } from 'kafkajs';
import type { StreamRecord } from './event-stream';
import { parseEventJson } from './event-json';

/** Bytes of JSON per envelope: well under the broker's default message.max.bytes (1 MiB). */
export const ENVELOPE_MAX_BYTES = 256 * 1024;

/** A message ready to send, with its size for chunking sends. */
export interface PackedMessage {
  message: Message;
  bytes: number;
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
    packed.push({ message: { key: envelope.key, value: `[${envelope.parts.join(',')}]` }, bytes: envelope.bytes + Buffer.byteLength(envelope.key) });
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
