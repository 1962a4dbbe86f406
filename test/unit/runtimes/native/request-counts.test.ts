/**
 * Store requests per transition and per fan-out task, counted by kind over the in-memory store.
 * Request counts do not depend on load: these tests pin them, so a request that comes back fails.
 * (docs/exactly-once.md, "Per completion event", says why each of them is needed.)
 */
import { handleEvent, type OrchestratorContext } from '../../../../lib/runtimes/native/orchestrator';
import { ChainingInvoker } from '../../../../lib/runtimes/native/composition';
import { cancelNativeRun } from '../../../../lib/runtimes/native/cancel';
import type { TaskStart } from '../../../../lib/runtimes/native/invoker';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type InvokeDoc } from '../../../../lib/store/run-documents';
import type { RunHead } from '../../../../lib/runtimes/native/run-head';
import type { RunStore } from '../../../../lib/store/run-store';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';

/** The store's requests, one entry per request: its kind and, for bulk creates, the kinds of documents it carried. */
function counting(store: MemoryRunStore): { store: RunStore; requests: string[] } {
  const requests: string[] = [];
  const kindOf = (id: string) => id.split('/')[0];
  // `stage,invoke×100`: the kinds of a bulk request's documents, repeats counted.
  const kindsOf = (ids: string[]) => ids.map(kindOf).reduce<[string, number][]>((runs, kind) => {
    const last = runs[runs.length - 1];
    if (last && last[0] === kind) last[1] += 1;
    else runs.push([kind!, 1]);
    return runs;
  }, []).map(([kind, count]) => (count > 1 ? `${kind}×${count}` : kind)).join(',');
  const counted: RunStore = {
    description: store.description,
    ensureReady: () => store.ensureReady(),
    createOnly: (id, body) => { requests.push(`create(${kindOf(id)})`); return store.createOnly(id, body); },
    createMany: (docs) => { requests.push(`createMany(${kindsOf(docs.map((doc) => doc.id))})`); return store.createMany(docs); },
    get: (id) => { requests.push(`get(${kindOf(id)})`); return store.get(id); },
    replace: (doc) => { requests.push(`replace(${kindOf(doc._id)})`); return store.replace(doc); },
    replaceMany: (docs) => { requests.push(`replaceMany(${kindsOf(docs.map((doc) => doc._id))})`); return store.replaceMany(docs); },
    upsert: (id, body) => { requests.push(`upsert(${kindOf(id)})`); return store.upsert(id, body); },
    remove: (id) => { requests.push(`remove(${kindOf(id)})`); return store.remove(id); },
    listByPrefix: (prefix, options) => { requests.push(`list(${kindOf(prefix)})`); return store.listByPrefix(prefix, options); },
    revisions: (ids) => { requests.push(`revisions(${kindsOf([...ids])})`); return store.revisions(ids); },
    getMany: (ids) => { requests.push(`getMany(${kindsOf([...ids])})`); return store.getMany(ids); },
  };
  return { store: counted, requests };
}

async function setUp(yaml: string) {
  const memory = new MemoryRunStore();
  const workflow = parseWorkflow(yaml);
  await memory.upsert(docIds.workflow(workflow.name), { type: 'workflow', name: workflow.name, definition: workflow, trigger: `whiskflow-${workflow.name}`, selfReporting: [], deployedAt: 0 });
  const { store, requests } = counting(memory);
  const invoker = new RecordingInvoker();
  const ctx: OrchestratorContext = { store, invoker, namespace: 'guest', activationId: 'orchestrator-1' };
  return { memory, store, requests, invoker, ctx, workflow };
}

const completed = (task: TaskStart, result: unknown, activationId: string) =>
  ({ type: 'task.completed' as const, eventId: `${task.context.runId}/${task.context.position}/${task.context.index}/c`, task: task.context, result: result as never, activationId });

describe('store requests of a sequence transition', () => {
  const sequence = 'name: seq\nstages:\n' + Array.from({ length: 4 }, (_, i) => `  - { id: s${i}, kind: task, action: a${i} }\n`).join('');

  it('costs the orchestrator one bulk create and one bulk replace per transition (warm container)', async () => {
    const t = await setUp(sequence);
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'seq', runId: 'r', input: {} });
    t.requests.length = 0;
    await handleEvent(t.ctx, completed(t.invoker.starts[0]!, 1, 'done-0'));
    expect(t.requests).toEqual(['createMany(result,stage,invoke)', 'replaceMany(invoke)']);
  });

  it('costs a task conductor that continues its composition one bulk create per transition', async () => {
    const t = await setUp(sequence);
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'seq', runId: 'r', input: {} });
    let task = t.invoker.starts[0]!;
    const perTransition: string[][] = [];
    for (let position = 0; position < 3; position += 1) {
      t.requests.length = 0;
      const chaining = new ChainingInvoker(t.invoker, `conductor-${position}`, position + 1, 'key');
      await handleEvent({ ...t.ctx, invoker: chaining, activationId: `conductor-${position}` }, completed(task, position, `user-${position}`));
      perTransition.push([...t.requests]);
      const next = chaining.continuation!;
      expect(next.context.position).toBe(position + 1);
      // The claim names the conductor run whose composition runs the task next (the sweep reads it there).
      expect((await t.memory.get<InvokeDoc>(docIds.invoke('r', position + 1, 0, 1)))!.activationId).toBe(`conductor-${position}`);
      task = { context: next.context, action: next.action, params: next.params, delayMs: 0, selfReporting: false };
    }
    // The claim is created naming the conductor run: no write of the activation id after it.
    expect(perTransition).toEqual(Array(3).fill(['createMany(result,stage,invoke)']));
    expect(t.invoker.starts).toHaveLength(1);
  });

  it('costs the run\'s end a bulk create and the head\'s update, with the revision the container holds', async () => {
    const t = await setUp('name: one\nstages:\n  - { id: only, kind: task, action: a }\n');
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'one', runId: 'r', input: {} });
    t.requests.length = 0;
    await handleEvent(t.ctx, completed(t.invoker.starts[0]!, 1, 'done-0'));
    expect(t.requests).toEqual(['createMany(result,stage)', 'replace(run)']);
    expect((await t.memory.get<RunHead>(docIds.run('r')))!.status).toBe('succeeded');
  });

  it('ends a run whose head changed since the container read it through the read-and-retry loop', async () => {
    const t = await setUp('name: one\nstages:\n  - { id: only, kind: task, action: a }\n');
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'one', runId: 'r', input: {} });
    // Another process changed the head (a cancel marks it): the held revision is stale.
    const head = (await t.memory.get<RunHead>(docIds.run('r')))!;
    await t.memory.replace({ ...head, status: 'cancelled' as const });
    t.requests.length = 0;
    await handleEvent(t.ctx, completed(t.invoker.starts[0]!, 1, 'done-0'));
    expect(t.requests).toEqual(['createMany(result,stage)', 'replace(run)', 'get(run)']);
    // The end leaves a head that ended otherwise alone.
    expect((await t.memory.get<RunHead>(docIds.run('r')))!.status).toBe('cancelled');
  });
});

describe('store requests of a fan-out task', () => {
  it('costs a map of 100 (window 100) about two requests per task, its join included', async () => {
    const t = await setUp('name: fan\nstages:\n  - { id: each, kind: map, action: work, items: $.items }\n  - { id: total, kind: reduce, action: add }\n');
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'fan', runId: 'r', input: { items: Array.from({ length: 100 }, (_, i) => i) } });
    const startRequests = [...t.requests];
    t.requests.length = 0;
    const tasks = [...t.invoker.starts];
    for (const task of tasks) await handleEvent(t.ctx, completed(task, task.context.index, `done-${task.context.index}`));
    const byKind = new Map<string, number>();
    for (const request of t.requests) byKind.set(request, (byKind.get(request) ?? 0) + 1);
    // Per task: its result and its bucket's listing; per bucket of 10: the markers' listings and
    // create (the last bucket lists them along with its results); the reduce's transition and claim,
    // and the write of its activation id.
    expect(Object.fromEntries(byKind)).toEqual({
      'createMany(result)': 100, 'list(result)': 100, 'create(joined)': 9, 'list(joined)': 28, 'createMany(stage,invoke)': 1, 'replaceMany(invoke)': 1,
    });
    // The run's head, its first transition with the claims of all 100 tasks, their activation ids in batches of 50.
    expect(startRequests).toEqual(['get(workflow)', 'createMany(run)', 'createMany(stage,invoke×100)', 'replaceMany(invoke×50)', 'replaceMany(invoke×50)']);
  });

  it('costs a map of 100 whose window is 10 applied by task conductors (each continues with the next element)', async () => {
    const t = await setUp('name: fan\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 10 }\n  - { id: total, kind: reduce, action: add }\n');
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'fan', runId: 'r', input: { items: Array.from({ length: 100 }, (_, i) => i) } });
    t.requests.length = 0;
    const pending: TaskStart[] = [...t.invoker.starts];
    let continued = 0;
    for (let done = 0; done < 100; done += 1) {
      const task = pending.shift()!;
      const conductor = `conductor-${done}`;
      const chaining = new ChainingInvoker(t.invoker, conductor, 1, 'key');
      await handleEvent({ ...t.ctx, invoker: chaining, activationId: conductor }, completed(task, task.context.index, `user-${done}`));
      const next = chaining.continuation;
      if (next) {
        continued += 1;
        expect((await t.memory.get<InvokeDoc>(docIds.invoke('r', next.context.position, next.context.index, 1)))!.activationId).toBe(conductor);
        if (next.context.position === 0) pending.push({ context: next.context, action: next.action, params: next.params, delayMs: 0, selfReporting: false });
      }
    }
    // Elements 10..99 and the reduce ran as the next component of a composition; nothing else was invoked.
    expect(continued).toBe(91);
    expect(t.invoker.starts).toHaveLength(10);
    const byKind = new Map<string, number>();
    for (const request of t.requests) byKind.set(request, (byKind.get(request) ?? 0) + 1);
    // Per refill, the result with the next element's claim (naming the conductor), then side by
    // side, without bodies, the result's bucket as a range and whether the next transition exists
    // (was the stage left?); the completion that fills a bucket then lists it with its results (9
    // of them here). The last 10 completions start nothing: result, bucket listing. The join's
    // markers and the reduce's transition with its claim (naming the conductor too) as for any map.
    expect(Object.fromEntries(byKind)).toEqual({
      'createMany(result,invoke)': 90, 'revisions(stage)': 90, 'createMany(result)': 10, 'list(result)': 109,
      'create(joined)': 9, 'list(joined)': 28, 'createMany(stage,invoke)': 1,
    });
  });

  it('costs a map of 100 whose window is 10 (each completion starts the next element)', async () => {
    const t = await setUp('name: fan\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 10 }\n  - { id: total, kind: reduce, action: add }\n');
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'fan', runId: 'r', input: { items: Array.from({ length: 100 }, (_, i) => i) } });
    t.requests.length = 0;
    for (let done = 0; done < 100; done += 1) {
      const task = t.invoker.starts[done]!;
      await handleEvent(t.ctx, completed(task, task.context.index, `done-${task.context.index}`));
    }
    const byKind = new Map<string, number>();
    for (const request of t.requests) byKind.set(request, (byKind.get(request) ?? 0) + 1);
    // As above, but the orchestrator invokes each element: its activation id is written after the invoke.
    expect(Object.fromEntries(byKind)).toEqual({
      'createMany(result,invoke)': 90, 'revisions(stage)': 90, 'replaceMany(invoke)': 91, 'createMany(result)': 10, 'list(result)': 109,
      'create(joined)': 9, 'list(joined)': 28, 'createMany(stage,invoke)': 1,
    });
  });
});

describe('claims created with the activation that runs them, and exactly-once', () => {
  const sequence = 'name: seq\nstages:\n  - { id: a, kind: task, action: a }\n  - { id: b, kind: task, action: b }\n';

  it('continues with the task whose claim it created although the store\'s answer to the create was lost', async () => {
    const t = await setUp(sequence);
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'seq', runId: 'r', input: {} });
    // The bulk create lands, its answer is lost; the store's retry then reports `exists` for every document.
    let lose = true;
    t.store.createMany = async (docs) => {
      const outcomes = await t.memory.createMany(docs);
      if (!lose) return outcomes;
      lose = false;
      return docs.map((doc) => ({ id: doc.id, outcome: 'exists' as const }));
    };
    const chaining = new ChainingInvoker(t.invoker, 'conductor-a', 1, 'key');
    await handleEvent({ ...t.ctx, invoker: chaining, activationId: 'conductor-a' }, completed(t.invoker.starts[0]!, 1, 'user-a'));
    expect(chaining.continuation).toMatchObject({ action: '/guest/b', context: { position: 1, index: 0, attempt: 1 } });
    expect(t.invoker.starts).toHaveLength(1);
    expect((await t.memory.get<InvokeDoc>(docIds.invoke('r', 1, 0, 1)))!.activationId).toBe('conductor-a');
  });

  it('starts the next task once when two conductors and an orchestrator apply the same completion at once', async () => {
    for (let round = 0; round < 6; round += 1) {
      const t = await setUp(sequence);
      await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'seq', runId: 'r', input: {} });
      const first = t.invoker.starts[0]!;
      // Each handler in a container of its own (a warm cache of its own: a store object of its own).
      const own = () => Object.create(t.store) as RunStore;
      const chainings = [new ChainingInvoker(t.invoker, 'conductor-1', 1, 'key'), new ChainingInvoker(t.invoker, 'conductor-2', 1, 'key')];
      const deliveries = [
        () => handleEvent({ ...t.ctx, store: own(), invoker: chainings[0]!, activationId: 'conductor-1' }, completed(first, 1, 'user-a')),
        () => handleEvent({ ...t.ctx, store: own(), invoker: chainings[1]!, activationId: 'conductor-2' }, completed(first, 1, 'user-a')),
        () => handleEvent({ ...t.ctx, store: own(), activationId: 'orchestrator-2' }, completed(first, 1, 'user-a')),
      ];
      const order = [round % 3, (round + 1) % 3, (round + 2) % 3];
      await Promise.all((round % 2 ? [...order].reverse() : order).map((which) => deliveries[which]!()));
      const continued = chainings.filter((chaining) => chaining.continuation !== undefined);
      const invoked = t.invoker.starts.filter((start) => start.context.position === 1);
      // Exactly one start of task b: a continued composition or an invoke, and its claim names it.
      expect(continued.length + invoked.length).toBe(1);
      const claimDoc = (await t.memory.get<InvokeDoc>(docIds.invoke('r', 1, 0, 1)))!;
      expect(claimDoc.activationId).toBe(continued.length === 1 ? (continued[0] === chainings[0] ? 'conductor-1' : 'conductor-2') : 'act-2');
    }
  });

  it('creates a map\'s next element\'s claim with the result, and starts nothing once the run is cancelled', async () => {
    const t = await setUp('name: fan\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 1 }\n  - { id: after, kind: task, action: next }\n');
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e0', workflow: 'fan', runId: 'r', input: { items: [0, 1, 2] } });
    await cancelNativeRun(t.memory, 'r');
    const chaining = new ChainingInvoker(t.invoker, 'conductor-0', 1, 'key');
    await handleEvent({ ...t.ctx, invoker: chaining, activationId: 'conductor-0' }, completed(t.invoker.starts[0]!, 0, 'user-0'));
    expect(chaining.continuation).toBeUndefined();
    expect(t.invoker.starts).toHaveLength(1);
    expect(await t.memory.get(docIds.result('r', 0, 0, 3))).toBeDefined();
  });
});
