/** The dashboard in the browser: one bundle, the page picked by the location. */
import { render } from 'preact';
import { RunPage } from './run-page';
import { RunsPage } from './runs-page';
import { WorkflowPage } from './workflow-page';
import { BASE } from './base';

function App() {
  // The part after the base: `/runs/<id>`, `/workflows/<name>`, or nothing (the runs list).
  const path = location.pathname.replace(/\/+$/, '').slice(location.pathname.startsWith(BASE) ? BASE.length : 0);
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) {
    document.title = `run ${decodeURIComponent(run[1]!)} - whiskflow`;
    return <RunPage runId={decodeURIComponent(run[1]!)} />;
  }
  const workflow = /^\/workflows\/([^/]+)$/.exec(path);
  if (workflow) {
    document.title = `workflow ${decodeURIComponent(workflow[1]!)} - whiskflow`;
    return <WorkflowPage name={decodeURIComponent(workflow[1]!)} />;
  }
  document.title = 'runs - whiskflow';
  return <RunsPage />;
}

render(<App />, document.getElementById('app')!);
