/**
 * Compositions (sequences and conductors) in the invoker, over an in-memory runtime whose "actions" are
 * plain functions and in-memory stand-ins for the CouchDB databases: no processes, no I/O.
 */
import { ActivationStore } from '../../../lib/platform/persistence/activation-store';
import { CodeStore } from '../../../lib/platform/persistence/code-store';
import { EntityStore } from '../../../lib/platform/persistence/entity-store';
import { ActionEntity } from '../../../lib/platform/entities';
import { Invoker } from '../../../lib/platform/invoker';
import { resolveLimits } from '../../../lib/platform/limits';
import { Resolver } from '../../../lib/platform/resolver';
import { Throttles } from '../../../lib/platform/throttles';
import type { ActionRuntime, RunOutcome } from '../../../lib/platform/runtime/types';
import type { Identity } from '../../../lib/platform/persistence/subject-store';
import type { ActivationRecord } from '../../../lib/platform/activation-record';

/** Just enough of nano's DocumentScope for the stores: an empty database that accepts writes. */
function memoryDb(): any {
  const docs = new Map<string, Record<string, unknown>>();
  let rev = 0;
  return {
    list: async () => ({ rows: [] }),
    changes: async () => ({ results: [] }),
    insert: async (doc: { _id: string }) => { docs.set(doc._id, doc); return { ok: true, id: doc._id, rev: `${++rev}-x` }; },
    destroy: async (id: string) => { docs.delete(id); return { ok: true }; },
    bulk: async ({ docs: batch }: { docs: { _id: string }[] }) => batch.map((doc) => { docs.set(doc._id, doc); return { ok: true, id: doc._id, rev: `${++rev}-x` }; }),
    get: async (id: string) => { const doc = docs.get(id); if (!doc) throw Object.assign(new Error('missing'), { statusCode: 404 }); return doc; },
  };
}

type Code = (params: Record<string, unknown>) => Record<string, unknown>;

function functionRuntime(functions: Map<string, Code>): ActionRuntime {
  return {
    run: async (action, request): Promise<RunOutcome> => {
      const code = functions.get(action.fqn);
      const now = Date.now();
      const result = code ? code(request.params) : { error: `no code for ${action.fqn}` };
      return { status: 'error' in result ? 'application error' : 'success', result, logs: [], start: now, end: now, waitTime: 0, cold: false, containerId: 'c', timedOut: false };
    },
    evict: async () => undefined,
    stats: () => ({ containers: 0, busy: 0, queued: 0, memoryByContainer: {} }),
    shutdown: async () => undefined,
  };
}

const caller: Identity = { subject: 'guest', namespace: 'guest', uuid: 'u', key: 'k' };

async function setUp(sequenceMaxLength = 50) {
  const entities = await EntityStore.open(memoryDb(), new CodeStore());
  const activations = await ActivationStore.open(memoryDb());
  const functions = new Map<string, Code>();
  const resolver = new Resolver(entities);
  const limits = resolveLimits(false, { sequenceMaxLength });
  const invoker = new Invoker({
    runtime: functionRuntime(functions), activations, resolver, throttles: new Throttles(limits.throttles), limits,
    builtins: new Map(), apiHost: () => 'http://127.0.0.1:1', requireApiKeyAnnotation: false,
  });
  const define = async (name: string, code: Code | string[], annotations: { key: string; value: unknown }[] = []) => {
    const exec = Array.isArray(code) ? { kind: 'sequence' as const, components: code } : { kind: 'nodejs:20', code: '', binary: false };
    const action: ActionEntity = {
      namespace: 'guest', name, version: '0.0.1', publish: false, annotations, parameters: [], updated: 1, exec,
      limits: { timeout: 1000, memory: 256, logs: 10, concurrency: 1 },
    };
    await entities.update(`guest/${name}`, () => ({ entity: { type: 'action', doc: action }, result: undefined }));
    if (!Array.isArray(code)) functions.set(`/guest/${name}`, code);
  };
  const run = async (name: string, payload: Record<string, unknown> = {}): Promise<ActivationRecord> =>
    invoker.invoke({ caller, target: resolver.resolveAction(caller, { namespace: 'guest', name }), payload }).completion;
  return { define, run, activations };
}

describe('sequences', () => {
  test('pipe results and stop at the first error, listing the component activations', async () => {
    const { define, run, activations } = await setUp();
    await define('inc', (p) => ({ n: (p.n as number) + 1 }));
    await define('boom', () => ({ error: 'boom' }));
    await define('seq', ['/guest/inc', '/guest/inc', '/guest/boom', '/guest/inc']);
    const record = await run('seq', { n: 1 });
    expect(record.response).toMatchObject({ status: 'application error', result: { error: 'boom' } });
    expect(record.logs).toHaveLength(3);
    const second = await activations.get('guest', record.logs[1]!);
    expect(second?.response.result).toEqual({ n: 3 });
    expect(second?.cause).toBe(record.activationId);
  });

  test('a component deleted after the sequence was made ends it with an application error', async () => {
    const { define, run } = await setUp();
    await define('seq', ['/guest/gone']);
    const record = await run('seq');
    expect(record.response).toMatchObject({ status: 'application error', result: { error: 'Sequence component does not exist.' } });
  });
});

describe('conductors', () => {
  test('params and state are boxed when they are not objects; the final params are the result', async () => {
    const { define, run } = await setUp();
    await define('echo', (p) => p);
    await define('conductor', (p) => (p.state === 'done' ? { params: 42 } : { action: 'echo', params: 'hi', state: 'done' }), [{ key: 'conductor', value: true }]);
    const record = await run('conductor');
    expect(record.response).toMatchObject({ status: 'success', result: { value: 42 } });
    expect(record.logs).toHaveLength(3);
  });

  test('more than n component activations end the composition with the real error (n = sequence limit)', async () => {
    const { define, run } = await setUp(3);
    await define('noop', () => ({}));
    await define('forever', () => ({ action: 'noop' }), [{ key: 'conductor', value: true }]);
    const record = await run('forever');
    expect(record.response).toMatchObject({ status: 'application error', result: { error: 'Too many actions in the composition.' } });
    // 3 components, interleaved with 4 conductor activations.
    expect(record.logs).toHaveLength(7);
  });

  test('an action name that does not parse is an application error naming the value', async () => {
    const { define, run } = await setUp();
    await define('weird', () => ({ action: 17 }), [{ key: 'conductor', value: true }]);
    const record = await run('weird');
    expect(record.response.result).toEqual({ error: 'Failed to parse action name from json value 17 during composition.' });
  });
});
