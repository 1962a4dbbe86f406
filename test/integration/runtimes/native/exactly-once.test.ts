/**
 * Exactly-once under load, against the real embedded CouchDB (pouchdb-server): a map stage of
 * N = 1,000 tasks whose completions arrive concurrently, each delivered twice, plus a retried
 * orchestrator activation of the start event. Every next stage must start exactly once and the
 * join must see every result exactly once. The orchestrator library is driven directly (a
 * recording invoker instead of the platform) so that the store's conflict handling is what is tested.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { handleEvent, type OrchestratorContext, type RunHead } from '../../../../lib/runtimes/native/orchestrator';
import type { OrchestratorEvent } from '../../../../lib/runtimes/native/events';
import { parseWorkflow } from '../../../../lib/model/parse';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../../../lib/store/embedded-couch';
import { CouchDbRunStore } from '../../../../lib/store/couchdb';
import { GroupCommitStore } from '../../../../lib/store/group-commit';
import type { RunStore } from '../../../../lib/store/run-store';
import { docIds, type ResultDoc, type WorkflowDoc } from '../../../../lib/store/run-documents';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';
import { ChainingInvoker } from '../../../../lib/runtimes/native/composition';
import type { TaskContext } from '../../../../lib/runtimes/native/events';

jest.setTimeout(300_000);

const N = 1_000;
// All N tasks in flight at once (past the default window), so that all N completions can arrive together.
const workflow = parseWorkflow(`
name: fan-in
stages:
  - id: fan-out
    kind: map
    action: work
    items: $.items
    concurrency: ${N}
  - id: total
    kind: reduce
    action: add
`);

/** Runs `tasks` with at most `limit` in flight (a 2-core machine; pouchdb serves one request at a time). */
async function withConcurrency<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  }));
  return results;
}

describe('exactly-once transitions on the embedded CouchDB', () => {
  let couch: EmbeddedCouch;
  let dataDir: string;
  let store: CouchDbRunStore;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-exactly-once-'));
    couch = await startEmbeddedCouch({ dataDir, port: 0 });
    store = new CouchDbRunStore({ url: couch.url, dbname: 'whiskflow_exactly_once' });
    await store.ensureReady();
    const doc: WorkflowDoc = { type: 'workflow', name: workflow.name, definition: workflow, trigger: 'whiskflow-fan-in', selfReporting: [], deployedAt: 0 };
    await store.upsert(docIds.workflow(workflow.name), doc);
  });

  afterAll(async () => {
    await couch?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Several orchestrator activations (different ids), as the platform would run them side by side,
  // each with its own store client and so its own warm cache, as in separate containers.
  it(`starts each of ${N} tasks once, joins each result once and starts the reduce once`, async () => {
    const stores = Array.from({ length: 4 }, () => new CouchDbRunStore({ url: couch.url, dbname: 'whiskflow_exactly_once' }));
    await fanInOnce('load-run', (i) => stores[i]!);
  });

  // Two containers that run two activations each at once: the activations of one container share
  // its group-commit store (creates, replaces and listings coalesced), as in the orchestrator action.
  it(`keeps it exactly once when the activations of one container share their requests (group commit)`, async () => {
    const containers = Array.from({ length: 2 }, () => new GroupCommitStore(new CouchDbRunStore({ url: couch.url, dbname: 'whiskflow_exactly_once' })));
    await fanInOnce('group-run', (i) => containers[i % 2]!);
    expect(containers.every((container) => container.stats.createdDocs > container.stats.createRequests)).toBe(true);
  });

  async function fanInOnce(runId: string, storeOf: (activation: number) => RunStore): Promise<void> {
    const invoker = new RecordingInvoker();
    const contexts: OrchestratorContext[] = Array.from({ length: 4 }, (_, i) => ({
      store: storeOf(i), invoker, namespace: 'guest', activationId: `orchestrator-${i}`,
    }));
    const start: OrchestratorEvent = { type: 'run.started', eventId: 'start', workflow: 'fan-in', runId, input: { items: Array.from({ length: N }, (_, i) => i) } };
    // The start event delivered twice at once: a retried orchestrator activation.
    await Promise.all([handleEvent(contexts[0]!, start), handleEvent(contexts[1]!, start)]);
    const fanOut = invoker.ofPosition(0);
    expect(fanOut).toHaveLength(N);
    expect(new Set(fanOut.map((s) => s.context.index)).size).toBe(N);

    // Every completion twice, interleaved, spread over the activations.
    const deliveries = fanOut.flatMap((task, i) => [task, task].map((t, copy) => () => handleEvent(contexts[(i + copy) % contexts.length]!, {
      type: 'task.completed', eventId: `done-${t.context.index}`, task: t.context, result: { value: t.params.value as number }, activationId: `a-${t.context.index}-${copy}`,
    })));
    const shuffled = deliveries.map((delivery, i) => ({ delivery, key: (i * 7919) % deliveries.length })).sort((a, b) => a.key - b.key).map((x) => x.delivery);
    const outcomes = await withConcurrency(shuffled, 50);
    expect(outcomes.filter((o) => o.outcome === 'recorded')).toHaveLength(N);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(N);

    const reduce = invoker.ofPosition(1);
    expect(reduce).toHaveLength(1);
    const joined = reduce[0]!.params.results as { value: number }[];
    expect(joined).toHaveLength(N);
    expect(joined.map((r) => r.value)).toEqual(Array.from({ length: N }, (_, i) => i));

    const results = await store.listByPrefix<ResultDoc>(docIds.resultsPrefix(runId, 0));
    expect(results).toHaveLength(N);
    const stages = await store.listByPrefix(docIds.stagesPrefix(runId));
    expect(stages.map((row) => row.id)).toEqual([docIds.stage(runId, 0), docIds.stage(runId, 1)]);

    // The reduce completes, twice: the run ends once with the sum.
    const total = N * (N - 1) / 2;
    await Promise.all([0, 1].map((copy) => handleEvent(contexts[copy]!, { type: 'task.completed', eventId: 'sum', task: reduce[0]!.context, result: { total } })));
    const run = (await store.get<RunHead>(docIds.run(runId)))!;
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ total });
    expect(invoker.starts).toHaveLength(N + 1);
  }

  it('starts every task of a sequence once when each completion arrives three times at once in different containers', async () => {
    const length = 20;
    const sequence = parseWorkflow(`name: chain\nstages:\n${Array.from({ length }, (_, i) => `  - { id: s${i}, kind: task, action: step, resultPath: $.r${i} }`).join('\n')}\n`);
    await store.upsert(docIds.workflow('chain'), { type: 'workflow', name: 'chain', definition: sequence, trigger: 'whiskflow-chain', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
    const invoker = new RecordingInvoker();
    const contexts: OrchestratorContext[] = Array.from({ length: 3 }, (_, i) => ({
      store: new CouchDbRunStore({ url: couch.url, dbname: 'whiskflow_exactly_once' }), invoker, namespace: 'guest', activationId: `chain-${i}`,
    }));
    const start: OrchestratorEvent = { type: 'run.started', eventId: 'start', workflow: 'chain', runId: 'chain-run', input: {} };
    await Promise.all(contexts.map((ctx) => handleEvent(ctx, start)));
    for (let seq = 0; seq < length; seq += 1) {
      const started = invoker.ofPosition(seq);
      expect(started).toHaveLength(1);
      const outcomes = await Promise.all(contexts.map((ctx, copy) => handleEvent(ctx, {
        type: 'task.completed', eventId: `done-${seq}`, task: started[0]!.context, result: seq, activationId: `a-${seq}-${copy}`,
      })));
      expect(outcomes.filter((o) => o.outcome === 'recorded')).toHaveLength(1);
    }
    expect(invoker.starts).toHaveLength(length);
    const run = (await store.get<RunHead>(docIds.run('chain-run')))!;
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual(Object.fromEntries(Array.from({ length }, (_, i) => [`r${i}`, i])));
  });

  // Shuffled: a bucket's elements complete in any order, and whichever result lands last must find
  // its bucket full (join.ts).
  const inIndexOrder = <T>(items: T[]): T[] => items;
  const shuffled = <T>(items: T[]): T[] => items.map((item, i) => ({ item, key: (i * 7919 + 13) % items.length })).sort((a, b) => a.key - b.key).map((x) => x.item);
  // Delivered once: a duplicate lists the whole bucket again, so only single deliveries show that
  // the bucket's last writer joins it by itself.
  it.each([
    ['twice, in index order', inIndexOrder, true], ['twice, in shuffled order', shuffled, true], ['once, in shuffled order', shuffled, false],
  ])('starts each element of a bounded map once when its completions arrive %s', async (order, arrange, duplicated) => {
    // Each completion claims the next element with its result, and a conductor creates that claim
    // naming itself: the claims, the checks and the join on the real store; delivered twice, a
    // conductor and an orchestrator apply each completion at once.
    const size = 300;
    const runId = `bounded-run-${order.replace(/[ ,]+/g, '-')}`;
    const bounded = parseWorkflow(`name: bounded\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 30 }\n  - { id: total, kind: reduce, action: add }\n`);
    await store.upsert(docIds.workflow('bounded'), { type: 'workflow', name: 'bounded', definition: bounded, trigger: 'whiskflow-bounded', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
    const invoker = new RecordingInvoker();
    const containers: RunStore[] = Array.from({ length: 3 }, () => new GroupCommitStore(new CouchDbRunStore({ url: couch.url, dbname: 'whiskflow_exactly_once' })));
    const base = { invoker, namespace: 'guest' };
    await handleEvent({ ...base, store: containers[0]!, activationId: 'start' }, { type: 'run.started', eventId: 'start', workflow: 'bounded', runId, input: { items: Array.from({ length: size }, (_, i) => i) } });
    const started: TaskContext[] = invoker.starts.map((task) => task.context);
    for (let done = 0; done < started.length;) {
      const wave = arrange(started.slice(done));
      done = started.length;
      const continued = await withConcurrency(wave.flatMap((task) => {
        const event = (copy: number): OrchestratorEvent => ({ type: 'task.completed', eventId: `done-${task.position}-${task.index}`, task, result: task.position === 0 ? task.index : 'reduced', activationId: `user-${task.position}-${task.index}-${copy}` });
        const conductor = `conductor-${task.position}-${task.index}`;
        const chaining = new ChainingInvoker(invoker, conductor, 1, undefined);
        const byConductor = async () => { await handleEvent({ ...base, store: containers[task.index % 3]!, invoker: chaining, activationId: conductor }, event(0)); return chaining.continuation?.context; };
        const byOrchestrator = async () => { await handleEvent({ ...base, store: containers[(task.index + 1) % 3]!, activationId: `orchestrator-${task.position}-${task.index}` }, event(1)); return undefined; };
        return duplicated ? [byConductor, byOrchestrator] : [byConductor];
      }), 16);
      const invoked = invoker.starts.map((task) => task.context).filter((context) => !started.some((known) => known.position === context.position && known.index === context.index && known.attempt === context.attempt));
      started.push(...invoked, ...continued.filter((context): context is TaskContext => context !== undefined));
    }
    const elements = started.filter((context) => context.position === 0).map((context) => context.index).sort((a, b) => a - b);
    expect(elements).toEqual(Array.from({ length: size }, (_, i) => i));
    expect(started.filter((context) => context.position === 1)).toHaveLength(1);
    expect((await store.listByPrefix(docIds.resultsPrefix(runId, 0))).length).toBe(size);
    const run = (await store.get<RunHead>(docIds.run(runId)))!;
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe('reduced');
  });
});
