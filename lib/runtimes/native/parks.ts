/**
 * What a stored transition waits for, as the pure core says (lib/core/scope.ts): a stage document
 * keeps only the step it parked at, the data it parked on and the scope's joins, and the core
 * re-derives the rest from them (the items of a map, the parameters of each task, the input of a
 * parallel stage's branches). Also the other way: the stage's outcome from its tasks' results. What
 * a park's tasks are and what their results mean is the core's (lib/core/park-tasks.ts); this module
 * reads and keeps what the core needs from the stored documents.
 */
import { InvalidInputError } from '../../errors';
import type { Json, JsonObject } from '../../model/json';
import { docIds, type ResultDoc, type StageDoc } from '../../store/run-documents';
import { parkAt, type Park, type ScopeHooks, type StepOutcome } from '../../core/scope';
import { enteredWithPark, parkOutcome as joinedOutcome, parkRunner, parkTasks, reduceSource, reduceTaskParams, type TaskRunner } from '../../core/park-tasks';
import { formatTaskKey } from '../../events/task-key';
import type { TaskContext } from './events';
import { cacheOf, readStage, type OrchestratorContext } from './handling';
import { joinOf, storedResults, type JoinedStage } from './results';
import type { RunHead } from './run-head';
import { compiledOf } from './warm-cache';

export type Joins = NonNullable<StageDoc['joins']>;
export type Visits = NonNullable<StageDoc['visits']>;

/**
 * The stages a fork's single-task branches run (each is entered as the fork starts, as the core's
 * branch threads enter theirs) counted as visited; a branch of several stages counts its own
 * visits in its child run.
 */
export function visitBranchTasks(run: RunHead, park: Park, visits: Visits): void {
  for (const step of enteredWithPark(compiledOf(run.definition), park)) visits[step.id] = (visits[step.id] ?? 0) + 1;
}

/**
 * The context of attempt `attempt` of task `index` of a transition, as handed to whoever runs it
 * (and as the sweep fires an outcome for it): where the attempt is stored (`position`, `index`), the
 * stage whose task it is and its task key.
 */
export function attemptContext(run: RunHead, stageDoc: StageDoc, index: number, attempt: number, park: Park = parkOf(run, stageDoc)): TaskContext {
  const runner = runnerOf(run, park, index);
  return {
    runId: run.runId, workflow: run.workflow, position: stageDoc.position, index, attempt, trigger: run.trigger,
    // A single-task branch's attempt is a task of the branch's own stage, as the core starts it.
    stageId: runner.runsAs === 'action' ? runner.stageId : stageDoc.stageId,
    taskKey: taskKeyOf(run, stageDoc, park, index, attempt),
  };
}

/**
 * The task key (lib/events/task-key.ts) of attempt `attempt` of task `index` of a transition: the
 * stage that runs it (a single-task branch's own stage, as element 0), that stage's visit, the
 * element, the attempt. A branch of several stages is a task of the fork (element: the branch).
 * Transitions stored before visits were counted name visit 1.
 */
export function taskKeyOf(run: RunHead, stageDoc: StageDoc, park: Park, index: number, attempt: number): string {
  const runner = runnerOf(run, park, index);
  const stageId = runner.runsAs === 'action' ? runner.stageId : stageDoc.stageId;
  const element = runner.runsAs === 'action' ? runner.element : index;
  return formatTaskKey({ stageId, seq: stageDoc.visits?.[stageId] ?? 1, index: element, attempt });
}

/**
 * The core's scope hooks over a transition's joins (written into `joins`). An empty map completes
 * inside the walk, with no transition of its own: its (empty) results are kept inline. Results that
 * are not empty come from the parked stage `parkedPosition` being completed: kept by its position. `visits`
 * counts each stage entered (the `seq` of task keys, lib/events/task-key.ts).
 */
export function scopeHooks(joins: Joins, parkedPosition?: number, passed?: string[], visits?: Visits): ScopeHooks {
  return {
    visit: (step) => {
      passed?.push(step.id);
      if (!visits) return 0;
      const visit = (visits[step.id] ?? 0) + 1;
      visits[step.id] = visit;
      return visit;
    },
    hasJoin: (stepId) => Object.prototype.hasOwnProperty.call(joins, stepId),
    joined: (step, results) => {
      // Under a completion policy the results that counted are kept inline: the stored ones may
      // include outcomes that arrived after the stage completed (and were ignored).
      if (step.completion !== undefined) joins[step.id] = results;
      else joins[step.id] = results.length > 0 && parkedPosition !== undefined ? parkedPosition : [];
    },
  };
}

/** The park a stored transition stands for. */
export function parkOf(run: RunHead, stageDoc: StageDoc): Park {
  const park = parkAt(compiledOf(run.definition), stageDoc.stageId, stageDoc.data, scopeHooks({ ...(stageDoc.joins ?? {}) }));
  if (!park) throw new InvalidInputError(`transition ${stageDoc.position} of run ${run.runId} does not wait at ${stageDoc.stageId}`, { runId: run.runId, position: stageDoc.position });
  return park;
}

/** Tasks a park waits for, and how many start at once (lib/core/park-tasks.ts). */
export function tasksOf(park: Park): { taskCount: number; window: number } {
  return parkTasks(park);
}

export type { TaskRunner };

/** What task `index` of a park runs (lib/core/park-tasks.ts). */
export function runnerOf(run: RunHead, park: Park, index: number): TaskRunner {
  return parkRunner(compiledOf(run.definition), park, index);
}

/** The parameters of an action runner; a reduce's come from its source's joined results. */
export async function paramsOf(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc, park: Park, runner: Extract<TaskRunner, { runsAs: 'action' }>): Promise<JsonObject> {
  if (runner.params !== 'reduce') return runner.params;
  const from = reduceSource(park);
  const source = from === undefined ? undefined : stageDoc.joins?.[from];
  if (source === undefined) throw new InvalidInputError(`reduce '${park.step.id}' found no results of '${from ?? '?'}'`, { stageId: park.step.id });
  return reduceTaskParams(park, await joinedResults(ctx, run, source));
}

/**
 * The outcome of a complete park from its tasks' results in index order: a task's result, a map's
 * results, a parallel stage's branch outputs (a single-task branch's result goes through its task's
 * own `resultPath`/`output` over the branch input, as in the core; a child run's output is that
 * already). The results a later reduce reads are kept in the warm cache.
 */
export function parkOutcome(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc, joined: JoinedStage): StepOutcome {
  if (!joined.ok) return { status: 'failed', error: joined.failure };
  const { outcome, joined: results } = joinedOutcome(compiledOf(run.definition), parkOf(run, stageDoc), joined.values, joined.indexes);
  if (results) cacheOf(ctx).results.set(`${run.runId}/${stageDoc.position}`, { stageId: stageDoc.stageId, position: stageDoc.position, values: results });
  return outcome;
}

/** The results a map or parallel stage joined (`source`: its transition, or the results themselves). */
async function joinedResults(ctx: OrchestratorContext, run: RunHead, source: number | Json[]): Promise<Json[]> {
  if (Array.isArray(source)) return source;
  // Usually the stage right before, joined moments ago by this very activation (or container).
  const cached = cacheOf(ctx).results.get(`${run.runId}/${source}`);
  if (cached) return cached.values;
  const stageDoc = await readStage(ctx, run.runId, source);
  if (!stageDoc) throw new InvalidInputError(`run ${run.runId} has no transition ${source}`, { runId: run.runId, position: source });
  const rows = await ctx.store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, source), { includeDocs: true });
  const outcome = parkOutcome(ctx, run, stageDoc, joinOf(storedResults(rows), stageDoc.stageId));
  if (outcome.status !== 'succeeded' || !Array.isArray(outcome.result)) {
    throw new InvalidInputError(`transition ${source} of run ${run.runId} has no joined results`, { runId: run.runId, position: source });
  }
  return outcome.result;
}
