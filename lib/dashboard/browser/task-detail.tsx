/** One task of a run: its outcome (result, or error with its cause and stack), attempts, activations and logs. */
import { BASE } from './base';
import type { TaskDetail as TaskData } from '../data';
import { pretty, time } from './format';
import { useLive } from './live';
import { StatusBadge } from './runs-table';

export function TaskDetail(props: { runId: string; position: number; index: number; runStatus: string; onClose: () => void }) {
  const loaded = useLive<TaskData>(`${BASE}/api/runs/${encodeURIComponent(props.runId)}/tasks/${props.position}/${props.index}`, props.runStatus === 'running');
  const task = loaded.data;
  const status = task?.outcome ? (task.outcome.ok ? 'succeeded' : 'failed') : 'running';
  return (
    <section class="card" id="task-detail" aria-labelledby="task-title" data-status={task ? status : ''}>
      <h2 id="task-title">Task {props.index} of stage {task?.stageId ?? `#${props.position}`} {task ? <StatusBadge status={status} /> : null}</h2>
      <button type="button" onClick={props.onClose}>Close task</button>
      {loaded.error ? <p class="error" role="alert">{loaded.error}</p> : null}
      {task ? (
        <>
          {task.outcome?.failure ? (
            <div class="task-error">
              <h3>Error</h3>
              <p class="error"><strong>{task.outcome.failure.error}</strong>: {task.outcome.failure.cause}</p>
            </div>
          ) : null}
          {task.outcome?.result !== undefined ? <><h3>Result</h3><pre>{pretty(task.outcome.result)}</pre></> : null}
          <h3>Stage input</h3>
          <pre>{pretty(task.stageInput)}</pre>
          <h3>Attempts</h3>
          <ol>
            {task.attempts.map((attempt, position) => (
              <li key={attempt.attempt} class="attempt" data-attempt={String(attempt.attempt)}>
                attempt {attempt.attempt}, invoked {time(attempt.invokedAt)}, activation <code>{attempt.activationId ?? '(not invoked)'}</code>
                {attempt.childRunId ? <> — child run <a href={`${BASE}/runs/${encodeURIComponent(attempt.childRunId)}`}>{attempt.childRunId}</a></> : null}
                {attempt.activations.map((activation) => (
                  <details key={activation.activationId} class="activation" open={position === task.attempts.length - 1 && activation.name !== 'task'}>
                    <summary>{activation.name ?? 'activation'} <code>{activation.activationId}</code>: {activation.status ?? '-'}</summary>
                    <h4>Result</h4>
                    <pre class="activation-result">{pretty(activation.result)}</pre>
                    {stackOf(activation.result) ? <><h4>Stack</h4><pre class="stack">{stackOf(activation.result)}</pre></> : null}
                    <h4>Logs</h4>
                    <pre class="logs">{(activation.logs ?? []).join('\n') || '(no logs)'}</pre>
                  </details>
                ))}
              </li>
            ))}
          </ol>
        </>
      ) : <p>Loading…</p>}
    </section>
  );
}

/** A stack trace in an action's error result (`{ error: { stack } }`, or a message with `at ...` lines). */
function stackOf(result: unknown): string | undefined {
  const error = (result as { error?: unknown } | undefined)?.error;
  if (error && typeof error === 'object' && typeof (error as { stack?: unknown }).stack === 'string') return (error as { stack: string }).stack;
  if (typeof error === 'string' && /\n\s+at /.test(error)) return error;
  return undefined;
}
