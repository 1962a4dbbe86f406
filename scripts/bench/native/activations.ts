/** Reading the platform's activation records (list API, paged) and the run store's heads. */
import { setTimeout as sleep } from 'node:timers/promises';
import { docIds, type RunDoc } from '../../../lib/store/run-documents';
import type { RunStore } from '../../../lib/store/run-store';
import { statusOf } from '../../../lib/openwhisk/status';
import type { Client } from './context';

export type ActivationSummary = { activationId: string; name: string; start: number; end?: number; duration?: number; statusCode?: number; annotations?: { key: string; value: unknown }[] };

/** Whether an activation paid a cold start (a new container): its record has an `initTime` annotation. */
export const isColdStart = (record: ActivationSummary) => record.annotations?.some((annotation) => annotation.key === 'initTime') === true;

/** Activations that paid a cold start. */
export const coldStarts = (records: readonly ActivationSummary[]) => records.filter(isColdStart).length;

export interface OrchestratorTrace { storeRequests: number; storeMs: number; invokes: number; invokeMs: number; totalMs: number; timeline?: string[] }

/** Every activation of `name` that started at or after `since`, through the list API (paged by 200). */
export async function listActivations(ow: Client, name: string, since: number, upto?: number): Promise<ActivationSummary[]> {
  const found: ActivationSummary[] = [];
  for (let skip = 0; ; skip += 200) {
    const page = (await ow.activations.list({ name, since, ...(upto !== undefined ? { upto } : {}), limit: 200, skip })) as unknown as ActivationSummary[];
    found.push(...page);
    if (page.length < 200) break;
  }
  // Paging while records arrive could repeat one at a page edge.
  return [...new Map(found.map((record) => [record.activationId, record])).values()];
}

export async function waitForActivation(ow: Client, activationId: string, deadline: number, pollMs: number): Promise<{ start: number; end: number; duration?: number; statusCode?: number; status?: string; logs?: string[] }> {
  for (;;) {
    try {
      const record = await ow.activations.get({ name: activationId });
      if (typeof record.end === 'number' && record.end > 0) {
        return { start: record.start, end: record.end, duration: record.duration, logs: record.logs, status: (record.response as { status?: string } | undefined)?.status };
      }
    } catch (thrown: unknown) {
      if (statusOf(thrown) !== 404) throw thrown;
    }
    if (Date.now() > deadline) throw new Error(`activation ${activationId} did not finish in time`);
    await sleep(pollMs);
  }
}

/** Polls the run head directly in CouchDB (not through the counting proxy) until the run ends. */
export async function waitForRunEnd(store: RunStore, runId: string, deadline: number, pollMs: number): Promise<RunDoc> {
  for (;;) {
    const run = await store.get<RunDoc>(docIds.run(runId));
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} ${run ? 'still running' : 'not started'} at the deadline`);
    await sleep(pollMs);
  }
}
