/**
 * The real `wskdeploy` against the local platform: deploy and undeploy of manifests like those its
 * users write (modelled on apache/openwhisk-wskdeploy's tests/src/integration and its specification),
 * checked through the `openwhisk` npm client, invoked, and gone after `wskdeploy undeploy`.
 */
import openwhisk from 'openwhisk';
import { join } from 'node:path';
import { startLocalPlatform, type LocalPlatform } from '../../helpers/local-platform';
import { runToolOk } from '../../helpers/openwhisk-cli';
import { sleep, until } from '../../helpers/until';

jest.setTimeout(300_000);

const FIXTURES = join(__dirname, '../../fixtures/wskdeploy');
type Kind = 'actions' | 'packages' | 'triggers' | 'rules';
type Annotated = { annotations?: { key: string; value: unknown }[]; parameters?: { key: string; value: unknown }[] };
const annotations = (entity: Annotated) => Object.fromEntries((entity.annotations ?? []).map(({ key, value }) => [key, value]));
const parameters = (entity: Annotated) => Object.fromEntries((entity.parameters ?? []).map(({ key, value }) => [key, value]));

describe('wskdeploy deploy and undeploy on the local platform', () => {
  let platform: LocalPlatform;
  let ow: openwhisk.Client;

  beforeAll(async () => {
    platform = await startLocalPlatform();
    ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const wskdeploy = (...args: string[]) => runToolOk('wskdeploy', args, platform);
  const files = (dir: string, deployment?: string) => ['-m', join(FIXTURES, dir, 'manifest.yaml'), ...(deployment ? ['-d', join(FIXTURES, dir, deployment)] : [])];
  const get = (kind: Kind, name: string) => (ow[kind] as unknown as { get(options: { name: string }): Promise<Annotated & Record<string, unknown>> }).get({ name });
  const invoke = (name: string, params: Record<string, unknown> = {}) => ow.actions.invoke({ name, params, blocking: true, result: true }) as Promise<Record<string, unknown>>;

  async function expectGone(entities: [Kind, string][]): Promise<void> {
    for (const [kind, name] of entities) {
      await expect(get(kind, name)).rejects.toMatchObject({ statusCode: 404 });
    }
  }

  /** The result of the action a rule of `trigger` started for one of its fires (read from the trigger's activation record). */
  async function ruleResult(trigger: string, since: number): Promise<Record<string, unknown>> {
    return until(`an action started by ${trigger}`, async () => {
      const records = await ow.activations.list({ name: trigger, since, docs: true, limit: 20 }) as unknown as { logs?: string[] }[];
      for (const record of records) {
        for (const line of record.logs ?? []) {
          const ruleLine = JSON.parse(line) as { success?: boolean; activationId?: string };
          if (!ruleLine.success || !ruleLine.activationId) continue;
          const started = await ow.activations.get({ name: ruleLine.activationId }).catch(() => undefined) as { response?: { result?: Record<string, unknown> } } | undefined;
          if (started?.response?.result) return started.response.result;
        }
      }
      return undefined;
    }, 120_000);
  }

  it('a package versioned 1.0 with inputs and annotations; an action with inputs, annotations and limits', async () => {
    await wskdeploy(...files('01-package-version'));
    const pkg = await get('packages', 'wd-hello');
    expect(pkg.version).toMatch(/^1\.0/);
    expect(annotations(pkg)).toMatchObject({ owner: 'whiskflow-tests' });
    expect(parameters(pkg)).toMatchObject({ place: 'Paris' });
    const action = await get('actions', 'wd-hello/hello');
    expect(annotations(action)).toMatchObject({ team: 'deploy', level: 3 });
    expect(action.limits).toMatchObject({ timeout: 30000, memory: 256 });
    expect((await invoke('wd-hello/hello')).payload).toBe('Hello, Amy from Paris!');
    await wskdeploy('undeploy', ...files('01-package-version'));
    await expectGone([['actions', 'wd-hello/hello'], ['packages', 'wd-hello']]);
  });

  it('a sequence of two inline-code actions', async () => {
    await wskdeploy(...files('02-sequence'));
    const sequence = await get('actions', 'wd-seq/double-then-inc');
    expect((sequence.exec as { kind: string }).kind).toBe('sequence');
    expect(annotations(sequence)).toMatchObject({ purpose: 'test' });
    expect(await invoke('wd-seq/double-then-inc', { n: 5 })).toEqual({ n: 11 });
    await wskdeploy('undeploy', ...files('02-sequence'));
    await expectGone([['actions', 'wd-seq/double-then-inc'], ['actions', 'wd-seq/double'], ['actions', 'wd-seq/inc'], ['packages', 'wd-seq']]);
  });

  it('a trigger with inputs and a rule: a fire runs the action with the trigger parameters', async () => {
    await wskdeploy(...files('03-trigger-rule'));
    const trigger = await get('triggers', 'wd-greet');
    expect(parameters(trigger)).toEqual({ name: 'Bob', place: 'London' });
    expect(annotations(trigger)).toMatchObject({ source: 'tests' });
    expect((await get('rules', 'wd-greet-rule')).status).toBe('active');
    const since = Date.now() - 1000;
    await ow.triggers.invoke({ name: 'wd-greet', params: {} });
    expect((await ruleResult('wd-greet', since)).payload).toBe('Hello, Bob from London!');
    await wskdeploy('undeploy', ...files('03-trigger-rule'));
    await expectGone([['rules', 'wd-greet-rule'], ['triggers', 'wd-greet'], ['actions', 'wd-rules/hello'], ['packages', 'wd-rules']]);
  });

  it('an alarms feed trigger whose schedule comes from a deployment file', async () => {
    const since = Date.now() - 1000;
    await wskdeploy(...files('04-alarm-feed', 'deployment.yaml'));
    const trigger = await get('triggers', 'wd-every-second');
    expect(annotations(trigger)).toMatchObject({ feed: '/whisk.system/alarms/alarm' });
    expect((await ruleResult('wd-every-second', since)).payload).toBe('Hello, Alarm from the alarm!');
    await wskdeploy('undeploy', ...files('04-alarm-feed', 'deployment.yaml'));
    await expectGone([['rules', 'wd-every-second-rule'], ['triggers', 'wd-every-second'], ['actions', 'wd-alarm/tick'], ['packages', 'wd-alarm']]);
    // The feed was deleted with its trigger: the alarm fires no more (a fire already under way may still land).
    const undeployed = Date.now();
    await sleep(3000);
    expect(await ow.activations.list({ name: 'wd-every-second', since: undeployed + 1000, limit: 5 })).toEqual([]);
  });

  it('a folder as the function: zipped, with its own modules', async () => {
    await wskdeploy(...files('05-zip-action'));
    const action = await get('actions', 'wd-zip/greeting');
    expect((action.exec as { binary?: boolean }).binary).toBe(true);
    expect((await invoke('wd-zip/greeting')).payload).toBe('Hello, Carol from Rome!');
    await wskdeploy('undeploy', ...files('05-zip-action'));
    await expectGone([['actions', 'wd-zip/greeting'], ['packages', 'wd-zip']]);
  });

  it('web actions: web, web-export, raw, require-whisk-auth, not web, a web sequence', async () => {
    await wskdeploy(...files('06-web-actions'));
    expect(annotations(await get('actions', 'wd-web/page'))).toMatchObject({ 'web-export': true, final: true, 'raw-http': false });
    expect(annotations(await get('actions', 'wd-web/exported'))).toMatchObject({ 'web-export': true });
    expect(annotations(await get('actions', 'wd-web/raw'))).toMatchObject({ 'web-export': true, 'raw-http': true });
    expect(annotations(await get('actions', 'wd-web/secured'))).toMatchObject({ 'web-export': true, 'require-whisk-auth': true });
    expect(annotations(await get('actions', 'wd-web/internal'))).toMatchObject({ 'web-export': false });
    expect(annotations(await get('actions', 'wd-web/web-seq'))).toMatchObject({ 'web-export': true });
    expect((await invoke('wd-web/page', { name: 'Eve' })).payload).toBe('Hello, Eve from somewhere!');
    await wskdeploy('undeploy', ...files('06-web-actions'));
    await expectGone([['actions', 'wd-web/page'], ['actions', 'wd-web/web-seq'], ['packages', 'wd-web']]);
  });

  it('a conductor action', async () => {
    await wskdeploy(...files('07-conductor'));
    expect(annotations(await get('actions', 'wd-conductor/tripleAndIncrement'))).toMatchObject({ conductor: true });
    expect(await invoke('wd-conductor/tripleAndIncrement', { value: 3 })).toEqual({ value: 10 });
    await wskdeploy('undeploy', ...files('07-conductor'));
    await expectGone([['actions', 'wd-conductor/tripleAndIncrement'], ['actions', 'wd-conductor/triple'], ['packages', 'wd-conductor']]);
  });

  it('input values from a deployment file (-d)', async () => {
    await wskdeploy(...files('08-deployment-file', 'deployment.yaml'));
    expect(parameters(await get('packages', 'wd-depfile'))).toMatchObject({ place: 'Berlin' });
    expect((await invoke('wd-depfile/hello')).payload).toBe('Hello, Dave from Berlin!');
    await wskdeploy('undeploy', ...files('08-deployment-file', 'deployment.yaml'));
    await expectGone([['actions', 'wd-depfile/hello'], ['packages', 'wd-depfile']]);
  });

  it('a managed deployment: a redeploy removes what the manifest dropped', async () => {
    await wskdeploy('--managed', ...files('09-managed'));
    const managed = annotations(await get('actions', 'wd-managed/two'))['whisk-managed'] as { projectName?: string } | undefined;
    expect(managed?.projectName).toBe('WdManaged');
    for (const [kind, name] of [['actions', 'wd-managed/one-two'], ['triggers', 'wd-managed-trigger'], ['rules', 'wd-managed-rule'], ['actions', 'wd-managed-extra/three']] as [Kind, string][]) {
      await expect(get(kind, name)).resolves.toBeDefined();
    }
    await wskdeploy('--managed', '-m', join(FIXTURES, '09-managed', 'manifest-smaller.yaml'));
    await expectGone([['actions', 'wd-managed/two'], ['actions', 'wd-managed/one-two'], ['rules', 'wd-managed-rule'], ['triggers', 'wd-managed-trigger'], ['actions', 'wd-managed-extra/three'], ['packages', 'wd-managed-extra']]);
    expect((await invoke('wd-managed/one', { name: 'Kept' })).payload).toBe('Hello, Kept from somewhere!');
    await wskdeploy('undeploy', '-m', join(FIXTURES, '09-managed', 'manifest-smaller.yaml'));
    await expectGone([['actions', 'wd-managed/one'], ['packages', 'wd-managed']]);
  });

  it('a dependency on /whisk.system/alarms: a binding, and a feed named through it', async () => {
    await wskdeploy(...files('10-whisk-system-dependency'));
    const binding = await get('packages', 'wd-alarms');
    expect(binding.binding).toMatchObject({ namespace: 'whisk.system', name: 'alarms' });
    expect(parameters(binding)).toMatchObject({ cron: '0 0 1 1 *' });
    expect(annotations(await get('triggers', 'wd-dep-yearly'))).toMatchObject({ feed: 'wd-alarms/alarm' });
    expect((await invoke('wd-dep/hello', { name: 'Fay' })).payload).toBe('Hello, Fay from somewhere!');
    await wskdeploy('undeploy', ...files('10-whisk-system-dependency'));
    await expectGone([['rules', 'wd-dep-rule'], ['triggers', 'wd-dep-yearly'], ['packages', 'wd-alarms'], ['actions', 'wd-dep/hello'], ['packages', 'wd-dep']]);
  });

  it('the default package: entities at the namespace root', async () => {
    await wskdeploy(...files('11-default-package'));
    expect(parameters(await get('actions', 'wd-root-hello'))).toMatchObject({ name: 'Root' });
    await expect(get('packages', 'default')).rejects.toMatchObject({ statusCode: 404 });
    const since = Date.now() - 1000;
    await ow.triggers.invoke({ name: 'wd-root-trigger', params: { place: 'the root' } });
    expect((await ruleResult('wd-root-trigger', since)).payload).toBe('Hello, Root from the root!');
    await wskdeploy('undeploy', ...files('11-default-package'));
    await expectGone([['rules', 'wd-root-rule'], ['triggers', 'wd-root-trigger'], ['actions', 'wd-root-hello']]);
  });

  it('a project of two packages with a sequence across them', async () => {
    await wskdeploy(...files('12-multi-package-project'));
    expect((await get('packages', 'wd-multi-a')).publish).toBe(true);
    expect(await invoke('wd-multi-b/shout', { text: 'hi' })).toEqual({ text: 'HI!' });
    await wskdeploy('undeploy', ...files('12-multi-package-project'));
    await expectGone([['actions', 'wd-multi-b/shout'], ['actions', 'wd-multi-a/upper'], ['packages', 'wd-multi-a'], ['packages', 'wd-multi-b']]);
  });
});
