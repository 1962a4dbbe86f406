/**
 * How the sweep finds runs whose `run.started` fire never created the run (the rule's invoke was
 * refused, or the orchestrator died first) in the workflow trigger's activation records, and fires
 * them again once; what it leaves alone; how it bounds the listing.
 */
import { parseEvent, runStartedEvent, taskOutcomeEvent, toPayload } from '../../../../lib/runtimes/native/events';
import { EVENT_TYPES } from '../../../../lib/events/types';
import type { LostStartClient } from '../../../../lib/runtimes/native/lost-starts';
import { handleEvent } from '../../../../lib/runtimes/native/orchestrator';
import { sweepRuns } from '../../../../lib/runtimes/native/sweep';
import type { JsonObject } from '../../../../lib/model/json';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type RunDoc, type StartDoc, type WorkflowDoc } from '../../../../lib/store/run-documents';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';

const NOW = 10_000_000;
const STALE = 120_000;
const TRIGGER = 'whiskflow-wf';

/**
 * A trigger activation as OpenWhisk records a fire: the payload as posted (here with whiskflow's
 * workflow parameter posted along, which the orchestrator takes out) and one log line per rule.
 */
function fireRecord(activationId: string, start: number, payload: JsonObject, rule: object = { statusCode: 429, success: false, error: 'Too many requests in the last minute (count: 121, allowed: 120).' }, trigger = TRIGGER) {
  return { activationId, name: trigger, start, response: { success: true, result: { whiskflowWorkflow: 'wf', ...payload } }, logs: [JSON.stringify({ action: 'guest/whiskflow/orchestrator', rule: `guest/${trigger}-rule`, ...rule })] };
}

const started = (runId: string) => toPayload(runStartedEvent('wf', runId, { value: runId }));

type Record = ReturnType<typeof fireRecord>;

interface FakeTrigger { name: string; updated: number; parameters: { key: string; value: unknown }[] }

/** The triggers `whiskflow deploy` makes for workflow `wf` with both feeds. */
const DEPLOYED_TRIGGERS: FakeTrigger[] = ['whiskflow-wf', 'whiskflow-wf-cron', 'whiskflow-wf-changes'].map((name) => ({ name, updated: 0, parameters: [{ key: 'whiskflowWorkflow', value: 'wf' }] }));

/**
 * The platform as the sweep sees it: activation listings (newest first, like OpenWhisk's), fires that
 * record themselves, and the namespace's triggers (listed as summaries, read one by one).
 */
function fakePlatform(records: Record[], options: { activeRule?: boolean; triggers?: FakeTrigger[] } = {}) {
  const fired: { name: string; params: JsonObject }[] = [];
  const listed: { name: string; since?: number; upto?: number; limit?: number; skip?: number; docs?: boolean }[] = [];
  const read: string[] = [];
  const triggers = options.triggers ?? DEPLOYED_TRIGGERS;
  const client: LostStartClient = {
    triggers: {
      list: async ({ limit = 30, skip = 0 }) => triggers.slice(skip, skip + limit).map(({ name, updated }) => ({ name, updated })),
      get: async ({ name }) => {
        read.push(name);
        const trigger = triggers.find((candidate) => candidate.name === name);
        if (!trigger) throw Object.assign(new Error('not found'), { statusCode: 404 });
        return trigger;
      },
      invoke: async ({ name, params }) => {
        fired.push({ name, params: params! });
        if (options.activeRule === false) return {};
        const record = fireRecord(`refire-${fired.length}`, NOW, params!, { statusCode: 0, success: true, activationId: `orchestrator-${fired.length}` });
        records.push(record);
        return { activationId: record.activationId };
      },
    },
    actions: { invoke: async () => ({}) as { activationId: string } }, // never read: nothing is redelivered
    activations: {
      get: async ({ name }) => {
        const record = records.find((candidate) => candidate.activationId === name);
        if (!record) throw Object.assign(new Error('not found'), { statusCode: 404 });
        return record;
      },
      list: async (query) => {
        listed.push(query);
        return records
          .filter((record) => record.name === query.name && record.start >= (query.since ?? 0) && record.start <= (query.upto ?? Infinity))
          .sort((a, b) => b.start - a.start)
          .slice(query.skip ?? 0, (query.skip ?? 0) + (query.limit ?? 30));
      },
    },
  };
  return { client, fired, listed, read };
}

async function storeWithWorkflow(): Promise<MemoryRunStore> {
  const store = new MemoryRunStore();
  const definition = parseWorkflow('name: wf\nstages:\n  - { id: only, kind: task, action: work }\n');
  await store.upsert(docIds.workflow('wf'), { type: 'workflow', name: 'wf', definition, trigger: TRIGGER, selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
  return store;
}

const sweep = (store: MemoryRunStore, client: LostStartClient, extra: Partial<Parameters<typeof sweepRuns>[0]> = {}, runIds?: string[]) =>
  sweepRuns({ store, client, staleAfterMs: STALE, now: () => NOW, ...extra }, runIds);

describe('sweeping runs whose start was lost', () => {
  it('fires again, once, the run.started of a run whose head does not exist, whether the rule was refused or the orchestrator died', async () => {
    const store = await storeWithWorkflow();
    const old = NOW - 10 * 60_000;
    const lost = started('r-throttled');
    const { client, fired } = fakePlatform([
      fireRecord('throttled', old, lost),
      // The rule invoked the orchestrator, whose activation died before it wrote the head.
      fireRecord('died', old + 1, started('r-died'), { statusCode: 0, success: true, activationId: 'o-died' }),
      // The same start fired twice (a retried `whiskflow run`): fired again once.
      fireRecord('throttled-again', old + 2, lost),
    ]);
    const report = await sweep(store, client);

    expect(report.startsChecked).toBe(2);
    expect(report.restarted.map((item) => [item.runId, item.lostActivationId])).toEqual([['r-throttled', 'throttled-again'], ['r-died', 'died']]);
    expect(fired.map((fire) => fire.name)).toEqual([TRIGGER, TRIGGER]);
    // The same CloudEvent (same id, same run id), without the trigger's parameters the record carries.
    expect(fired[0]!.params).toEqual(lost);
  });

  it('leaves alone runs that exist, fires within the stale window, completions, and plain starts that began', async () => {
    const store = await storeWithWorkflow();
    await store.createOnly(docIds.run('r-exists'), { type: 'run', runId: 'r-exists', workflow: 'wf', input: null, status: 'succeeded', startedAt: 0 } satisfies RunDoc);
    const old = NOW - 10 * 60_000;
    const task = { runId: 'r-exists', workflow: 'wf', position: 0, index: 0, attempt: 1, trigger: TRIGGER, stageId: 'only' };
    const { client, fired, listed } = fakePlatform([
      fireRecord('exists', old, started('r-exists')),
      fireRecord('recent', NOW - STALE + 1_000, started('r-recent')),
      fireRecord('completion', old, toPayload(taskOutcomeEvent(task, { result: 1 }))),
      fireRecord('plain', old, { input: { value: 1 } }, { statusCode: 0, success: true, activationId: 'o-plain' }),
    ]);
    await store.createOnly(docIds.start('a-o-plain'), { type: 'start', startKey: 'a-o-plain', runId: 'r-plain', workflow: 'wf', claimedAt: 0 } satisfies StartDoc);
    const report = await sweep(store, client);
    expect(report).toMatchObject({ startsChecked: 2, restarted: [], startWindowCut: [] });
    expect(fired).toEqual([]);
    // Fires within the stale window are not even read; the feeds' triggers are read like the workflow's.
    expect(listed).toEqual(['whiskflow-wf', 'whiskflow-wf-cron', 'whiskflow-wf-changes'].map((name) => ({ name, since: NOW - 3_600_000, upto: NOW - STALE, limit: 200, skip: 0, docs: true })));
  });

  it('keys starts that name no run by the orchestrator activation their rule started, or by the fire when the rule was refused, on the workflow trigger and its feeds\' triggers', async () => {
    const store = await storeWithWorkflow();
    const old = NOW - 10 * 60_000;
    const began = (activationId: string) => ({ statusCode: 0, success: true, activationId });
    const { client, fired } = fakePlatform([
      fireRecord('plain-refused', old, { input: { value: 1 } }),
      // The rule started the orchestrator, whose activation died before it claimed the start.
      fireRecord('plain-died', old + 1, { value: 2 }, began('o-died')),
      fireRecord('plain-began', old + 2, { value: 3 }, began('o-began')),
      // A disabled rule was switched off on purpose; another rule's action starts no run.
      fireRecord('plain-off', old + 3, { value: 4 }, { statusCode: 1, success: false, error: 'Rule is inactive' }),
      fireRecord('plain-other', old + 4, { value: 5 }, { statusCode: 0, success: true, activationId: 'logger-1', action: 'guest/audit/logger' }),
      // A run.started that names no run the orchestrator would keep (a child run's id) is keyed too.
      fireRecord('child-like', old + 5, started('r.s0b0a1'), began('o-child-like')),
      // An alarm's fire on the workflow's cron trigger, refused.
      fireRecord('alarm', old, { input: { tick: true } }, undefined, 'whiskflow-wf-cron'),
    ]);
    await store.createOnly(docIds.start('a-o-began'), { type: 'start', startKey: 'a-o-began', runId: 'r-began', workflow: 'wf', claimedAt: 0 } satisfies StartDoc);

    const report = await sweep(store, client);
    expect(report.startsChecked).toBe(5);
    expect(report.restarted.map((item) => [item.startKey, item.runId, item.lostActivationId])).toEqual([
      ['a-o-child-like', undefined, 'child-like'], ['a-o-died', undefined, 'plain-died'], ['t-plain-refused', undefined, 'plain-refused'], ['t-alarm', undefined, 'alarm'],
    ]);
    // Fired into the workflow trigger as run.started events carrying the key and the input the orchestrator would have started with.
    expect(fired.map((fire) => fire.name)).toEqual([TRIGGER, TRIGGER, TRIGGER, TRIGGER]);
    expect(fired.map((fire) => fire.params)).toEqual([
      expect.objectContaining({ type: EVENT_TYPES.runStarted, id: 'a-o-child-like', data: { workflow: 'wf', startKey: 'a-o-child-like', input: { value: 'r.s0b0a1' } } }),
      expect.objectContaining({ id: 'a-o-died', data: { workflow: 'wf', startKey: 'a-o-died', input: { value: 2 } } }),
      expect.objectContaining({ id: 't-plain-refused', data: { workflow: 'wf', startKey: 't-plain-refused', input: { value: 1 } } }),
      expect.objectContaining({ id: 't-alarm', data: { workflow: 'wf', startKey: 't-alarm', input: { tick: true } } }),
    ]);
    // With run ids, keyed starts are not looked at.
    expect(await sweep(store, client, {}, ['r-any'])).toMatchObject({ startsChecked: 0, restarted: [] });
  });

  it('leaves alone keyed starts fired before the workflow was last deployed (an older orchestrator claimed no keys for them)', async () => {
    const store = await storeWithWorkflow();
    const old = NOW - 10 * 60_000;
    await store.upsert(docIds.workflow('wf'), { ...(await store.get<WorkflowDoc>(docIds.workflow('wf')))!, deployedAt: old + 1 });
    const { client, fired } = fakePlatform([
      fireRecord('before-deploy', old, { input: 1 }, { statusCode: 0, success: true, activationId: 'o-old' }),
      fireRecord('after-deploy', old + 2, { input: 2 }, { statusCode: 0, success: true, activationId: 'o-new' }),
      // Named runs are checked whenever they were fired: their head is what tells.
      fireRecord('named-before', old - 1, started('r-named')),
    ]);
    const report = await sweep(store, client);
    expect(report.restarted.map((item) => item.startKey ?? item.runId)).toEqual(['a-o-new', 'r-named']);
    expect(fired).toHaveLength(2);
  });

  it('lists the activations of a feed\'s trigger only when the trigger exists', async () => {
    const store = await storeWithWorkflow();
    const { client, listed, read } = fakePlatform([], { triggers: [DEPLOYED_TRIGGERS[0]!, { name: 'audit', updated: 0, parameters: [] }] });
    await sweep(store, client);
    expect(listed.map((query) => query.name)).toEqual([TRIGGER]);
    // Triggers of documented workflows, and triggers that are not whiskflow's, are not read.
    expect(read).toEqual([]);
  });

  it('finds a workflow deployed with wskdeploy (no document: its trigger carries the name and definition) and its cron trigger', async () => {
    const store = new MemoryRunStore();
    const old = NOW - 10 * 60_000;
    const inputs = [{ key: 'whiskflowWorkflow', value: 'man' }, { key: 'whiskflowDefinition', value: { name: 'man', stages: [{ id: 'only', kind: 'task', action: 'work' }] } }];
    const { client, fired, read } = fakePlatform([
      fireRecord('named', old - 5, toPayload(runStartedEvent('man', 'r-man', 1)), undefined, 'whiskflow-man'),
      // Keyed starts count from the trigger's last update (wskdeploy's deploy), as from `deployedAt`.
      fireRecord('before-deploy', old - 1, { input: 1 }, undefined, 'whiskflow-man'),
      fireRecord('plain', old + 1, { input: 2 }, undefined, 'whiskflow-man'),
      fireRecord('alarm', old + 2, { input: 3 }, undefined, 'whiskflow-man-cron'),
    ], {
      triggers: [
        // wskdeploy gives the cron trigger the workflow trigger's inputs too.
        { name: 'whiskflow-man-cron', updated: old, parameters: inputs },
        { name: 'whiskflow-man', updated: old, parameters: inputs },
        // Named like whiskflow's, but no workflow's.
        { name: 'whiskflow-stray', updated: 0, parameters: [{ key: 'whiskflowWorkflow', value: 'other' }, inputs[1]!] },
      ],
    });
    const report = await sweep(store, client);
    expect(report.restarted.map((item) => [item.workflow, item.startKey ?? item.runId])).toEqual([['man', 't-plain'], ['man', 'r-man'], ['man', 't-alarm']]);
    expect(fired.map((fire) => fire.name)).toEqual(['whiskflow-man', 'whiskflow-man', 'whiskflow-man']);
    // The workflow's trigger is read before its cron trigger, which is then known.
    expect(read).toEqual(['whiskflow-man', 'whiskflow-stray']);
  });

  it('one start that names no run is one run: the sweep\'s fire and the original arriving late meet at the start key, and a second sweep finds the key', async () => {
    const store = await storeWithWorkflow();
    const plain = { input: { value: 7 } };
    const { client, fired } = fakePlatform([fireRecord('slow', NOW - 10 * 60_000, plain, { statusCode: 0, success: true, activationId: 'o-slow' })]);
    expect((await sweep(store, client)).restarted).toEqual([expect.objectContaining({ startKey: 'a-o-slow' })]);

    const invoker = new RecordingInvoker();
    const orchestrate = (params: JsonObject, activationId: string) =>
      handleEvent({ store, invoker, namespace: 'guest', activationId }, parseEvent(params, 'wf', activationId));
    const refired = await orchestrate(fired[0]!.params, 'o-refire');
    expect(refired).toMatchObject({ outcome: 'started' });
    const runId = refired.runId ?? '';
    expect(await store.get<StartDoc>(docIds.start('a-o-slow'))).toMatchObject({ runId });
    expect(await store.get<RunDoc>(docIds.run(runId))).toMatchObject({ status: 'running', input: { value: 7 }, startedBy: 'o-refire' });

    // The original orchestrator activation was only slow: same key, so the same run, a duplicate.
    expect(await orchestrate(plain, 'o-slow')).toEqual({ outcome: 'duplicate', runId });
    expect(invoker.starts).toHaveLength(1);

    // The sweep's own fire is recorded with the key in its payload: nothing is fired again.
    const again = await sweep(store, client);
    expect(again).toMatchObject({ startsChecked: 1, restarted: [] });
    expect(fired).toHaveLength(1);
  });

  it('starts the run once: a second sweep does nothing, and the original start arriving late is a duplicate', async () => {
    const store = await storeWithWorkflow();
    const { client, fired } = fakePlatform([fireRecord('lost', NOW - 10 * 60_000, started('r1'))]);
    expect((await sweep(store, client)).restarted).toHaveLength(1);

    // The rule hands the fire to the orchestrator (parameters: the payload over the trigger's).
    const invoker = new RecordingInvoker();
    const orchestrate = (params: JsonObject) => handleEvent({ store, invoker, namespace: 'guest', activationId: 'o' }, parseEvent(params, 'wf'));
    expect(await orchestrate(fired[0]!.params)).toMatchObject({ outcome: 'started', runId: 'r1' });
    expect(await store.get<RunDoc>(docIds.run('r1'))).toMatchObject({ status: 'running', input: { value: 'r1' } });

    const again = await sweep(store, client);
    expect(again).toMatchObject({ startsChecked: 1, restarted: [] });
    expect(fired).toHaveLength(1);

    // The original start was only slow: it meets the head and starts nothing more.
    expect(await orchestrate(started('r1'))).toMatchObject({ outcome: 'duplicate', runId: 'r1' });
    expect(invoker.starts).toHaveLength(1);
  });

  it('bounds the listing: the lookback, at most maxActivations records in pages, and names the workflows it cut', async () => {
    const store = await storeWithWorkflow();
    const records = Array.from({ length: 5 }, (_, i) => fireRecord(`f${i}`, NOW - 10 * 60_000 - i, started(`r${i}`)));
    const { client, fired, listed } = fakePlatform([...records, fireRecord('too-old', NOW - 2 * 3_600_000, started('r-old'))]);
    const report = await sweep(store, client, { startWindow: { maxActivations: 3 } });
    expect(report.startWindowCut).toEqual(['wf']);
    expect(report.restarted.map((item) => item.runId)).toEqual(['r0', 'r1', 'r2']);
    expect(listed.filter((query) => query.name === TRIGGER).map((query) => [query.skip, query.limit])).toEqual([[0, 3]]);
    expect(fired).toHaveLength(3);

    // A longer window without the cap reads them all (none was started by the fake fires above).
    const { client: wide } = fakePlatform([...records]);
    const paged = await sweep(store, wide, { startWindow: { lookbackMs: 20 * 60_000 } });
    expect(paged).toMatchObject({ startsChecked: 5, startWindowCut: [] });
    expect(paged.restarted.map((item) => item.runId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('reads 200 records a page, OpenWhisk\'s largest listing', async () => {
    const store = await storeWithWorkflow();
    const task = { runId: 'r', workflow: 'wf', position: 0, index: 0, attempt: 1, trigger: TRIGGER, stageId: 'only' };
    const records = Array.from({ length: 250 }, (_, i) => fireRecord(`c${i}`, NOW - 10 * 60_000 - i, toPayload(taskOutcomeEvent({ ...task, index: i }, { result: i }))));
    const { client, listed } = fakePlatform(records);
    expect(await sweep(store, client)).toMatchObject({ startsChecked: 0, startWindowCut: [] });
    expect(listed.filter((query) => query.name === TRIGGER).map((query) => [query.skip, query.limit])).toEqual([[0, 200], [200, 200]]);
  });

  it('with run ids, looks only for those; with startWindow false, not at all; skips streaming workflows; stops when the trigger has no active rule', async () => {
    const store = await storeWithWorkflow();
    const old = NOW - 10 * 60_000;
    const platform = fakePlatform([fireRecord('a', old, started('ra')), fireRecord('b', old, started('rb'))]);
    const only = await sweep(store, platform.client, {}, ['rb']);
    expect(only).toMatchObject({ runsChecked: 0, startsChecked: 1 });
    expect(only.restarted.map((item) => item.runId)).toEqual(['rb']);

    const off = fakePlatform([fireRecord('a', old, started('ra'))]);
    expect(await sweep(store, off.client, { startWindow: false })).toMatchObject({ startsChecked: 0, restarted: [] });
    expect(off.listed).toEqual([]);

    const inactive = fakePlatform([fireRecord('a', old, started('ra')), fireRecord('b', old, started('rb'))], { activeRule: false });
    expect((await sweep(store, inactive.client)).restarted).toEqual([]);
    expect(inactive.fired).toHaveLength(1);

    const streaming = await storeWithWorkflow();
    await streaming.upsert(docIds.workflow('wf'), { ...(await streaming.get<WorkflowDoc>(docIds.workflow('wf')))!, model: 'streaming' });
    const unlisted = fakePlatform([fireRecord('a', old, started('ra'))]);
    expect(await sweep(streaming, unlisted.client)).toMatchObject({ startsChecked: 0, restarted: [] });
    expect(unlisted.listed).toEqual([]);
  });
});
