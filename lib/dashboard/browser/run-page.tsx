/**
 * One run: its graph coloured by state, its timeline, its input and output or error, a task's
 * detail; live. The run's summary comes first; the timeline's bars follow a page at a time (bars.ts).
 */
import { BASE } from './base';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { packRows, type TimelineModel } from '../model/timeline';
import type { RunPage as RunData } from '../run-summary';
import { useBars } from './bars';
import { count, duration, pretty, runHref, time, workflowHref } from './format';
import { GraphView } from './graph-view';
import { useLive } from './live';
import { StatusBadge } from './runs-table';
import { TaskDetail } from './task-detail';
import { TimelineView } from './timeline-view';

function taskFromHash(): { position: number; index: number } | undefined {
  const match = /^#task=(\d+)\/(\d+)$/.exec(location.hash);
  return match ? { position: Number(match[1]), index: Number(match[2]) } : undefined;
}

export function RunPage(props: { runId: string }) {
  const loaded = useLive<RunData>(`${BASE}/api/runs/${encodeURIComponent(props.runId)}`);
  const [task, setTask] = useState(taskFromHash());
  const [stage, setStage] = useState<string | undefined>(undefined);
  useEffect(() => {
    const onHash = () => setTask(taskFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const open = (position: number, index: number) => { location.hash = `task=${position}/${index}`; };
  const data = loaded.data;
  const [view, setView] = useState<[number, number] | undefined>(undefined);
  const paged = useMemo(() => (data?.stages ?? []).map((s) => ({ position: s.position, taskCount: s.taskCount, attempts: s.attempts })), [data]);
  const bars = useBars(props.runId, paged, loaded.reads, view?.[1]);
  const timeline = useMemo((): TimelineModel | undefined => {
    if (!data) return undefined;
    const { start, end, lanes } = data.timeline;
    const now = Date.now();
    const byLane = lanes.map(() => [] as typeof bars.bars);
    for (const bar of bars.bars) byLane[bar.lane]?.push({ ...bar });
    return { start, end, lanes: lanes.map((lane, i) => ({ ...lane, rows: packRows(byLane[i]!, now) })), bars: byLane.flat() };
  }, [data, bars.bars]);
  if (loaded.error && !data) return <p class="error" role="alert">Could not read run {props.runId}: {loaded.error}</p>;
  if (!data || !timeline) return <p>Loading…</p>;
  const { run } = data;
  const failedTasks = data.failures;
  return (
    <article aria-labelledby="run-title" data-reads={String(loaded.reads)}>
      <h1 id="run-title">Run <code>{run.runId}</code> <StatusBadge status={run.status} /></h1>
      <div class="meta">
        <span>workflow <a href={workflowHref(run.workflow)}>{run.workflow}</a></span>
        <span>model {run.model}</span>
        <span>started {time(run.startedAt)}</span>
        <span>{run.durationMs !== undefined ? `took ${duration(run.durationMs)}` : `running for ${duration(Date.now() - run.startedAt)}`}</span>
        <span id="progress">{count(data.progress.done)}/{count(data.progress.total)} tasks done</span>
        {run.parent ? <span>child run of <a href={runHref(run.parent.runId)}>{run.parent.runId}</a> (stage {run.parent.stageId}, branch {run.parent.index})</span> : null}
      </div>
      <div class="panels">
        <div>
          <section class="card" aria-labelledby="graph-title">
            <h2 id="graph-title">Graph</h2>
            {data.graph ? <GraphView graph={data.graph} state={data.state} onSelect={setStage} /> : <p>The workflow's definition is not in the store.</p>}
          </section>
          <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <TimelineView model={timeline} attempts={data.timeline.attempts} loading={bars.loading} view={view} onView={setView} onSelect={open} />
            {bars.error ? <p class="error" role="alert">Could not read the timeline's bars: {bars.error}</p> : null}
          </section>
          <section class="card" aria-labelledby="stages-title">
            <h2 id="stages-title">Stages</h2>
            <table id="stages">
              <thead><tr><th scope="col">#</th><th scope="col">Stage</th><th scope="col">State</th><th scope="col">Tasks done</th><th scope="col">Failed</th><th scope="col">Retried</th><th scope="col">Took</th></tr></thead>
              <tbody>
                {data.stages.map((s) => (
                  <tr key={s.position} data-stage-id={s.stageId} aria-current={stage === s.stageId ? 'true' : undefined}>
                    <td>{s.position}</td><td>{s.stageId}</td><td>{data.state?.nodes[s.stageId]?.text ?? '-'}</td>
                    <td>{count(s.completed)}/{count(s.taskCount)}</td><td>{count(s.failed)}</td><td>{count(s.retried)}</td>
                    <td>{s.endedAt !== undefined ? duration(s.endedAt - s.startedAt) : 'running'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {failedTasks.length ? (
              <>
                <h3>Failed attempts</h3>
                <ul id="failed-tasks">
                  {failedTasks.map((failure) => (
                    <li key={`${failure.position}/${failure.index}/${failure.attempt}`}><a href={`#task=${failure.position}/${failure.index}`}>{failure.stageId} task {failure.index}, attempt {failure.attempt}: {failure.status}{failure.error ? ` (${failure.error})` : ''}</a></li>
                  ))}
                </ul>
              </>
            ) : null}
          </section>
        </div>
        <div>
          {task ? <TaskDetail runId={run.runId} position={task.position} index={task.index} runStatus={run.status} onClose={() => { history.replaceState(null, '', location.pathname); setTask(undefined); }} /> : null}
          <section class="card" aria-labelledby="io-title">
            <h2 id="io-title">Input and {run.failure ? 'error' : 'output'}</h2>
            <h3>Input</h3>
            <pre id="run-input">{pretty(run.input)}</pre>
            {run.failure ? (
              <div id="run-error">
                <h3>Error</h3>
                <p class="error"><strong>{run.failure.error}</strong> in stage {run.failure.stageId ?? '-'}: {run.failure.cause}</p>
                {run.failure.activationId ? <p>activation <code>{run.failure.activationId}</code></p> : null}
              </div>
            ) : <><h3>Output</h3><pre id="run-output">{run.status === 'running' ? '(still running)' : pretty(run.output)}</pre></>}
          </section>
        </div>
      </div>
    </article>
  );
}
