/** The failure scenarios (failure-scenarios.ts) on a real Redis broker this suite starts. */
import { requireRedis } from '../../../../helpers/services';
import { failureSuite } from './failure-scenarios';

jest.setTimeout(180_000);

failureSuite('Redis', requireRedis);
