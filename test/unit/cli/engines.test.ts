/**
 * The commands' engine starter (lib/cli/engines.ts) owns the stream it opens: it is closed when the
 * engines stop, and also when they fail to start, so a failed command leaves no broker connection open.
 */
import { startEnginesOnStream } from '../../../lib/cli/engines';
import { MemoryEventStream } from '../../../lib/runtimes/streaming';
import type { SubscribeOptions, Subscription } from '../../../lib/runtimes/streaming/brokers';
import type { StreamTasksClient } from '../../../lib/openwhisk/client';
import { ServiceMissingError } from '../../../lib/errors';
import { MemoryRunStore } from '../../../lib/store/memory';

/** Never called: no run starts in these tests. */
const openwhisk: StreamTasksClient = {
  actions: { invoke: () => Promise.reject(new Error('no action should be invoked')) },
  activations: { get: () => Promise.reject(new Error('no activation should be read')) },
};

/** The streams `memory://` URLs opened, as they are closed. */
function closedStreams(): MemoryEventStream[] {
  const close = jest.spyOn(MemoryEventStream.prototype, 'close');
  return close.mock.contexts as MemoryEventStream[];
}

async function isOpen(stream: MemoryEventStream): Promise<boolean> {
  try {
    await stream.produce('probe', 'key', [{}]);
    return true;
  } catch {
    return false;
  }
}

describe('startEnginesOnStream', () => {
  afterEach(() => jest.restoreAllMocks());

  it('stops the engines, then closes the stream', async () => {
    const closed = closedStreams();
    const running = await startEnginesOnStream({ streamUrl: 'memory://', store: new MemoryRunStore(), openwhisk, consumer: 'test' });
    expect(await isOpen(running.stream as MemoryEventStream)).toBe(true);

    await running.stop();

    expect(closed).toEqual([running.stream]);
    expect(await isOpen(running.stream as MemoryEventStream)).toBe(false);
  });

  it('closes the stream also when stopping the engines fails, and reports why', async () => {
    const closed = closedStreams();
    const running = await startEnginesOnStream({ streamUrl: 'memory://', store: new MemoryRunStore(), openwhisk, consumer: 'test' });
    const failed = new Error('engine stop failed');
    const stopEngines = running.engines.stop.bind(running.engines);
    jest.spyOn(running.engines, 'stop').mockImplementationOnce(async () => {
      await stopEngines();
      throw failed;
    });

    await expect(running.stop()).rejects.toBe(failed);

    expect(closed).toEqual([running.stream]);
    expect(await isOpen(running.stream as MemoryEventStream)).toBe(false);
  });

  it('closes the stream when the Rule Engine fails to start, and reports why it failed', async () => {
    const closed = closedStreams();
    const subscribe = MemoryEventStream.prototype.subscribe;
    const refused = new Error('rule engine: subscription refused');
    // The Condition Engine subscribes first and starts; the Rule Engine's subscription fails.
    jest.spyOn(MemoryEventStream.prototype, 'subscribe')
      .mockImplementationOnce(function (this: MemoryEventStream, options: SubscribeOptions): Promise<Subscription> { return subscribe.call(this, options); })
      .mockRejectedValueOnce(refused);

    await expect(startEnginesOnStream({ streamUrl: 'memory://', store: new MemoryRunStore(), openwhisk, consumer: 'test' })).rejects.toBe(refused);

    expect(closed).toHaveLength(1);
    expect(await isOpen(closed[0]!)).toBe(false);
  });

  it('closes the stream when the run store is not reachable', async () => {
    const closed = closedStreams();
    const store = new MemoryRunStore();
    const unreachable = new ServiceMissingError('CouchDB', 'start it or set COUCHDB_URL');
    jest.spyOn(store, 'ensureReady').mockRejectedValue(unreachable);

    await expect(startEnginesOnStream({ streamUrl: 'memory://', store, openwhisk })).rejects.toBe(unreachable);

    expect(closed).toHaveLength(1);
    expect(await isOpen(closed[0]!)).toBe(false);
  });
});
