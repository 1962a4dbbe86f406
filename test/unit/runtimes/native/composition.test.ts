/** Which start the task conductor continues its composition with (lib/runtimes/native/composition.ts). */
import { ChainingInvoker, COMPOSITION_COMPONENTS } from '../../../../lib/runtimes/native/composition';
import type { TaskStart } from '../../../../lib/runtimes/native/invoker';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';

const start = (index: number, extra: Partial<TaskStart> = {}): TaskStart => ({
  context: { runId: 'r1', workflow: 'wf', position: 1, index, attempt: 1, trigger: 'whiskflow-wf', stageId: 's' },
  action: '/_/user', params: { index }, delayMs: 0, selfReporting: false, ...extra,
});

describe('ChainingInvoker', () => {
  it('continues with the first start it can run as a component and invokes the rest', async () => {
    const inner = new RecordingInvoker();
    const chaining = new ChainingInvoker(inner, 'own', 1, 'key');
    expect(await chaining.start(start(0))).toBe('own');
    await chaining.start(start(1));
    expect(chaining.continuation).toMatchObject({ action: '/_/user', params: { index: 0 }, context: { index: 0 } });
    // The continued attempt carries its token, as an invoked conductor's would.
    expect(typeof chaining.continuation!.context.token).toBe('string');
    expect(inner.starts.map((task) => task.context.index)).toEqual([1]);
  });

  it('invokes self-reporting, callback and delayed starts, and every start once the composition is at its cap', async () => {
    const inner = new RecordingInvoker();
    const chaining = new ChainingInvoker(inner, 'own', 1, undefined);
    await chaining.start(start(0, { selfReporting: true }));
    await chaining.start(start(1, { callback: true }));
    await chaining.start(start(2, { delayMs: 100 }));
    expect(chaining.continuation).toBeUndefined();
    const full = new ChainingInvoker(inner, 'own', COMPOSITION_COMPONENTS, undefined);
    await full.start(start(3));
    expect(full.continuation).toBeUndefined();
    expect(inner.starts.map((task) => task.context.index)).toEqual([0, 1, 2, 3]);
  });
});
