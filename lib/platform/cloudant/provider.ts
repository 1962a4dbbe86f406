/**
 * The changes feed provider, the local equivalent of apache/openwhisk-package-cloudant's provider
 * service: for each registered trigger it follows the database's `_changes` (long poll) and fires the
 * trigger once per change with `{ dbname, id, seq, changes }` as the cloudant provider does, plus
 * `input`: the changed document, so that a trigger whose rule starts a workflow run starts it with
 * the document as its input.
 *
 * At-least-once: `since` is saved after a batch was fired, so a restart may fire the batch's changes
 * again; whatever the trigger starts should be idempotent. A fire the platform throttles (429) is
 * tried again; the feed goes on from where it was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ThrottledError, ensureError } from '../../errors';
import { describeRegistration, toRegistration, type ChangesRegistration } from './registration';

export type LifecycleEvent = 'CREATE' | 'READ' | 'UPDATE' | 'DELETE' | 'PAUSE' | 'UNPAUSE';

export interface ChangesProviderDeps {
  /** Fires `triggerName` as the owner of `authKey` (the controller's own trigger-fire code). */
  fireTrigger(triggerName: string, authKey: string, payload: Record<string, unknown>): Promise<void>;
  /** Called whenever a registration or its position changed (to persist `list()`). */
  changed(): void;
  log(message: string): void;
  /** Long-poll timeout of one `_changes` request. @default 10000 */
  longPollMs?: number;
}

type ChangesResponse = { results: { id: string; seq: string | number; changes: { rev: string }[]; doc?: Record<string, unknown> }[]; last_seq: string | number };

interface Follower { stop: () => void; done: Promise<void> }

export class ChangesFeedProvider {
  private readonly registrations = new Map<string, ChangesRegistration>();
  private readonly followers = new Map<string, Follower>();
  private stopped = false;

  constructor(private readonly deps: ChangesProviderDeps) {}

  /** Registrations as saved, to `restore` after a restart. */
  list(): ChangesRegistration[] {
    return [...this.registrations.values()];
  }

  restore(registration: ChangesRegistration): void {
    this.registrations.set(registration.triggerName, registration);
    if (registration.status === 'active') this.follow(registration.triggerName);
  }

  /** Answers a lifecycle event of the feed action (docs/feeds.md of apache/openwhisk). */
  async handle(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const lifecycleEvent = String(params.lifecycleEvent ?? '').trim().toUpperCase() as LifecycleEvent;
    const triggerName = typeof params.triggerName === 'string' ? params.triggerName : '';
    const current = this.registrations.get(triggerName);
    switch (lifecycleEvent) {
      case 'CREATE': {
        if (current) return { error: `a changes feed already exists for trigger ${triggerName}` };
        this.put(toRegistration(params));
        return { status: 'success' };
      }
      case 'UPDATE': {
        if (!current) return { error: `no changes feed exists for trigger ${triggerName}` };
        await this.unfollow(triggerName);
        this.put(toRegistration(params, current));
        return { status: 'success' };
      }
      case 'READ':
        if (!current) return { error: `no changes feed exists for trigger ${triggerName}` };
        return { config: describeRegistration(current), status: { active: current.status === 'active' } };
      case 'DELETE':
        await this.unfollow(triggerName);
        this.registrations.delete(triggerName);
        this.deps.changed();
        return { status: 'success' };
      case 'PAUSE':
      case 'UNPAUSE': {
        if (!current) return { error: `no changes feed exists for trigger ${triggerName}` };
        await this.unfollow(triggerName);
        this.put({ ...current, status: lifecycleEvent === 'PAUSE' ? 'paused' : 'active' });
        return { status: 'success' };
      }
      default:
        return { error: `unsupported lifecycleEvent ${JSON.stringify(params.lifecycleEvent)}` };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.followers.keys()].map((name) => this.unfollow(name)));
  }

  private put(registration: ChangesRegistration): void {
    this.registrations.set(registration.triggerName, registration);
    this.deps.changed();
    if (registration.status === 'active') this.follow(registration.triggerName);
  }

  private async unfollow(triggerName: string): Promise<void> {
    const follower = this.followers.get(triggerName);
    if (!follower) return;
    this.followers.delete(triggerName);
    follower.stop();
    await follower.done;
  }

  private follow(triggerName: string): void {
    if (this.stopped || this.followers.has(triggerName)) return;
    const controller = new AbortController();
    const done = this.followLoop(triggerName, controller.signal).catch((error: unknown) => {
      this.deps.log(`changes feed of ${triggerName} stopped: ${ensureError(error).message}`);
    });
    this.followers.set(triggerName, { stop: () => controller.abort(), done });
  }

  private async followLoop(triggerName: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const registration = this.registrations.get(triggerName);
      if (!registration || registration.status !== 'active') return;
      try {
        const body = await this.readChanges(registration, signal);
        for (const change of body.results) {
          if (signal.aborted) return;
          const payload = { dbname: registration.dbname, id: change.id, seq: change.seq, changes: change.changes, input: change.doc ?? null };
          await this.fireWithRetry(registration, payload, signal);
          if (registration.triggersLeft !== undefined && --registration.triggersLeft <= 0) {
            // As the cloudant provider does when maxTriggers is reached: the feed stops firing.
            registration.status = 'paused';
            this.deps.log(`changes feed of ${triggerName} reached maxTriggers and was disabled`);
            break;
          }
        }
        registration.since = String(body.last_seq);
        this.deps.changed();
      } catch (error) {
        if (signal.aborted) return;
        this.deps.log(`changes feed of ${triggerName}: ${ensureError(error).message}`);
        await sleep(1_000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async readChanges(registration: ChangesRegistration, signal: AbortSignal): Promise<ChangesResponse> {
    const query = new URLSearchParams({ feed: 'longpoll', include_docs: 'true', since: registration.since ?? 'now', timeout: String(this.deps.longPollMs ?? 10_000) });
    if (registration.filter) query.set('filter', registration.filter);
    for (const [key, value] of Object.entries(registration.query_params ?? {})) query.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    const headers: Record<string, string> = registration.username
      ? { authorization: `Basic ${Buffer.from(`${registration.username}:${registration.password ?? ''}`).toString('base64')}` }
      : {};
    const response = await fetch(`${registration.url}/${encodeURIComponent(registration.dbname)}/_changes?${query}`, { headers, signal });
    if (!response.ok) throw new Error(`_changes of ${registration.dbname} answered HTTP ${response.status}`);
    return (await response.json()) as ChangesResponse;
  }

  private async fireWithRetry(registration: ChangesRegistration, payload: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.deps.fireTrigger(registration.triggerName, registration.authKey, payload);
        return;
      } catch (error) {
        if (!(error instanceof ThrottledError)) throw error;
        await sleep(Math.min(error.retryAfterMs ?? 1_000, 10_000), undefined, { signal });
      }
    }
  }
}
