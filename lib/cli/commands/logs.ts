/**
 * `whiskflow logs <runId>`: per-stage timings and, per task attempt, what its user action did: its
 * activation, its log lines and, when it failed, its error and stack (read from OpenWhisk: wsk is
 * not needed). `--stage`, `--task` and `--failed` pick the attempts; `--no-activations` skips the
 * reads of the platform (timings and activation ids only). A running run's last lines say what it
 * waits on, as `whiskflow status` does.
 */
import type { Command } from 'commander';
import { forEachLimited } from '../../limited';
import { describeRun, type RunView, type StageView, type TaskView } from '../../runs/run-view';
import { WhiskflowError } from '../../errors';
import { nonNegativeInteger, positiveInteger } from '../options';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { actionActivationsOf, type ActivationReader, type AttemptActivation } from '../task-activations';
import { addConnectionOptions, withConnection } from './connection';
import { waitingLines, waitingOf, type RunWaiting } from '../run-waiting';

interface LogsFlags extends ConnectionFlags {
  json?: boolean;
  stage?: string;
  task?: number;
  failed?: boolean;
  activations: boolean;
  maxActivations: number;
}

/** `position/index/attempt` → what its user action did. */
type AttemptDetails = Map<string, AttemptActivation>;

export function register(program: Command): void {
  addConnectionOptions(program
    .command('logs <runId>'))
    .description('show per-stage timings and, per task attempt, the user action\'s activation, logs, and error with its stack')
    .option('--stage <id>', 'only this stage (its id in the workflow)')
    .option('--task <index>', 'only the task with this index in its stage (a map\'s item index)', nonNegativeInteger)
    .option('--failed', 'only tasks that failed')
    .option('--no-activations', 'do not read the user actions\' activations (timings and activation ids only)')
    .option('--max-activations <n>', 'read at most this many task attempts\' activations (the first ones shown)', positiveInteger, 100)
    .option('--json', 'print as JSON')
    .action(async (runId: string, flags: LogsFlags) => {
      const { view, details, waiting } = await withConnection(flags, async (connection) => {
        const found = await describeRun(connection.store, runId);
        if (!found) throw new WhiskflowError('ENTITY_NOT_FOUND', `run ${runId} not found (list runs with \`whiskflow runs\`)`, { runId });
        const picked = pick(found, flags);
        return {
          view: picked,
          details: flags.activations ? await readAttempts(connection.client as unknown as ActivationReader, picked, flags.maxActivations) : new Map() as AttemptDetails,
          waiting: await waitingOf(connection.store, found, connection.client),
        };
      });
      if (flags.json) return printJson({ ...withDetails(view, details), ...(waiting ? { waiting } : {}) });
      print(view, details, flags, waiting);
    });
}

/** The stages and tasks the filters ask for; stages without a picked task are left out. */
function pick(view: RunView, flags: LogsFlags): RunView {
  if (flags.stage !== undefined && !view.stages.some((stage) => stage.stageId === flags.stage)) {
    throw new WhiskflowError('ENTITY_NOT_FOUND', `run ${view.run.runId} has no stage '${flags.stage}' (its stages so far: ${view.stages.map((stage) => stage.stageId).join(', ') || 'none'})`, { stage: flags.stage });
  }
  const filtering = flags.task !== undefined || flags.failed === true;
  const stages = view.stages
    .filter((stage) => flags.stage === undefined || stage.stageId === flags.stage)
    .map((stage) => ({ ...stage, tasks: stage.tasks.filter((task) => (flags.task === undefined || task.index === flags.task) && (!flags.failed || isFailed(task))) }))
    .filter((stage) => !filtering || stage.tasks.length > 0);
  return { ...view, stages };
}

function isFailed(task: TaskView): boolean {
  return task.outcome !== undefined && !task.outcome.ok;
}

const key = (stage: StageView, task: TaskView, attempt: number): string => `${stage.position}/${task.index}/${attempt}`;

async function readAttempts(client: ActivationReader, view: RunView, max: number): Promise<AttemptDetails> {
  const wanted = view.stages.flatMap((stage) => stage.tasks.flatMap((task) => task.attempts
    .filter((attempt) => attempt.activationId && !attempt.childRunId)
    .map((attempt) => ({ key: key(stage, task, attempt.attempt), activationId: attempt.activationId! }))));
  const details: AttemptDetails = new Map();
  await forEachLimited(wanted.slice(0, max), 8, async (attempt) => { details.set(attempt.key, await actionActivationsOf(client, attempt.activationId)); });
  return details;
}

function withDetails(view: RunView, details: AttemptDetails): object {
  return {
    ...view,
    stages: view.stages.map((stage) => ({
      ...stage,
      tasks: stage.tasks.map((task) => ({
        ...task,
        attempts: task.attempts.map((attempt) => {
          const read = details.get(key(stage, task, attempt.attempt));
          return { ...attempt, ...(read ? (read.ok ? { actionActivations: read.activations } : { activationsUnread: read.reason }) : {}) };
        }),
      })),
    })),
  };
}

function print(view: RunView, details: AttemptDetails, flags: LogsFlags, waiting: RunWaiting | undefined): void {
  const { run } = view;
  console.log(`run ${run.runId} of ${run.workflow}: ${run.status} (started by activation ${run.startedBy ?? '-'})`);
  if (run.parent) console.log(`child run of ${run.parent.runId} (stage ${run.parent.stageId}, branch ${run.parent.index})`);
  let unread = 0;
  for (const stage of view.stages) {
    const took = stage.endedAt !== undefined ? `${stage.endedAt - stage.startedAt} ms` : 'running';
    console.log(`[${stage.position}] ${stage.stageId}: ${stage.completed}/${stage.taskCount} done${stage.failed ? `, ${stage.failed} failed` : ''}, ${took}`);
    for (const task of stage.tasks) {
      // A child run's attempt names the run (drill in with `whiskflow logs <child>`) and the activation that started it.
      const attempts = task.attempts.map((a) => (a.childRunId
        ? `#${a.attempt} child run ${a.childRunId} (${stage.children?.find((child) => child.runId === a.childRunId)?.status ?? 'starting'}, started by ${a.activationId ?? '-'})`
        : `#${a.attempt} ${a.activationId ?? '(not invoked)'}`)).join(', ');
      const outcome = task.outcome ? `${task.outcome.ok ? 'ok' : `failed: ${task.outcome.error}`} (reported by ${task.outcome.activationId ?? '-'})` : 'pending';
      console.log(`    task ${task.index}: ${attempts} -> ${outcome}`);
      for (const attempt of task.attempts) {
        if (!attempt.activationId || attempt.childRunId) continue;
        const read = details.get(key(stage, task, attempt.attempt));
        if (!read) {
          if (flags.activations) unread += 1;
          continue;
        }
        printAttempt(attempt.attempt, read);
      }
    }
  }
  if (unread > 0) console.log(`(${unread} more attempt(s) not read: narrow with --stage/--task/--failed or raise --max-activations)`);
  if (waiting) for (const line of waitingLines(waiting)) console.log(line);
  if (run.failure) console.log(`failure: ${JSON.stringify(run.failure)}`);
}

function printAttempt(attempt: number, read: AttemptActivation): void {
  if (!read.ok) return void console.log(`        #${attempt}: ${read.reason}`);
  if (read.activations.length === 0) console.log(`        #${attempt}: the action has not run yet`);
  for (const activation of read.activations) {
    console.log(`        #${attempt} ${activation.action} activation ${activation.activationId}: ${activation.status}${activation.durationMs !== undefined ? `, ${activation.durationMs} ms` : ''}`);
    for (const line of activation.logs) console.log(`          | ${line}`);
    if (activation.error !== undefined) console.log(`          error: ${activation.error}`);
    if (activation.stack !== undefined) for (const line of activation.stack.split('\n')) console.log(`          ${line}`);
  }
}
