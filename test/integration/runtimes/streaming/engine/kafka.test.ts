/**
 * The streaming engines on a real Kafka broker (KRaft, one node), started for this suite by
 * `requireKafka()`. Same scenarios as the in-memory unit test; OpenWhisk is a fake at the Rule
 * Engine's boundary (the `StreamTaskInvoker`), as these tests are about the stream.
 */
import { createEventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { requireKafka, type KafkaTestService } from '../../../../helpers/services';
import { streamingScenarios } from '../../../../helpers/streaming/scenarios';

// Jest's `testTimeout` is a global option, not a project one: set this suite's bound here.
jest.setTimeout(180_000);

describe('streaming engines on Kafka', () => {
  let kafka: KafkaTestService | undefined;
  beforeAll(async () => {
    kafka = await requireKafka();
  }, 120_000);
  afterAll(async () => {
    await kafka?.stop();
  });

  streamingScenarios({
    connect: () => createEventStream((kafka as KafkaTestService).url, { partitions: 4 }),
    async kill(stream, running) {
      // Leaves the group without committing the batch that failed to checkpoint.
      await running.stop();
      await stream.close();
    },
  });
});
