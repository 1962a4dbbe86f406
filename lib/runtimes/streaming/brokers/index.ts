/**
 * Entry point of the broker room: `createEventStream(url)` picks the backend from the URL scheme,
 * `kafka://host:port[,host:port]` or `redis://host:port`.
 */
import type { EventStream } from './event-stream';
import { KafkaEventStream } from './kafka';
import type { StreamLogger } from './logger';
import { RedisEventStream } from './redis';
import { parseStreamUrl } from './stream-url';

export type { BatchHandler, DeliveredEvent, EventBatch, EventStream, StreamBackend, StreamRecord, SubscribeOptions, Subscription } from './event-stream';
export { STREAM_DEFAULTS } from './event-stream';
export { InvalidStreamUrlError, StreamClosedError, StreamUnavailableError } from './errors';
export type { StreamLogger } from './logger';

export interface CreateEventStreamOptions {
  /** Partitions for topics this stream creates first. @default 8 */
  readonly partitions?: number;
  /** Redis only: approximate entries kept per partition stream, 0 = never trim. @default 1000000 */
  readonly maxLenPerPartition?: number;
  /** Redis only: key prefix. @default 'whiskflow:stream' */
  readonly prefix?: string;
  /** Kafka only: client id seen by the broker. @default 'whiskflow' */
  readonly clientId?: string;
  readonly logger?: StreamLogger;
}

export function createEventStream(url: string, options: CreateEventStreamOptions = {}): EventStream {
  const address = parseStreamUrl(url);
  switch (address.backend) {
    case 'kafka':
      return new KafkaEventStream({ brokers: address.brokers, partitions: options.partitions, clientId: options.clientId, logger: options.logger });
    case 'redis':
      return new RedisEventStream({ url: address.url, partitions: options.partitions, maxLenPerPartition: options.maxLenPerPartition, prefix: options.prefix });
    default: {
      const unreachable: never = address;
      return unreachable;
    }
  }
}
