/**
 * The failure scenarios (failure-scenarios.ts) on a real Kafka broker this suite starts (so that it
 * may be crashed and restarted), with `whiskflow engine` processes and the local platform.
 */
import { requireKafka, type TestService } from '../../../helpers/services';
import { startDeployedPlatform, type DeployedPlatform } from '../../native/deployed-platform';
import { failureScenarios, type FailureWorld } from './failure-scenarios';

jest.setTimeout(180_000);

describe('streaming failures end to end on Kafka', () => {
  let deployed: DeployedPlatform | undefined;
  let service: TestService | undefined;

  beforeAll(async () => {
    [deployed, service] = await Promise.all([startDeployedPlatform(), requireKafka()]);
  }, 150_000);
  afterAll(async () => {
    await Promise.allSettled([deployed?.platform.stop(), service?.stop()]);
  });

  failureScenarios((): FailureWorld => ({ deployed: deployed as DeployedPlatform, service: service as TestService }));
});
