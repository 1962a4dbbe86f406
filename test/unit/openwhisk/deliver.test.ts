import { deliverEvent, ruleOutcomes } from '../../../lib/openwhisk/deliver';
import type { DeliveryClient } from '../../../lib/openwhisk/client';

function fakeClient(ruleLines: string[], fireFailures: number[] = []) {
  const calls: { kind: string; name: string; params?: unknown }[] = [];
  const client: DeliveryClient = {
    triggers: {
      invoke: async ({ name, params }) => {
        calls.push({ kind: 'fire', name, params });
        const status = fireFailures.shift();
        if (status) throw Object.assign(new Error(`HTTP ${status}`), { statusCode: status });
        return { activationId: 'trigger-activation' };
      },
    },
    actions: { invoke: async ({ name, params }) => { calls.push({ kind: 'invoke', name, params }); return { activationId: 'direct' }; } },
    activations: { get: async ({ name }) => { calls.push({ kind: 'get', name }); return { logs: ruleLines }; } },
  };
  return { client, calls };
}

describe('deliverEvent', () => {
  it('invokes the rule\'s action directly when the trigger accepted the event but the rule was throttled', async () => {
    const { client, calls } = fakeClient([
      JSON.stringify({ statusCode: 429, success: false, error: 'Too many requests', action: 'guest/whiskflow/orchestrator', rule: 'guest/whiskflow-wf-rule' }),
    ]);
    const delivery = await deliverEvent(client, 'whiskflow-wf', 'wf', { specversion: '1.0', id: 'e1' }, Date.now() + 5_000);
    expect(delivery.redelivered).toEqual(['/guest/whiskflow/orchestrator']);
    expect(calls.find((c) => c.kind === 'invoke')).toEqual({ kind: 'invoke', name: '/guest/whiskflow/orchestrator', params: { whiskflowWorkflow: 'wf', specversion: '1.0', id: 'e1' } });
  });

  it('does nothing more when every rule started its action, and retries a refused fire', async () => {
    const { client, calls } = fakeClient([JSON.stringify({ statusCode: 0, success: true, activationId: 'x', action: 'guest/whiskflow/orchestrator' })], [429, 503]);
    const delivery = await deliverEvent(client, 'whiskflow-wf', 'wf', { id: 'e2' }, Date.now() + 30_000);
    expect(delivery).toEqual({ triggerActivationId: 'trigger-activation', redelivered: [], activationIds: ['x'] });
    expect(calls.filter((c) => c.kind === 'fire')).toHaveLength(3);
    expect(calls.some((c) => c.kind === 'invoke')).toBe(false);
  });

  it('leaves the action of a disabled rule alone (the controller logs it with status 1)', async () => {
    const { client, calls } = fakeClient([
      JSON.stringify({ statusCode: 1, success: false, error: "Rule 'guest/whiskflow-wf-rule' is inactive, action 'guest/whiskflow/orchestrator' was not activated.", action: 'guest/whiskflow/orchestrator', rule: 'guest/whiskflow-wf-rule' }),
    ]);
    const delivery = await deliverEvent(client, 'whiskflow-wf', 'wf', { id: 'e3' }, Date.now() + 5_000);
    expect(delivery.redelivered).toEqual([]);
    expect(calls.some((c) => c.kind === 'invoke')).toBe(false);
  });

  it('reads only the JSON rule lines of a trigger activation', () => {
    expect(ruleOutcomes(['not json', '{"success":false,"action":"a"}', '{"other":1}'])).toEqual([{ success: false, action: 'a' }]);
  });
});
