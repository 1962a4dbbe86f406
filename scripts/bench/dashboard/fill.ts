/**
 * The dashboard bench's store: run heads of a few workflows and one finished run whose map has
 * `tasks` tasks, written directly as documents of the shapes the engines write
 * (lib/store/run-documents.ts), the join's bucket markers included (lib/runtimes/native/join.ts:
 * one per full bucket but the bucket the last completion joined): no actions run.
 */
import { parseWorkflow } from '../../../lib/model/parse';
import { createAll } from '../../../lib/store/bulk';
import { joinedMarker } from '../../../lib/runtimes/native/results';
import { bucketOf, bucketSize, docIds, type InvokeDoc, type ResultDoc, type RunDoc, type StageDoc, type WorkflowDoc } from '../../../lib/store/run-documents';
import type { NewDoc, RunStore } from '../../../lib/store/run-store';

export interface FillOptions { runs: number; tasks: number }

const WORKFLOW = parseWorkflow(`
name: wide-bench
stages:
  - { id: fan, kind: map, action: bench/work, items: $.items }
  - { id: gather, kind: reduce, action: bench/sum }
`);

/** 10,000 finished run heads of a few workflows, and one run whose map has `tasks` tasks. */
export async function fillStore(store: RunStore, options: FillOptions): Promise<string> {
  const base = Date.now() - options.runs * 1000;
  const statuses: RunDoc['status'][] = ['succeeded', 'succeeded', 'succeeded', 'failed', 'running'];
  const heads: NewDoc[] = Array.from({ length: options.runs }, (_, i) => {
    const runId = `${(base + i * 1000).toString(36).padStart(9, '0')}-b${String(i).padStart(5, '0')}`;
    const status = statuses[i % statuses.length]!;
    const run: RunDoc = { type: 'run', runId, workflow: `bench-${i % 7}`, input: { i }, status, startedAt: base + i * 1000, ...(status !== 'running' ? { endedAt: base + i * 1000 + 250 + (i % 900) } : {}) };
    return { id: docIds.run(runId), body: run };
  });
  await createAll(store, heads);
  const workflow: WorkflowDoc = { type: 'workflow', name: WORKFLOW.name, definition: WORKFLOW, trigger: 'whiskflow-wide-bench', selfReporting: [], deployedAt: Date.now() };
  await store.upsert(docIds.workflow(WORKFLOW.name), workflow);
  const runId = `${Date.now().toString(36).padStart(9, '0')}-wide00`;
  const started = Date.now() - 60_000;
  const n = options.tasks;
  const docs: NewDoc[] = [
    { id: docIds.run(runId), body: { type: 'run', runId, workflow: WORKFLOW.name, input: { items: n }, status: 'succeeded', startedAt: started, endedAt: started + 50_000, output: { total: n } } satisfies RunDoc },
    { id: docIds.stage(runId, 1), body: { type: 'stage', runId, position: 1, stageId: 'fan', data: null, taskCount: n, window: 100, startedAt: started } satisfies StageDoc },
    { id: docIds.stage(runId, 2), body: { type: 'stage', runId, position: 2, stageId: 'gather', data: null, taskCount: 1, window: 1, startedAt: started + 45_000 } satisfies StageDoc },
  ];
  for (let index = 0; index < n; index += 1) {
    const invokedAt = started + Math.floor((index / 100)) * 400 + (index % 100);
    // Every 50th task needed a second attempt.
    const attempts = index % 50 === 0 ? 2 : 1;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      docs.push({ id: docIds.invoke(runId, 1, index, attempt), body: { type: 'invoke', runId, position: 1, index, attempt, claimedAt: invokedAt + (attempt - 1) * 150, invokedAt: invokedAt + (attempt - 1) * 150, activationId: `${index.toString(16).padStart(28, '0')}000${attempt}` } satisfies InvokeDoc });
    }
    docs.push({ id: docIds.result(runId, 1, index, n), body: { type: 'result', runId, position: 1, index, attempt: attempts, ok: true, result: { value: index }, completedAt: invokedAt + attempts * 150 + 200 } satisfies ResultDoc });
  }
  const results = docs.flatMap((doc) => ((doc.body as { type?: string }).type === 'result' ? [doc.body as ResultDoc] : []));
  const buckets = Math.ceil(n / bucketSize(n));
  for (let bucket = 0; bucket < buckets - 1; bucket += 1) {
    docs.push({ id: docIds.joinedBucket(runId, 1, bucket), body: joinedMarker(runId, 1, bucket, results.filter((result) => bucketOf(result.index, n) === bucket)) });
  }
  docs.push({ id: docIds.invoke(runId, 2, 0, 1), body: { type: 'invoke', runId, position: 2, index: 0, attempt: 1, claimedAt: started + 45_000, invokedAt: started + 45_000 } satisfies InvokeDoc });
  docs.push({ id: docIds.result(runId, 2, 0, 1), body: { type: 'result', runId, position: 2, index: 0, attempt: 1, ok: true, result: { total: n }, completedAt: started + 50_000 } satisfies ResultDoc });
  await createAll(store, docs);
  return runId;
}

