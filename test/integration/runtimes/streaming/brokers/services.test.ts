/** test/helpers/services.ts must fail loudly, with what to install, when a service is not there. */
import { freePort, requireKafka, requireRedis } from '../../../../helpers/services';

describe('requireRedis / requireKafka with an unreachable service', () => {
  const saved = { redis: process.env.REDIS_URL, kafka: process.env.KAFKA_BROKERS };

  afterEach(() => {
    restoreEnv('REDIS_URL', saved.redis);
    restoreEnv('KAFKA_BROKERS', saved.kafka);
  });

  test('REDIS_URL with nothing listening fails with SERVICE_MISSING naming the install script', async () => {
    process.env.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
    await expect(requireRedis()).rejects.toMatchObject({
      code: 'SERVICE_MISSING',
      message: expect.stringContaining('scripts/services/install-redis.sh'),
    });
  });

  test('KAFKA_BROKERS with nothing listening fails with SERVICE_MISSING naming the install script', async () => {
    process.env.KAFKA_BROKERS = `127.0.0.1:${await freePort()}`;
    await expect(requireKafka()).rejects.toMatchObject({
      code: 'SERVICE_MISSING',
      message: expect.stringContaining('scripts/services/install-kafka.sh'),
    });
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
