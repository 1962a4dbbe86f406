/** The ContextStore's contract (test/helpers/streaming/context-store-contract.ts) on the embedded CouchDB (pouchdb-server). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CouchDbRunStore } from '../../../../lib/store/couchdb';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../../../lib/store/embedded-couch';
import { contextStoreContract } from '../../../helpers/streaming/context-store-contract';

jest.setTimeout(120_000);

let couch: EmbeddedCouch;
let dataDir: string;
let databases = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-contexts-'));
  couch = await startEmbeddedCouch({ dataDir, port: 0 });
});

afterAll(async () => {
  await couch?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ContextStore on the embedded CouchDB', () => {
  contextStoreContract(async () => {
    const store = new CouchDbRunStore({ url: couch.url, dbname: `contexts_${++databases}` });
    await store.ensureReady();
    return store;
  });
});
