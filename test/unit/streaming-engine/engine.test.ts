/**
 * Both engines over the in-memory broker and store: the whole streaming interpreter without I/O.
 * The same scenarios run against Redis and Kafka in test/integration/streaming/engine/.
 */
import { MemoryBroker, MemoryEventStream } from '../../../lib/engine/streaming';
import { streamingScenarios } from './scenarios';

describe('streaming engines on the in-memory broker', () => {
  const broker = new MemoryBroker(4);
  streamingScenarios({
    connect: () => new MemoryEventStream(broker),
    async kill(stream, running) {
      (stream as MemoryEventStream).crash();
      await running.stop();
    },
  });
});
