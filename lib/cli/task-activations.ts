/**
 * What a task attempt's user action did, read back from OpenWhisk: its logs, its result and, when it
 * failed, its error and stack. A native task attempt is a conductor composition (whiskflow/task,
 * apache/openwhisk docs/conductors.md): its primary activation's `logs` are the ids of the
 * component activations (the conductor's steps and the user's action), so the user's activation is
 * the component that is not the conductor. A streaming task attempt is the user's activation itself.
 */
import { forEachLimited } from '../limited';

export interface ActivationRecord {
  activationId: string;
  name?: string;
  namespace?: string;
  cause?: string;
  logs?: unknown[];
  start?: number;
  end?: number;
  duration?: number;
  annotations?: { key: string; value: unknown }[];
  response?: { status?: string; success?: boolean; result?: unknown };
}

export interface ActivationReader {
  activations: { get(options: { name: string }): Promise<unknown> };
}

/** The user action's activation of one attempt, as `logs` shows it. */
export interface ActionActivation {
  activationId: string;
  /** `namespace/package/action` when the platform annotated it, else the action's name. */
  action: string;
  status: string;
  durationMs?: number;
  logs: string[];
  /** The error's message (or the whole error when it is not an object with one). */
  error?: string;
  stack?: string;
}

export type AttemptActivation = { ok: true; activations: ActionActivation[] } | { ok: false; reason: string };

const ACTIVATION_ID = /^[0-9a-f]{32}$/;

/** Reads the user action activation(s) under `activationId`; a read failure is reported, not thrown. */
export async function actionActivationsOf(client: ActivationReader, activationId: string): Promise<AttemptActivation> {
  try {
    const primary = (await client.activations.get({ name: activationId })) as ActivationRecord;
    if (primary.cause && !isComposition(primary)) {
      // A conductor run that continued its composition with this attempt (lib/runtimes/native/composition.ts):
      // the attempt is the component after it in the composition (its cause), once that has ended.
      const composition = (await client.activations.get({ name: primary.cause }).catch(() => undefined)) as ActivationRecord | undefined;
      if (composition && isComposition(composition) && pathOf(composition) === pathOf(primary)) {
        const logs = (composition.logs ?? []).map(String);
        const next = logs[logs.indexOf(activationId) + 1];
        return { ok: true, activations: logs.includes(activationId) && next ? [toActionActivation((await client.activations.get({ name: next })) as ActivationRecord)] : [] };
      }
    }
    if (!isComposition(primary)) return { ok: true, activations: [toActionActivation(primary)] };
    const componentIds = (primary.logs ?? []).map(String).filter((id) => ACTIVATION_ID.test(id));
    const components: ActivationRecord[] = [];
    await forEachLimited(componentIds, 4, async (id, index) => { components[index] = (await client.activations.get({ name: id })) as ActivationRecord; });
    const conductor = pathOf(primary);
    const actions = components.filter((component) => pathOf(component) !== conductor);
    // A conductor's attempt is its first component: the ones after it are the tasks its composition continued with.
    return { ok: true, activations: (primary.annotations?.some((item) => item.key === 'conductor' && item.value === true) ? actions.slice(0, 1) : actions).map(toActionActivation) };
  } catch (error) {
    return { ok: false, reason: `activation ${activationId} could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** A conductor's (or sequence's) primary activation: annotated so, its logs are component ids. */
function isComposition(record: ActivationRecord): boolean {
  const annotation = (key: string): unknown => record.annotations?.find((item) => item.key === key)?.value;
  return annotation('conductor') === true || annotation('kind') === 'sequence';
}

function pathOf(record: ActivationRecord): string {
  const path = record.annotations?.find((item) => item.key === 'path')?.value;
  return typeof path === 'string' ? path : `${record.namespace ?? ''}/${record.name ?? ''}`;
}

function toActionActivation(record: ActivationRecord): ActionActivation {
  const result = record.response?.result;
  const failed = record.response?.success === false || (typeof result === 'object' && result !== null && 'error' in result);
  const { error, stack } = failed ? errorOf((result as { error?: unknown } | undefined)?.error) : {};
  return {
    activationId: record.activationId,
    action: pathOf(record),
    status: record.response?.status ?? (failed ? 'application error' : 'success'),
    ...(record.duration !== undefined ? { durationMs: record.duration } : {}),
    logs: (record.logs ?? []).map(String),
    ...(error !== undefined ? { error } : {}),
    ...(stack !== undefined ? { stack } : {}),
  };
}

/**
 * The Node.js runtime records a rejected Error as `{ name, message, stack }` and a thrown one as
 * a string (the stack then is in the logs); other runtimes return whatever the action returned.
 */
function errorOf(error: unknown): { error?: string; stack?: string } {
  if (error === undefined) return { error: 'unknown error' };
  if (typeof error === 'string') return { error };
  if (typeof error === 'object' && error !== null) {
    const { message, name, stack } = error as { message?: unknown; name?: unknown; stack?: unknown };
    const text = typeof message === 'string' ? (typeof name === 'string' && name !== 'Error' ? `${name}: ${message}` : message) : JSON.stringify(error);
    return { error: text, ...(typeof stack === 'string' ? { stack } : {}) };
  }
  return { error: JSON.stringify(error) };
}
