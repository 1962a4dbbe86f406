/**
 * A fake OpenWhisk at the Rule Engine's boundary (the `StreamTaskInvoker` interface): actions are
 * functions of their parameters; an invocation returns an activation id at once and its record
 * becomes readable (as on the real API, after the action ran). `'hang'` models an action that never
 * finishes, for timeouts.
 */
import type { ActivationLike } from '../../../lib/events/activation';
import type { StreamTaskInvoker } from '../../../lib/runtimes/streaming';
import type { Json, JsonObject } from '../../../lib/model/json';

export type FakeOutcome = { result: Json } | { error: string } | 'hang';
export type FakeAction = (params: JsonObject) => FakeOutcome;

export interface Invocation {
  action: string;
  params: JsonObject;
  activationId: string;
}

type FakeRecord = ActivationLike & { start: number };

export class FakePlatform implements StreamTaskInvoker {
  readonly invocations: Invocation[] = [];
  private readonly records = new Map<string, FakeRecord>();
  private readonly held = new Map<string, FakeRecord>();
  private next = 0;
  /** Invocations this says yes to finish, but their records stay unreadable until `release()`. */
  hold: (action: string, params: JsonObject) => boolean = () => false;
  /** Calls of the API, for tests that count them. */
  readonly calls = { byId: 0 };

  constructor(private readonly actions: Record<string, FakeAction>) {}

  async invoke(action: string, params: JsonObject): Promise<string> {
    const run = this.actions[action];
    if (!run) throw Object.assign(new Error(`The requested resource does not exist. (${action})`), { statusCode: 404 });
    this.next += 1;
    const activationId = `activation-${String(this.next).padStart(6, '0')}`;
    this.invocations.push({ action, params, activationId });
    const outcome = run(params);
    if (outcome !== 'hang') {
      const success = 'result' in outcome;
      (this.hold(action, params) ? this.held : this.records).set(activationId, {
        activationId,
        start: Date.now(),
        end: Date.now(),
        response: success ? { success: true, status: 'success', result: outcome.result } : { success: false, status: 'application error', result: { error: outcome.error } },
      });
    }
    return activationId;
  }

  async activation(activationId: string): Promise<ActivationLike | undefined> {
    this.calls.byId += 1;
    return this.records.get(activationId);
  }

  /** Makes the held activations readable. */
  release(): void {
    for (const [id, record] of this.held) this.records.set(id, record);
    this.held.clear();
  }

  /** How many times `action` was invoked. */
  count(action: string): number {
    return this.invocations.filter((invocation) => invocation.action === action).length;
  }
}
