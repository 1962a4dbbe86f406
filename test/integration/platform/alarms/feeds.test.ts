/**
 * The alarms feeds end to end on the local platform, through the official `openwhisk` client the way
 * `wsk trigger create --feed /whisk.system/alarms/...` drives them: the feed action answers CREATE,
 * READ and DELETE, and the alarm fires its trigger, whose rule runs an action.
 * Needs the compiled runtime: run `npx tsc -p tsconfig.build.json` first.
 */
import openwhisk from 'openwhisk';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { until } from '../../../helpers/until';

type Client = ReturnType<typeof openwhisk>;
type Activation = Awaited<ReturnType<Client['activations']['get']>>;
/** client-js has `feeds.get` (READ) but its typings leave it out; the feed calls answer activations. */
type FeedCall = (options: { name: string; trigger: string; params?: Record<string, unknown> }) => Promise<Activation>;

describe('/whisk.system/alarms feeds on the local platform', () => {
  let platform: LocalPlatform;
  let ow: Client;

  beforeAll(async () => {
    platform = await startLocalPlatform();
    ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth, namespace: platform.namespace });
    await ow.actions.create({ name: 'echo', action: 'function main(params) { return { seen: params }; }', kind: 'nodejs:20' });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('fires a once alarm through its rule, then READ shows it disabled', async () => {
    await ow.triggers.create({ name: 'wake-up', trigger: { annotations: [{ key: 'feed', value: '/whisk.system/alarms/once' }] } });
    await ow.rules.create({ name: 'wake-up-echo', trigger: 'wake-up', action: 'echo' });
    const date = new Date(Date.now() + 1500).toISOString();
    const created = await (ow.feeds.create as unknown as FeedCall)({ name: '/whisk.system/alarms/once', trigger: 'wake-up', params: { date, trigger_payload: { greeting: 'hi' } } });
    expect(created.response?.result).toEqual({ status: 'success' });

    const echo = await waitForActivation(ow, 'echo');
    expect(echo.response?.result).toEqual({ seen: { greeting: 'hi' } });

    const read = await (ow.feeds as unknown as { get: FeedCall }).get({ name: '/whisk.system/alarms/once', trigger: 'wake-up' });
    expect(read.response?.result).toMatchObject({
      config: { name: 'wake-up', namespace: 'guest', date, payload: { greeting: 'hi' } },
      status: { active: false, reason: { kind: 'AUTO', message: 'Automatically disabled after firing once' } },
    });
    await expect(ow.feeds.delete({ name: '/whisk.system/alarms/once', trigger: 'wake-up' }))
      .resolves.toMatchObject({ response: { result: { status: 'success' } } });
  });

  it('rejects an invalid cron pattern with the real package message', async () => {
    await ow.triggers.create({ name: 'bad-cron' });
    const failure = await ow.feeds.create({ name: '/whisk.system/alarms/alarm', trigger: 'bad-cron', params: { cron: '61 * * * *' } })
      .then(() => undefined, (thrown: unknown) => thrown);
    // A blocking invoke of a failing action answers 502 with the activation, as on OpenWhisk.
    expect(failure).toMatchObject({
      statusCode: 502,
      error: { response: { status: 'application error', result: { error: "cron pattern '61 * * * *' is not valid" } } },
    });
  });
});

/** Polls the activation list until `action` has a finished activation. */
function waitForActivation(ow: Client, action: string): Promise<Activation> {
  return until(`${action} has a finished activation`, async () => {
    const [latest] = await ow.activations.list({ name: action, limit: 1 });
    if (!latest) return undefined;
    const record = await ow.activations.get({ name: latest.activationId });
    return typeof record.end === 'number' ? record : undefined;
  }, { intervalMs: 200 });
}
