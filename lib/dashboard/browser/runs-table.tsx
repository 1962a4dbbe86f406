/** A table of runs: id, workflow, state (as text), model, start and duration. */
import type { RunSummary } from '../data';
import { duration, runHref, time, workflowHref } from './format';

export function StatusBadge(props: { status: string }) {
  return <span class={`badge s-${props.status}`} data-status={props.status}>{props.status}</span>;
}

export function RunsTable(props: { runs: RunSummary[]; caption: string; now: number }) {
  return (
    <table>
      <caption class="sr-only">{props.caption}</caption>
      <thead><tr><th scope="col">Run</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Started</th><th scope="col">Duration</th></tr></thead>
      <tbody>
        {props.runs.map((run) => (
          <tr key={run.runId} data-run-id={run.runId} data-status={run.status}>
            <td><a href={runHref(run.runId)}><code>{run.runId}</code></a></td>
            <td><a href={workflowHref(run.workflow)}>{run.workflow}</a></td>
            <td><StatusBadge status={run.status} /></td>
            <td>{run.model}</td>
            <td>{time(run.startedAt)}</td>
            <td>{run.durationMs !== undefined ? duration(run.durationMs) : `${duration(props.now - run.startedAt)} so far`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
