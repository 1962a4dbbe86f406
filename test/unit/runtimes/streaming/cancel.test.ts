/** `whiskflow cancel` of a streaming run on the in-memory broker (the same scenario runs on Redis in test/integration). */
import { MemoryBroker, MemoryEventStream } from '../../../../lib/runtimes/streaming';
import { cancelScenario } from '../../../helpers/streaming/cancel-scenario';

describe('cancelling a streaming run on the in-memory broker', () => {
  const broker = new MemoryBroker(4);
  cancelScenario({
    connect: () => new MemoryEventStream(broker),
    async kill(stream, running) {
      (stream as MemoryEventStream).crash();
      await running.stop();
    },
  });
});
