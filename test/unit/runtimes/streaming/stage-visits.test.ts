import type { RunState, TaskRecord, Thread } from '../../../../lib/core/run-state';
import { numberStageVisits, type StageVisits } from '../../../../lib/runtimes/streaming/stage-visits';

const T0 = '2026-11-28T00:00:00.000Z';
const T1 = '2026-11-28T00:00:01.000Z';

function state(visits: Record<string, number>, taskKeys: string[], threads: Record<string, Thread> = {}): RunState {
  const tasks: Record<string, TaskRecord> = {};
  for (const taskKey of taskKeys) tasks[taskKey] = { taskKey, stageId: taskKey.split(':')[0]!, action: 'work', status: 'started', startedAt: T1 };
  return { runId: 'r', workflow: { name: 'wf', version: '1' }, status: 'running', input: null, startedAt: T0, updatedAt: T0, threads, visits, tasks, seenEventIds: [] };
}

/** The same state, whose task records throw when walked. */
function unwalkable(run: RunState): RunState {
  return { ...run, tasks: new Proxy(run.tasks, { ownKeys: () => { throw new Error('task records walked'); } }) };
}

const parkedAt = (stageId: string, seq: number): Thread => ({ id: 'root', stageId, seq, data: null, wait: { kind: 'task', attempt: 1, params: {} }, joins: {} });

describe('numbering a streaming run\'s stage visits', () => {
  it('numbers a visit by its first task, and a visit passed without tasks where it was entered', () => {
    const visits = numberStageVisits(undefined, state({ decide: 1, each: 1 }, ['each:1:0:1', 'each:1:1:1']), {});
    expect(visits).toEqual({
      'decide:1': { position: 0, stageId: 'decide', taskCount: 0, startedAt: Date.parse(T0) },
      'each:1': { position: 1, stageId: 'each', taskCount: 1, startedAt: Date.parse(T1) },
    });
  });

  it('settles a batch that only adds tasks to numbered visits without walking the task records', () => {
    const known: StageVisits = { 'each:1': { position: 0, stageId: 'each', taskCount: 3, startedAt: 1 } };
    const previous = state({ each: 1 }, ['each:1:0:1']);
    const next = unwalkable(state({ each: 1 }, ['each:1:0:1', 'each:1:1:1', 'each:1:2:1']));
    expect(numberStageVisits(previous, next, known)).toBe(known);
  });

  it('numbers a visit that was parked without tasks once its first task starts in a later batch', () => {
    const entered = state({ slow: 1 }, [], { root: parkedAt('slow', 1) });
    const known = numberStageVisits(undefined, entered, {});
    expect(known).toEqual({});
    const started = state({ slow: 1 }, ['slow:1:0:1'], { root: parkedAt('slow', 1) });
    expect(numberStageVisits(entered, started, known)).toEqual({ 'slow:1': { position: 0, stageId: 'slow', taskCount: 1, startedAt: Date.parse(T1) } });
  });
});
