/** The ContextStore's contract on the in-memory store; the same on the embedded CouchDB in test/integration/runtimes/streaming/. */
import { MemoryRunStore } from '../../../../lib/store/memory';
import { contextStoreContract } from '../../../helpers/streaming/context-store-contract';

describe('ContextStore on the in-memory store', () => {
  contextStoreContract(async () => new MemoryRunStore());
});
