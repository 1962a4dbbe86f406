/**
 * The streaming engines on a real Redis (Streams + consumer groups), started for this suite by
 * `requireRedis()`. Same scenarios as the in-memory unit test; OpenWhisk is a fake at the Rule
 * Engine's boundary (the `StreamTaskInvoker`), as these tests are about the stream.
 */
import { createEventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { requireRedis, type TestService } from '../../../../helpers/services';
import { streamingScenarios } from '../../../../helpers/streaming/scenarios';

// Jest's `testTimeout` is a global option, not a project one: set this suite's bound here.
jest.setTimeout(120_000);

describe('streaming engines on Redis Streams', () => {
  let redis: TestService | undefined;
  beforeAll(async () => {
    redis = await requireRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  streamingScenarios({
    // Short sessions: a consumer that leaves hands its partitions over quickly.
    connect: () => createEventStream((redis as TestService).url, { partitions: 4 }),
    async kill(stream, running) {
      // Leaves the group without acknowledging the batch that failed to checkpoint.
      await running.stop();
      await stream.close();
    },
  });
});
