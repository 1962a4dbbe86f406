/** A deployed workflow: its graph, its definition as YAML, its trigger, rule and feeds, its recent runs. */
import { BASE } from './base';
import type { WorkflowPage as WorkflowData } from '../data';
import { time } from './format';
import { GraphView } from './graph-view';
import { useLive } from './live';
import { RunsTable } from './runs-table';

export function WorkflowPage(props: { name: string }) {
  const loaded = useLive<WorkflowData>(`${BASE}/api/workflows/${encodeURIComponent(props.name)}`);
  const data = loaded.data;
  if (loaded.error && !data) return <p class="error" role="alert">Could not read workflow {props.name}: {loaded.error}</p>;
  if (!data) return <p>Loading…</p>;
  const rule = data.rule as { name?: string; status?: string } | undefined;
  return (
    <article aria-labelledby="workflow-title">
      <h1 id="workflow-title">Workflow {data.name}</h1>
      <div class="meta">
        <span>model {data.model}</span>
        <span>deployed {time(data.deployedAt)}</span>
        <span>trigger <code>{data.trigger}</code></span>
        <span id="rule">rule {rule ? <><code>{rule.name}</code> ({rule.status})</> : '(none)'}</span>
        <span id="feeds">feeds {data.feeds.length ? data.feeds.map((feed) => `${feed.trigger} (${String(feed.feed ?? '-')})`).join(', ') : '(none)'}</span>
        <a href={`${BASE}?workflow=${encodeURIComponent(data.name)}`}>all its runs</a>
      </div>
      <div class="panels">
        <section class="card" aria-labelledby="wf-graph-title">
          <h2 id="wf-graph-title">Graph</h2>
          <GraphView graph={data.graph} />
        </section>
        <section class="card" aria-labelledby="yaml-title">
          <h2 id="yaml-title">Definition</h2>
          <pre id="workflow-yaml">{data.yaml}</pre>
        </section>
      </div>
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent runs</h2>
        <RunsTable runs={data.runs} caption={`recent runs of ${data.name}`} now={Date.now()} />
      </section>
    </article>
  );
}
