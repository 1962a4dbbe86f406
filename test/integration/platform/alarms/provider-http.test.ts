/**
 * The alarms provider on real timers, firing through the official `openwhisk` client into an HTTP
 * server that records trigger fires the way the platform's API receives them. The tests wait for
 * events (fires, status changes), never for a fixed time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import openwhisk from 'openwhisk';
import { createAlarmsProvider, type AlarmsProvider } from '../../../../lib/platform/alarms';
import { until } from '../../../helpers/until';

const AUTH = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:alarm-test-key';

interface ReceivedFire {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A stand-in for the trigger fire route: answers 202 for `/guest/tick`, 404 for anything else. */
async function startTriggerEndpoint() {
  const fires: ReceivedFire[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    request.on('end', () => {
      const path = request.url ?? '';
      if (request.method === 'POST' && path.startsWith('/api/v1/namespaces/guest/triggers/tick')) {
        fires.push({ path, authorization: request.headers.authorization, body: text ? JSON.parse(text) : undefined });
        waiters.splice(0).forEach((wake) => wake());
        response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ activationId: `a${fires.length}` }));
      } else {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'The requested resource does not exist.', code: 'x' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apihost: `http://127.0.0.1:${port}`,
    fires,
    /** Resolves once at least `count` fires arrived. */
    async waitForFires(count: number): Promise<void> {
      while (fires.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('alarms provider firing over HTTP', () => {
  let endpoint: Awaited<ReturnType<typeof startTriggerEndpoint>>;
  let provider: AlarmsProvider;
  const logs: string[] = [];

  beforeAll(async () => {
    endpoint = await startTriggerEndpoint();
    provider = createAlarmsProvider({
      fireTrigger: async (triggerFqn, authKey, payload) => {
        const ow = openwhisk({ apihost: endpoint.apihost, api_key: authKey });
        const [, namespace, ...name] = triggerFqn.split('/');
        await ow.triggers.invoke({ name: name.join('/'), namespace, params: payload });
      },
      log: (msg) => logs.push(msg),
    });
  });

  afterAll(async () => {
    provider.stop();
    await endpoint.close();
  });

  it('fires a per-second cron alarm with its payload and the owner key, until DELETE', async () => {
    await provider.handle('alarm', {
      lifecycleEvent: 'CREATE', triggerName: '/guest/tick', authKey: AUTH, cron: '* * * * * *', trigger_payload: { source: 'cron' },
    });
    await endpoint.waitForFires(2);
    await provider.handle('alarm', { lifecycleEvent: 'DELETE', triggerName: '/guest/tick', authKey: AUTH });

    const [first] = endpoint.fires;
    expect(first?.body).toEqual({ source: 'cron' });
    expect(first?.authorization).toBe(`Basic ${Buffer.from(AUTH).toString('base64')}`);
    expect(provider.list()).toEqual([]);
    // The key is a credential: it must not reach the provider's log.
    expect(logs.join('\n')).not.toContain('alarm-test-key');
  });

  it('disables an alarm whose trigger answers 404, reading the status code from the client error', async () => {
    await provider.handle('once', {
      lifecycleEvent: 'CREATE', triggerName: '/guest/missing', authKey: AUTH, date: new Date(Date.now() + 1500).toISOString(),
    });
    const status = await until('the alarm is disabled', async () => {
      const read = (await provider.handle('once', { lifecycleEvent: 'READ', triggerName: '/guest/missing', authKey: AUTH })).status as Record<string, unknown>;
      return read.active === false ? read : undefined;
    }, { intervalMs: 100 });
    expect(status.reason).toEqual({
      kind: 'AUTO', statusCode: 404, message: 'Trigger automatically disabled: Received a 404 status code when firing the trigger',
    });
  });
});
