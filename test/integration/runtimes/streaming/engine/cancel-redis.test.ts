/** `whiskflow cancel` of a streaming run on a real Redis (see test/helpers/streaming/cancel-scenario.ts). */
import { createEventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { requireRedis, type TestService } from '../../../../helpers/services';
import { cancelScenario } from '../../../../helpers/streaming/cancel-scenario';

jest.setTimeout(120_000);

describe('cancelling a streaming run on Redis Streams', () => {
  let redis: TestService | undefined;
  beforeAll(async () => {
    redis = await requireRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  cancelScenario({
    connect: () => createEventStream((redis as TestService).url, { partitions: 4 }),
    async kill(stream, running) {
      await running.stop();
      await stream.close();
    },
  });
});
