/** Every run, newest first, filtered by workflow and status, searched by run id; live. */
import { BASE } from './base';
import { useState } from 'preact/hooks';
import type { RunsPage as RunsData } from '../data';
import { count } from './format';
import { useLive } from './live';
import { RunsTable } from './runs-table';

const PAGE = 200;

export function RunsPage() {
  const initial = new URLSearchParams(location.search);
  const [workflow, setWorkflow] = useState(initial.get('workflow') ?? '');
  const [status, setStatus] = useState(initial.get('status') ?? '');
  const [search, setSearch] = useState(initial.get('q') ?? '');
  const [limit, setLimit] = useState(PAGE);
  const params = new URLSearchParams();
  if (workflow) params.set('workflow', workflow);
  if (status) params.set('status', status);
  if (search) params.set('q', search);
  const shown = params.toString();
  history.replaceState(null, '', `${location.pathname}${shown ? `?${shown}` : ''}`);
  params.set('limit', String(limit));
  const loaded = useLive<RunsData>(`${BASE}/api/runs?${params.toString()}`);
  const data = loaded.data;
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>Workflow
          <select value={workflow} onChange={(event) => setWorkflow((event.target as HTMLSelectElement).value)} name="workflow">
            <option value="">all workflows</option>
            {(data?.workflows ?? (workflow ? [workflow] : [])).map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <label>Status
          <select value={status} onChange={(event) => setStatus((event.target as HTMLSelectElement).value)} name="status">
            <option value="">any status</option>
            {(['running', 'succeeded', 'failed', 'cancelled'] as const).map((s) => <option key={s} value={s}>{s}{data ? ` (${count(data.counts[s])})` : ''}</option>)}
          </select>
        </label>
        <label>Run id
          <input type="search" value={search} placeholder="part of a run id" name="q" onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
        </label>
      </form>
      {loaded.error ? <p class="error" role="alert">Could not read the runs: {loaded.error}</p> : null}
      {data ? (
        <>
          {data.partial ? (
            <p id="runs-count" aria-busy="true">The newest {count(data.runs.length)} runs; counting all of them…</p>
          ) : (
            <p id="runs-count" data-matched={String(data.matched)} data-total={String(data.total)}>
              {count(data.matched)} of {count(data.total)} runs{data.matched > data.runs.length ? `, the newest ${count(data.runs.length)} shown` : ''}
            </p>
          )}
          <RunsTable runs={data.runs} caption="runs, newest first" now={Date.now()} />
          {!data.partial && data.matched > data.runs.length ? <p><button type="button" onClick={() => setLimit(limit + PAGE * 5)}>Show more</button></p> : null}
        </>
      ) : <p>Loading…</p>}
    </section>
  );
}
