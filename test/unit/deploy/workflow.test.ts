import { parseWorkflow } from '../../../lib/model/parse';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds, type WorkflowDoc } from '../../../lib/store/run-documents';
import { workflowSeal } from '../../../lib/events/event-seal';
import { actionsOf } from '../../../lib/deploy/workflow-actions';
import { checkSupported, MAX_PARALLEL_NESTING } from '../../../lib/deploy/supported';
import { deployWorkflow, undeployWorkflow } from '../../../lib/deploy/workflow';
import type { ManagementClient } from '../../../lib/openwhisk/client';

type Entity = { annotations?: { key: string; value: unknown }[]; [key: string]: unknown };

/** An in-memory stand-in for the OpenWhisk API (entities by kind and name, 404 like the real one). */
function fakeWhisk(actions: Record<string, Entity> = {}) {
  // The runtime is deployed: its orchestrator carries the deployment's event key.
  const runtime = { 'whiskflow/orchestrator': { parameters: [{ key: 'whiskflowEventKey', value: 'test-key' }] } };
  const entities = { packages: new Map<string, Entity>(), actions: new Map(Object.entries({ ...runtime, ...actions })), triggers: new Map<string, Entity>(), rules: new Map<string, Entity>() };
  const feedCalls: string[] = [];
  const notFound = () => Object.assign(new Error('not found'), { statusCode: 404 });
  const crud = (map: Map<string, Entity>) => ({
    update: async (options: { name: string; [key: string]: unknown }) => { map.set(options.name, { ...(options.trigger as object ?? options.action as object ?? options), ...options }); return {}; },
    get: async ({ name }: { name: string }) => { const found = map.get(name); if (!found) throw notFound(); return found.trigger as Entity ?? found; },
    delete: async ({ name }: { name: string }) => { if (!map.delete(name)) throw notFound(); return {}; },
  });
  const client: ManagementClient = {
    packages: crud(entities.packages), actions: crud(entities.actions), triggers: crud(entities.triggers), rules: crud(entities.rules),
    feeds: {
      create: async ({ name, trigger }) => { feedCalls.push(`CREATE ${name} ${trigger}`); return {}; },
      delete: async ({ name, trigger }) => { feedCalls.push(`DELETE ${name} ${trigger}`); return {}; },
    },
  };
  return { client, entities, feedCalls };
}

const workflow = parseWorkflow(`
name: wf
stages:
  - { id: a, kind: task, action: pkg/self }
  - { id: b, kind: map, action: pkg/plain, items: $.xs }
  - { id: c, kind: parallel, branches: [ { stages: [ { id: c1, kind: task, action: other } ] } ] }
`);

describe('triggers manager', () => {
  it('stores the definition, records self-reporting actions and creates trigger + rule, idempotently', async () => {
    const whisk = fakeWhisk({ 'pkg/self': { annotations: [{ key: 'whiskflow-report', value: 'self' }] }, 'pkg/plain': {} });
    const store = new MemoryRunStore();
    await deployWorkflow(whisk.client, store, workflow);
    const again = await deployWorkflow(whisk.client, store, workflow);
    expect(again.missingActions).toEqual(['other']);
    const doc = (await store.get<WorkflowDoc>(docIds.workflow('wf')))!;
    expect(doc.selfReporting).toEqual(['pkg/self']);
    expect(doc.trigger).toBe('whiskflow-wf');
    expect([...whisk.entities.triggers.keys()]).toEqual(['whiskflow-wf']);
    expect(whisk.entities.rules.get('whiskflow-wf-rule')).toMatchObject({ trigger: 'whiskflow-wf', action: 'whiskflow/orchestrator' });
    // The trigger's settings carry the seal made with the deployment's key.
    expect(whisk.entities.triggers.get('whiskflow-wf')).toMatchObject({ parameters: [{ key: 'whiskflowWorkflow', value: 'wf' }, { key: 'whiskflowSeal', value: workflowSeal('test-key', 'wf') }] });
  });

  it('refuses to deploy a workflow before a runtime with an event key, saying what to do', async () => {
    const whisk = fakeWhisk();
    whisk.entities.actions.delete('whiskflow/orchestrator');
    await expect(deployWorkflow(whisk.client, new MemoryRunStore(), workflow)).rejects.toThrow(/whiskflowEventKey; deploy the whiskflow runtime/);
    expect(whisk.entities.triggers.size).toBe(0);
  });

  it('creates feed triggers with their feed and removes exactly what it created on undeploy', async () => {
    const whisk = fakeWhisk();
    const store = new MemoryRunStore();
    const unrelated = { name: 'mine' };
    whisk.entities.triggers.set('mine', unrelated);
    await deployWorkflow(whisk.client, store, workflow, { cron: '0 * * * *', changes: { dbname: 'orders', url: 'http://127.0.0.1:5984' } });
    expect(whisk.feedCalls.filter((c) => c.startsWith('CREATE'))).toEqual([
      'CREATE /whisk.system/alarms/alarm whiskflow-wf-cron',
      'CREATE /whisk.system/cloudant/changes whiskflow-wf-changes',
    ]);
    const removed = await undeployWorkflow(whisk.client, store, 'wf');
    expect(removed).toEqual([
      'rule whiskflow-wf-cron-rule', 'feed of whiskflow-wf-cron', 'trigger whiskflow-wf-cron',
      'rule whiskflow-wf-changes-rule', 'feed of whiskflow-wf-changes', 'trigger whiskflow-wf-changes',
      'rule whiskflow-wf-rule', 'trigger whiskflow-wf', 'definition wf',
    ]);
    expect([...whisk.entities.triggers.keys()]).toEqual(['mine']);
    expect(await undeployWorkflow(whisk.client, store, 'wf')).toEqual([]);
  });

  it('lists the actions a workflow invokes, accepts nested branches and rejects parallel stages nested too deep', () => {
    expect(actionsOf(workflow)).toEqual(['pkg/self', 'pkg/plain', 'other']);
    const nested = parseWorkflow(`
name: nested
stages:
  - { id: p, kind: parallel, branches: [ { stages: [ { id: x, kind: task, action: a }, { id: y, kind: task, action: b } ] } ] }
`);
    expect(() => checkSupported(nested)).not.toThrow();
    // Parallel stages nested `depth` deep, each with one branch of two stages around the next level.
    const nestedParallel = (depth: number, id = 0): string => (depth === 0
      ? `{ id: t${id}, kind: task, action: a }`
      : `{ id: p${id}, kind: parallel, branches: [ { stages: [ ${nestedParallel(depth - 1, id + 1)}, { id: s${id}, kind: succeed } ] } ] }`);
    expect(() => checkSupported(parseWorkflow(`name: deep\nstages:\n  - ${nestedParallel(MAX_PARALLEL_NESTING)}\n`))).not.toThrow();
    expect(() => checkSupported(parseWorkflow(`name: deeper\nstages:\n  - ${nestedParallel(MAX_PARALLEL_NESTING + 1)}\n`)))
      .toThrow(expect.objectContaining({ code: 'INVALID_WORKFLOW', path: expect.stringMatching(/^\$\.stages\[0\](\.branches\[0\]\.stages\[0\]){8}$/) }));
  });
});
