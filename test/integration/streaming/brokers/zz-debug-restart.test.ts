import { createEventStream } from '../../../../lib/engine/streaming/brokers';
import { requireKafka } from '../../../helpers/services';
import { distinctEventIds, recordingConsumer, taskEvent, waitUntil } from './recording-consumer';

jest.setTimeout(600_000);
test('debug restart loop', async () => {
  const service = await requireKafka();
  const logs: string[] = [];
  const t0 = Date.now();
  const logger = { warn: (c: Record<string, unknown>, m: string) => logs.push(`${Date.now() - t0} WARN ${m} ${JSON.stringify(c).slice(0, 300)}`),
    error: (c: Record<string, unknown>, m: string) => logs.push(`${Date.now() - t0} ERROR ${m} ${JSON.stringify(c).slice(0, 300)}`) };
  try {
    for (let round = 0; round < 6; round += 1) {
      const stream = createEventStream(service.url, { partitions: 4, logger });
      const topic = `restart-${round}`;
      const rec = await recordingConsumer(stream, { topic, group: `g-${round}`, consumer: 'a', sessionTimeoutMs: 3000 });
      await stream.produceBatch(topic, Array.from({ length: 100 }, (_, i) => ({ key: `run-${i % 10}`, event: taskEvent(`run-${i % 10}`, i) })));
      await waitUntil('before', () => distinctEventIds(rec.received).size === 100);
      logs.push(`${Date.now() - t0} round ${round} restarting`);
      await service.restart({ crash: round % 2 === 1 });
      logs.push(`${Date.now() - t0} restarted`);
      await stream.produceBatch(topic, Array.from({ length: 100 }, (_, i) => ({ key: `run-${i % 10}`, event: taskEvent(`run-${i % 10}`, 100 + i) })));
      logs.push(`${Date.now() - t0} produced`);
      await waitUntil('after', () => distinctEventIds(rec.received).size === 200, 60_000);
      logs.push(`${Date.now() - t0} consumed; errors ${rec.errors.map((e) => e.message).join(' | ')}`);
      await rec.subscription.close();
      await stream.close();
    }
  } finally {
    require('fs').writeFileSync('/tmp/kdebug/log.txt', logs.join('\n'));
    await service.stop();
  }
});
