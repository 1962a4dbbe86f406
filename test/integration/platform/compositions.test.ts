/**
 * Sequences and conductor actions (apache/openwhisk docs/conductors.md) on the real runtime.
 */
import { annotation, raw } from './support';
import { usePlatform } from '../../helpers/local-platform';

const { platform, ow } = usePlatform();

beforeAll(async () => {
  await ow.actions.create({ name: 'triple', action: 'function main({ value }) { return { value: value * 3 }; }' });
  await ow.actions.create({ name: 'increment', action: 'function main({ value }) { return { value: value + 1 }; }' });
  await ow.actions.create({ name: 'fail', action: 'function main() { return { error: "component failed" }; }' });
});

const sequence = (components: string[]) => ({ exec: { kind: 'sequence', components } });

describe('sequences', () => {
  test('components run in order, output to input; components are recorded as caused by the sequence', async () => {
    const created = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/tripleThenIncrement', sequence(['triple', '/_/increment']));
    expect(created.status).toBe(200);
    // Components are stored fully qualified, as the real controller does.
    expect(created.body.exec.components).toEqual(['/guest/triple', '/guest/increment']);

    const activation = await ow.actions.invoke({ name: 'tripleThenIncrement', blocking: true, params: { value: 3 } });
    expect(activation.response.result).toEqual({ value: 10 });
    expect(annotation(activation, 'kind')).toBe('sequence');
    expect(annotation(activation, 'topmost')).toBe(true);
    expect(activation.logs).toHaveLength(2);
    const [first, second] = await Promise.all(activation.logs.map((id: string) => ow.activations.get({ name: id })));
    expect(first.name).toBe('triple');
    expect(second.name).toBe('increment');
    expect(annotation(first, 'causedBy')).toBe('sequence');
    expect(first.cause).toBe(activation.activationId);
    expect(second.response.result).toEqual({ value: 10 });
  });

  test('a sequence stops at the first error and answers it', async () => {
    await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/failing-seq', sequence(['triple', 'fail', 'increment']));
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/failing-seq?blocking=true', { value: 1 });
    expect(response.status).toBe(502);
    expect(response.body.response).toMatchObject({ status: 'application error', result: { error: 'component failed' } });
    expect(response.body.logs).toHaveLength(2);
  });

  test('sequences with missing components, no components or a cycle are rejected', async () => {
    const missing = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/bad-seq', sequence(['triple', 'does-not-exist']));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('Sequence component does not exist.');
    const empty = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/bad-seq', sequence([]));
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('No component specified for the sequence.');
    await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/loop', sequence(['triple']));
    const cyclic = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/loop?overwrite=true', sequence(['triple', 'loop']));
    expect(cyclic.status).toBe(400);
    expect(cyclic.body.error).toBe('Sequence may not refer to itself.');
  });
});

describe('conductor actions', () => {
  const tripleAndIncrement = `
    function main(params) {
      let step = params.$step || 0;
      delete params.$step;
      switch (step) {
        case 0: return { action: 'triple', params, state: { $step: 1 } };
        case 1: return { action: 'increment', params, state: { $step: 2 } };
        case 2: return { params };
      }
    }`;

  test('runs the composition of docs/conductors.md: 5 derived activations, primary record like a sequence', async () => {
    await ow.actions.create({ name: 'tripleAndIncrement', action: tripleAndIncrement, annotations: { conductor: true } });
    const activation = await ow.actions.invoke({ name: 'tripleAndIncrement', blocking: true, params: { value: 3 } });
    expect(activation.response).toMatchObject({ status: 'success', result: { value: 10 } });
    expect(annotation(activation, 'conductor')).toBe(true);
    expect(annotation(activation, 'kind')).toBe('sequence');
    expect(annotation(activation, 'topmost')).toBe(true);
    expect(activation.logs).toHaveLength(5);
    const derived = await Promise.all(activation.logs.map((id: string) => ow.activations.get({ name: id })));
    expect(derived.map((record: { name: string }) => record.name))
      .toEqual(['tripleAndIncrement', 'triple', 'tripleAndIncrement', 'increment', 'tripleAndIncrement']);
    for (const record of derived) {
      expect(annotation(record, 'causedBy')).toBe('sequence');
      expect(record.cause).toBe(activation.activationId);
    }
  });

  test('a component error goes back to the conductor; an unknown action ends with an application error', async () => {
    const conductor = `
      function main(params) {
        if (params.error) return { params: { caught: params.error } };
        if (params.$next) return { action: params.$next, params: {} };
        return { action: 'fail', params: {} };
      }`;
    await ow.actions.create({ name: 'catcher', action: conductor, annotations: { conductor: true } });
    expect(await ow.actions.invoke({ name: 'catcher', blocking: true, result: true })).toEqual({ caught: 'component failed' });
    const unknown = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/catcher?blocking=true', { $next: 'no-such-action' });
    expect(unknown.status).toBe(502);
    expect(unknown.body.response.result.error).toBe("Failed to resolve action with name 'no-such-action' during composition.");
  });
});
