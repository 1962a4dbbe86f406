import { createDashboardHandler } from '../../../lib/dashboard/handler';
import { requestOfWebAction, webActionBase, webActionResult } from '../../../lib/dashboard/web-action';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds, type RunDoc } from '../../../lib/store/run-documents';

describe('the dashboard as a web action: request translation', () => {
  it('names the .http URL after the action\'s fully qualified name', () => {
    expect(webActionBase('/guest/whiskflow/dashboard')).toBe('/api/v1/web/guest/whiskflow/dashboard.http');
    expect(webActionBase('/guest/dashboard')).toBe('/api/v1/web/guest/default/dashboard.http');
    expect(() => webActionBase('')).toThrow(/not a fully qualified action name/);
  });

  it('turns the controller\'s __ow_ parameters into the handler\'s /dashboard request', () => {
    const request = requestOfWebAction({
      __ow_method: 'get', __ow_path: '/api/runs', __ow_query: 'status=running&limit=5', __ow_headers: { accept: 'application/json', host: 'x' },
    });
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/dashboard/api/runs');
    expect(Object.fromEntries(request.query)).toEqual({ status: 'running', limit: '5' });
    expect(request.accept).toBe('application/json');
    // The action's own URL (no extra path) is the runs page.
    expect(requestOfWebAction({ __ow_method: 'get', __ow_path: '', __ow_query: '', __ow_headers: {} })).toEqual({ method: 'GET', path: '/dashboard', query: new URLSearchParams() });
    expect(requestOfWebAction({ __ow_path: 'runs/a' }).path).toBe('/dashboard/runs/a');
  });

  it('answers text as it is, binary base64 encoded, HEAD without a body, other methods 405', () => {
    expect(webActionResult({ status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' }, body: Buffer.from('let a = 1;') }))
      .toEqual({ statusCode: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' }, body: 'let a = 1;' });
    expect(webActionResult({ status: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([0x89, 0x50]) }).body).toBe('iVA=');
    expect(webActionResult({ status: 200, headers: { 'content-type': 'text/html' }, body: '<p>' }, 'HEAD').body).toBe('');
    const refused = webActionResult(undefined, 'POST');
    expect(refused.statusCode).toBe(405);
    expect(JSON.parse(refused.body)).toEqual({ error: 'the dashboard answers GET and HEAD, not POST' });
  });

  it('serves the page with links and the inlined bundle under the web action\'s URL', async () => {
    const store = new MemoryRunStore();
    await store.createOnly(docIds.run('0001-aaa'), { type: 'run', runId: '0001-aaa', workflow: 'alpha', input: {}, status: 'succeeded', startedAt: 1, endedAt: 2 } satisfies RunDoc);
    const base = '/api/v1/web/guest/whiskflow/dashboard.http';
    const handler = createDashboardHandler({ store, basePath: base, assets: { 'app.js': 'console.log(1)' } });
    const answer = async (params: Record<string, unknown>) => webActionResult(await handler(requestOfWebAction(params)));

    const page = await answer({ __ow_method: 'get', __ow_path: '/runs/0001-aaa', __ow_headers: { accept: 'text/html' } });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain(`data-base="${base}"`);
    expect(page.body).toContain(`<script src="${base}/assets/app.js">`);
    expect(page.body).toContain('data-live="poll"');
    expect(page.body).not.toContain('"/dashboard');

    const script = await answer({ __ow_method: 'get', __ow_path: '/assets/app.js' });
    expect(script).toEqual({ statusCode: 200, headers: expect.objectContaining({ 'content-type': 'text/javascript; charset=utf-8' }), body: 'console.log(1)' });
    expect((await answer({ __ow_method: 'get', __ow_path: '/assets/app.js.map' })).statusCode).toBe(404);

    const runs = await answer({ __ow_method: 'get', __ow_path: '/api/runs', __ow_query: 'workflow=alpha' });
    expect(JSON.parse(runs.body).runs.map((run: { runId: string }) => run.runId)).toEqual(['0001-aaa']);
  });
});
