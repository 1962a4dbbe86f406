/** Which user activation `whiskflow logs` shows for a native attempt (lib/cli/task-activations.ts). */
import { actionActivationsOf, type ActivationReader } from '../../../lib/cli/task-activations';

const PATH = { key: 'path', value: '_/whiskflow/task' };
const records: Record<string, object> = {
  // A composition that ran its own attempt (a1), then continued with a2 after conductor run c2.
  '00000000000000000000000000000000': { activationId: '00000000000000000000000000000000', name: 'task', annotations: [PATH, { key: 'conductor', value: true }], logs: ['11111111111111111111111111111111', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '22222222222222222222222222222222', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '33333333333333333333333333333333'], response: { success: true, result: {} } },
  '11111111111111111111111111111111': { activationId: '11111111111111111111111111111111', name: 'task', cause: '00000000000000000000000000000000', annotations: [PATH], logs: [], response: { success: true, result: {} } },
  '22222222222222222222222222222222': { activationId: '22222222222222222222222222222222', name: 'task', cause: '00000000000000000000000000000000', annotations: [PATH], logs: [], response: { success: true, result: {} } },
  '33333333333333333333333333333333': { activationId: '33333333333333333333333333333333', name: 'task', cause: '00000000000000000000000000000000', annotations: [PATH], logs: [], response: { success: true, result: {} } },
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': { activationId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'one', annotations: [{ key: 'path', value: '_/one' }], logs: ['first'], response: { success: true, status: 'success', result: {} } },
  'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb': { activationId: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'two', annotations: [{ key: 'path', value: '_/two' }], logs: ['second'], response: { success: true, status: 'success', result: {} } },
};
const client: ActivationReader = {
  activations: {
    get: async ({ name }) => {
      const record = records[name];
      if (!record) throw Object.assign(new Error('not found'), { statusCode: 404 });
      return record;
    },
  },
};

describe('actionActivationsOf', () => {
  it('shows a composition\'s own attempt only, not the tasks it continued with', async () => {
    expect(await actionActivationsOf(client, '00000000000000000000000000000000')).toMatchObject({ ok: true, activations: [{ activationId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', action: '_/one', logs: ['first'] }] });
  });

  it('shows a continued attempt as the component after its conductor run', async () => {
    expect(await actionActivationsOf(client, '22222222222222222222222222222222')).toMatchObject({ ok: true, activations: [{ activationId: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', action: '_/two', logs: ['second'] }] });
  });
});
