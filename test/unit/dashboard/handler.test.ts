import { createDashboardHandler, prefersHtml } from '../../../lib/dashboard/handler';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds, type RunDoc } from '../../../lib/store/run-documents';

const get = (path: string, accept?: string) => {
  const url = new URL(path, 'http://x');
  return { method: 'GET', path: url.pathname, query: url.searchParams, ...(accept ? { accept } : {}) };
};

describe('prefersHtml', () => {
  it('takes a browser\'s Accept as HTML and an API client\'s as JSON', () => {
    expect(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
    expect(prefersHtml('text/html;q=0')).toBe(false);
  });
});

describe('the dashboard handler', () => {
  const store = new MemoryRunStore();
  const handler = createDashboardHandler({ store, assetsDir: '/nonexistent' });
  const run = (runId: string, workflow: string, status: RunDoc['status'], extra: Partial<RunDoc> = {}): Promise<unknown> =>
    store.createOnly(docIds.run(runId), { type: 'run', runId, workflow, input: {}, status, startedAt: 1000, ...extra } satisfies RunDoc);

  beforeAll(async () => {
    await run('0001-aaa', 'alpha', 'succeeded', { endedAt: 1500 });
    await run('0002-bbb', 'beta', 'failed', { endedAt: 1100 });
    await run('0003-ccc', 'alpha', 'running');
    await run('0003-ccc.s1b0a1', 'alpha', 'running', { parent: { runId: '0003-ccc', workflow: 'alpha', position: 1, index: 0, attempt: 1, trigger: 't', stageId: 's' } });
  });

  it('leaves the API\'s paths and JSON clients\' GET / to the platform', async () => {
    expect(await handler(get('/api/v1/namespaces'))).toBeUndefined();
    expect(await handler(get('/', 'application/json'))).toBeUndefined();
    expect(await handler({ ...get('/dashboard'), method: 'POST' })).toBeUndefined();
  });

  it('answers a browser with the page on every page path', async () => {
    for (const path of ['/', '/dashboard', '/dashboard/runs/x', '/dashboard/workflows/y']) {
      const page = await handler(get(path, 'text/html'));
      expect(page?.headers['content-type']).toContain('text/html');
      expect(String(page?.body)).toContain('/dashboard/assets/app.js');
    }
  });

  it('lists top-level runs newest first, filtered, with counts', async () => {
    const all = JSON.parse(String((await handler(get('/dashboard/api/runs')))!.body)) as { runs: { runId: string; durationMs?: number }[]; counts: object; workflows: string[] };
    expect(all.runs.map((r) => r.runId)).toEqual(['0003-ccc', '0002-bbb', '0001-aaa']);
    expect(all.runs[2]!.durationMs).toBe(500);
    expect(all.counts).toEqual({ running: 1, succeeded: 1, failed: 1, cancelled: 0 });
    expect(all.workflows).toEqual(['alpha', 'beta']);
    const alpha = JSON.parse(String((await handler(get('/dashboard/api/runs?workflow=alpha&status=succeeded')))!.body)) as { runs: { runId: string }[]; matched: number };
    expect([alpha.runs.map((r) => r.runId), alpha.matched]).toEqual([['0001-aaa'], 1]);
    const searched = JSON.parse(String((await handler(get('/dashboard/api/runs?q=BBB')))!.body)) as { runs: { runId: string }[] };
    expect(searched.runs.map((r) => r.runId)).toEqual(['0002-bbb']);
  });

  it('names what is wrong in a bad query, and what is missing', async () => {
    const bad = (await handler(get('/dashboard/api/runs?status=done')))!;
    expect([bad.status, String(bad.body)]).toEqual([400, expect.stringContaining("status 'done'")]);
    const missing = (await handler(get('/dashboard/api/runs/nope')))!;
    expect([missing.status, String(missing.body)]).toEqual([404, expect.stringContaining('run nope not found')]);
    expect((await handler(get('/dashboard/assets/..%2Fsecret')))!.status).toBe(404);
  });
});
