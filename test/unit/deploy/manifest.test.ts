import { readFileSync } from 'fs';
import { join } from 'path';
import { parse as parseYaml } from 'yaml';
import { parseWorkflowSource, toWorkflow } from '../../../lib/model/parse';
import { buildManifest, manifestYaml } from '../../../lib/deploy/manifest';
import { workflowSeal } from '../../../lib/events/event-seal';

type Pkg = {
  actions: Record<string, { function: string; annotations?: Record<string, unknown>; inputs?: Record<string, unknown> }>;
  triggers: Record<string, { feed?: string; inputs?: Record<string, unknown> }>;
  rules: Record<string, { trigger: string; action: string }>;
};
const pkgOf = (manifest: Record<string, unknown>) => (manifest.packages as Record<string, Pkg>).whiskflow!;
const KEYED = { eventKey: 'test-event-key' };
const example = (name: string) => parseWorkflowSource(readFileSync(join(__dirname, '../../../examples', name, 'workflow.yaml'), 'utf8'));

describe('whiskflow manifest writer', () => {
  it('puts the workflow on the trigger as written, which the orchestrator validates into the same workflow', () => {
    const { workflow, source } = example('map-reduce');
    const trigger = pkgOf(buildManifest(source, KEYED)).triggers['whiskflow-map-reduce']!;
    const definition = (trigger.inputs!.whiskflowDefinition as { type: string; value: unknown });
    expect(definition.type).toBe('json');
    // The choice condition in its source form, not the compiled `{ kind: 'ge', path, value }`.
    expect(JSON.stringify(definition.value)).toContain('"when":{"path":"$.total","ge":100}');
    expect(toWorkflow(definition.value)).toEqual(workflow);
    expect(trigger.inputs!.whiskflowWorkflow).toBe('map-reduce');
  });

  it('survives YAML: the written manifest read back carries a definition the orchestrator accepts', () => {
    for (const name of ['map-reduce', 'nested-branches', 'parallel-waits', 'sequence-of-waits', 'word-count']) {
      const { workflow, source } = example(name);
      const read = parseYaml(manifestYaml(source, KEYED)) as Record<string, unknown>;
      const trigger = pkgOf(read).triggers[`whiskflow-${name}`]!;
      expect(toWorkflow((trigger.inputs!.whiskflowDefinition as { value: unknown }).value)).toEqual(workflow);
    }
  });

  it('seals the trigger settings with the event key, and binds the key from the environment, not as a literal', () => {
    const { source } = example('map-reduce');
    const pkg = pkgOf(buildManifest(source, KEYED));
    const trigger = pkg.triggers['whiskflow-map-reduce']!;
    expect(trigger.inputs!.whiskflowSeal).toBe(workflowSeal('test-event-key', 'map-reduce', source));
    expect(pkg.actions.orchestrator!.inputs!.whiskflowEventKey).toBe('$WHISKFLOW_EVENT_KEY');
    expect(pkg.actions.sweeper!.inputs!.whiskflowEventKey).toBe('$WHISKFLOW_EVENT_KEY');
    // The task conductor applies completions itself (conductor-completion.ts): store and key, from the environment.
    expect(pkg.actions.task!.inputs!.whiskflowEventKey).toBe('$WHISKFLOW_EVENT_KEY');
    expect(pkg.actions.timer!.inputs).toBeUndefined();
    for (const action of Object.values(pkg.actions)) expect(action.annotations).toMatchObject({ final: true });
    expect(manifestYaml(source, KEYED)).not.toContain('test-event-key');
  });

  it('refuses to write a workflow manifest without the event key, naming it', () => {
    expect(() => buildManifest(example('map-reduce').source)).toThrow(/WHISKFLOW_EVENT_KEY/);
  });

  it('refuses to write a manifest for an invalid workflow', () => {
    expect(() => buildManifest({ name: 'bad', stages: [{ id: 'c', kind: 'choice', rules: [{ when: { kind: 'ge', path: '$.x', value: 1 }, next: 'c' }] }] }))
      .toThrow(/workflow/);
  });

  it('gives the alarm feed only its schedule and payload, and the workflow to a final orchestrator the cron rule targets', () => {
    const { source } = example('sequence-of-waits');
    const pkg = pkgOf(buildManifest(source, { ...KEYED, feeds: { cron: '*/2 * * * * *', cronInput: { ms: 5 } } }));
    const cron = pkg.triggers['whiskflow-sequence-of-waits-cron']!;
    expect(cron.feed).toBe('/whisk.system/alarms/alarm');
    // wskdeploy hands these to the feed only: nothing in them may be needed by the orchestrator.
    expect(cron.inputs).toEqual({ cron: '*/2 * * * * *', trigger_payload: { type: 'json', value: { input: { ms: 5 } } } });
    expect(pkg.rules['whiskflow-sequence-of-waits-cron-rule']).toEqual({ trigger: 'whiskflow-sequence-of-waits-cron', action: 'whiskflow/cron-sequence-of-waits' });
    const starter = pkg.actions['cron-sequence-of-waits']!;
    expect(starter.function).toBe('dist/actions/orchestrator.js');
    expect(starter.annotations).toMatchObject({ final: true, 'provide-api-key': true });
    expect(starter.inputs!.whiskflowWorkflow).toBe('sequence-of-waits');
    expect(starter.inputs!.whiskflowDefinition).toEqual({ type: 'json', value: source });
    expect(starter.inputs!.whiskflowStore).toEqual({ type: 'json', value: { kind: 'couchdb', url: '$COUCHDB_URL', dbname: 'whiskflow' } });
    // The workflow's own trigger and rule are unchanged by the schedule.
    expect(pkg.rules['whiskflow-sequence-of-waits-rule']).toEqual({ trigger: 'whiskflow-sequence-of-waits', action: 'whiskflow/orchestrator' });
  });

  it('writes every input in full, without YAML anchors and aliases', () => {
    const { source } = example('sequence-of-waits');
    expect(manifestYaml(source, { ...KEYED, feeds: { cron: '0 * * * *' } })).not.toMatch(/(&|\*)a\d/);
  });

  it('starts cron runs with an empty input when none is given', () => {
    const { source } = example('sequence-of-waits');
    const cron = pkgOf(buildManifest(source, { ...KEYED, feeds: { cron: '0 * * * *' } })).triggers['whiskflow-sequence-of-waits-cron']!;
    expect(cron.inputs!.trigger_payload).toEqual({ type: 'json', value: { input: {} } });
  });

  it('writes the runtime package alone without a workflow', () => {
    const pkg = pkgOf(buildManifest(undefined, { bundlesPath: '../dist/actions' }));
    expect(Object.keys(pkg.actions)).toEqual(['orchestrator', 'task', 'timer', 'sweeper', 'dashboard', 'events']);
    // The events endpoint too, with the event key it checks sender and callback tokens with.
    expect(pkg.actions.events).toMatchObject({ function: '../dist/actions/events.js', web: 'raw', inputs: { whiskflowEventKey: '$WHISKFLOW_EVENT_KEY' } });
    // The dashboard is a raw-http web action: wskdeploy's `web: raw` (web-export, raw-http, final).
    expect(pkg.actions.dashboard).toMatchObject({ function: '../dist/actions/dashboard.js', web: 'raw' });
    expect(pkg.actions.orchestrator).not.toHaveProperty('web');
    expect(pkg.triggers).toBeUndefined();
    expect(pkg.actions.orchestrator!.function).toBe('../dist/actions/orchestrator.js');
  });
});
