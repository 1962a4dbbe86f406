/** The failure scenarios (failure-scenarios.ts) on a real Kafka broker this suite starts. */
import { requireKafka } from '../../../../helpers/services';
import { failureSuite } from './failure-scenarios';

jest.setTimeout(180_000);

failureSuite('Kafka', requireKafka);
