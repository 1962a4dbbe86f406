/**
 * The streaming scenarios with run contexts, claims and run heads in CouchDB (the embedded
 * pouchdb-server, over HTTP with nano) instead of memory: the compare-and-swap checkpoints and
 * create-only claims the engines rely on, on the store `whiskflow engine` uses by default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { CouchDbRunStore } from '../../../../../lib/store/couchdb';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../../../../lib/store/embedded-couch';
import { requireRedis, type TestService } from '../../../../helpers/services';
import { startTogether } from '../../../../helpers/start-together';
import { chunkedCheckpointScenarios } from '../../../../helpers/streaming/chunked-scenarios';
import { streamingScenarios, type Backend } from '../../../../helpers/streaming/scenarios';

jest.setTimeout(120_000);

describe('streaming engines on Redis Streams with the run state in CouchDB', () => {
  let redis: TestService | undefined;
  let couch: EmbeddedCouch | undefined;
  let dataDir: string | undefined;
  let databases = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-stream-couch-'));
    [redis, couch] = await startTogether([requireRedis(), startEmbeddedCouch({ dataDir, port: 0 })]);
  });
  afterAll(async () => {
    await Promise.allSettled([redis?.stop(), couch?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const backend: Backend = {
    connect: () => createEventStream((redis as TestService).url, { partitions: 4 }),
    async kill(stream, running) {
      await running.stop();
      await stream.close();
    },
    async openStore() {
      const store = new CouchDbRunStore({ url: (couch as EmbeddedCouch).url, dbname: `stream_engine_${++databases}` });
      await store.ensureReady();
      return store;
    },
  };
  streamingScenarios(backend);
  describe('with contexts checkpointed in chunks', () => chunkedCheckpointScenarios(backend));
});
