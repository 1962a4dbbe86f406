import { createRunStore } from '../../../lib/store/config';
import { readingLegacyPositions, upgradeStageVisits, upgradeStoredDoc } from '../../../lib/store/legacy-position';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds, type InvokeDoc, type JoinedDoc, type ResultDoc, type RunDoc, type StageDoc } from '../../../lib/store/run-documents';
import { parseTaskContext } from '../../../lib/runtimes/native/events';
import { stageAttempts } from '../../../lib/runtimes/native/stage-attempts';
import { describeRun } from '../../../lib/runs/run-view';

// Bodies as the previous version wrote them: the storage coordinate under `seq`.
const legacyStage = { type: 'stage', runId: 'r1', seq: 1, stageId: 'each', data: null, taskCount: 2, window: 2, startedAt: 10 };
const legacyInvoke = (index: number) => ({ type: 'invoke', runId: 'r1', seq: 1, index, attempt: 1, claimedAt: 11, activationId: `a${index}`, invokedAt: 11 });
const legacyResult = { type: 'result', runId: 'r1', seq: 1, index: 0, attempt: 1, ok: true, result: 5, completedAt: 12 };

describe('reading documents stored with `seq`', () => {
  it('renames the coordinate of every positioned document, and of a child run head\'s parent', () => {
    expect(upgradeStoredDoc(legacyStage)).toEqual({ ...without(legacyStage), position: 1 });
    expect(upgradeStoredDoc({ type: 'waiter', runId: 'r1', seq: 3 })).toEqual({ type: 'waiter', runId: 'r1', position: 3 });
    const joined = upgradeStoredDoc({ type: 'joined', runId: 'r1', seq: 1, bucket: 0, results: [legacyResult] }) as unknown as JoinedDoc;
    expect(joined).toMatchObject({ position: 1, results: [{ position: 1, index: 0 }] });
    expect(joined).not.toHaveProperty('seq');
    const child = upgradeStoredDoc({ type: 'run', runId: 'r1.s1b0a1', parent: { runId: 'r1', workflow: 'w', seq: 1, index: 0, attempt: 1, trigger: 't', stageId: 's' } }) as unknown as RunDoc;
    expect(child.parent).toEqual({ runId: 'r1', workflow: 'w', position: 1, index: 0, attempt: 1, trigger: 't', stageId: 's' });
  });

  it('passes current documents, and fields named seq that are not the coordinate, through untouched', () => {
    const current: StageDoc = { type: 'stage', runId: 'r1', position: 1, stageId: 'each', data: null, taskCount: 2, window: 2, startedAt: 10 };
    expect(upgradeStoredDoc(current)).toBe(current);
    // A feed's document or a workflow definition may hold its own `seq`: not one of ours.
    const other = { type: 'mailbox', event: { seq: 4 } };
    expect(upgradeStoredDoc(other)).toBe(other);
    const workflow = { type: 'workflow', seq: 2 };
    expect(upgradeStoredDoc(workflow)).toBe(workflow);
  });

  it('renames a streaming checkpoint\'s stage-visit numbering', () => {
    const context = { type: 'stream-run', stageVisits: { 'each:1': { seq: 0, stageId: 'each', taskCount: 1, startedAt: 1 } } };
    expect(upgradeStageVisits(context).stageVisits).toEqual({ 'each:1': { position: 0, stageId: 'each', taskCount: 1, startedAt: 1 } });
    expect(upgradeStoredDoc(context)).toEqual(upgradeStageVisits(context));
  });

  it('reads a task context an earlier version handed out (a conductor or callback token in flight)', () => {
    const context = parseTaskContext({ runId: 'r1', workflow: 'w', seq: 2, index: 0, attempt: 1, trigger: 't', stageId: 's' });
    expect(context).toEqual({ runId: 'r1', workflow: 'w', position: 2, index: 0, attempt: 1, trigger: 't', stageId: 's' });
  });

  it('lets a run in flight across the upgrade be read through the stores createRunStore opens', async () => {
    const raw = new MemoryRunStore();
    const store = readingLegacyPositions(raw);
    await raw.createOnly(docIds.run('r1'), { type: 'run', runId: 'r1', workflow: 'w', input: null, status: 'running', startedAt: 10 } satisfies RunDoc);
    await raw.createOnly(docIds.stage('r1', 1), legacyStage);
    await raw.createOnly(docIds.invoke('r1', 1, 0, 1), legacyInvoke(0));
    await raw.createOnly(docIds.invoke('r1', 1, 1, 1), legacyInvoke(1));
    await raw.createOnly(docIds.result('r1', 1, 0, 2), legacyResult);

    expect((await store.get<StageDoc>(docIds.stage('r1', 1)))?.position).toBe(1);
    const listed = await store.listByPrefix<InvokeDoc>(docIds.invokesPrefix('r1', 1), { includeDocs: true });
    expect(listed.map((row) => row.doc?.position)).toEqual([1, 1]);
    expect(listed.map((row) => row.doc)).not.toContainEqual(expect.objectContaining({ seq: 1 }));
    const attempts = await stageAttempts(store, 'r1', 1);
    expect([...attempts.latest.values()].map((claim) => [claim.position, claim.index])).toEqual([[1, 0], [1, 1]]);
    expect([...attempts.reported]).toEqual([0]);
    const view = await describeRun(store, 'r1', true);
    expect(view?.stages).toEqual([expect.objectContaining({ position: 1, stageId: 'each', taskCount: 2, completed: 1 })]);
    // Writes and the optional bulk operations go to the store as they are.
    expect(typeof store.createMany).toBe('function');
    expect((await raw.get<ResultDoc>(docIds.result('r1', 1, 0, 2)))).toHaveProperty('seq', 1);
  });

  it('keeps every operation the store offers, so no caller falls back to more requests', async () => {
    const raw = new MemoryRunStore();
    const store = readingLegacyPositions(raw);
    // The native join reads a bucket and the next transition in one getMany when the store has it.
    for (const operation of ['getMany', 'createMany', 'replaceMany', 'revisions', 'removeMany'] as const) {
      expect({ operation, type: typeof store[operation] }).toEqual({ operation, type: typeof raw[operation] });
    }
    await raw.createOnly(docIds.stage('r3', 1), { ...legacyStage, runId: 'r3' });
    await raw.createOnly(docIds.result('r3', 1, 0, 2), legacyResult);
    const docs = await store.getMany!<StageDoc | ResultDoc>([docIds.stage('r3', 1), docIds.result('r3', 1, 0, 2), docIds.stage('r3', 2)]);
    expect([...docs.keys()]).toEqual([docIds.stage('r3', 1), docIds.result('r3', 1, 0, 2)]);
    for (const doc of docs.values()) {
      expect(doc).toMatchObject({ position: 1 });
      expect(doc).not.toHaveProperty('seq');
    }
  });

  it('is how createRunStore opens every store', async () => {
    const store = createRunStore({ kind: 'memory' });
    await store.createOnly(docIds.stage('r2', 0), { ...legacyStage, runId: 'r2', seq: 0 });
    expect(await store.get<StageDoc>(docIds.stage('r2', 0))).toMatchObject({ position: 0 });
  });
});

function without<T extends { seq?: unknown }>(doc: T): Omit<T, 'seq'> {
  const { seq: _seq, ...rest } = doc;
  return rest;
}
