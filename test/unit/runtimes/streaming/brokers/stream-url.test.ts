import { createEventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { parseStreamUrl } from '../../../../../lib/runtimes/streaming/brokers/stream-url';
import { hasErrorCode } from '../../../../../lib/errors';

describe('parseStreamUrl', () => {
  test.each([
    ['kafka://127.0.0.1:9092', { backend: 'kafka', brokers: ['127.0.0.1:9092'] }],
    ['kafka://a:1,b:2', { backend: 'kafka', brokers: ['a:1', 'b:2'] }],
    ['kafka://broker', { backend: 'kafka', brokers: ['broker:9092'] }],
    ['KAFKA://h:9', { backend: 'kafka', brokers: ['h:9'] }],
    ['redis://127.0.0.1:6379', { backend: 'redis', url: 'redis://127.0.0.1:6379' }],
    ['redis://:secret@cache:6380/2', { backend: 'redis', url: 'redis://:secret@cache:6380/2' }],
  ])('%s', (url, expected) => {
    expect(parseStreamUrl(url)).toEqual(expected);
  });

  test.each(['', 'http://host:1', 'kafka://', 'redis://', 'localhost:9092'])('rejects %p with INVALID_INPUT', (url) => {
    let thrown: unknown;
    try {
      parseStreamUrl(url);
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'INVALID_INPUT')).toBe(true);
  });

  test('never puts a password into the error', () => {
    let thrown: unknown;
    try {
      parseStreamUrl('amqp://user:hunter2@host:5672');
    } catch (error) {
      thrown = error;
    }
    expect(String((thrown as Error).message)).not.toContain('hunter2');
    expect(JSON.stringify((thrown as { details: unknown }).details)).not.toContain('hunter2');
  });
});

describe('createEventStream', () => {
  test('picks the backend from the scheme without connecting first', async () => {
    const stream = createEventStream('kafka://127.0.0.1:1');
    expect(stream.backend).toBe('kafka');
    await stream.close();
  });
});
