/**
 * The provider behind the `whiskflow/changes` feed on the local platform: a long-running loop that
 * follows the `_changes` of every registered database and fires the registered trigger once per
 * change with `{ dbname, id, seq, changes, input: <the changed document> }` (a plain payload, so
 * the workflow's run starts with the document as its input).
 *
 * Why a process and not an action: following a changes feed is continuous work, and an action
 * lives for one activation. On a real OpenWhisk the same role is played by the cloudant package's
 * provider service (deploy with `--changes-feed /whisk.system/cloudant/changes`). Locally,
 * `whiskflow local` (or any long-running process) starts one `ChangesProvider`.
 *
 * At-least-once: `since` is saved after a change was fired, so a restart may fire the last change
 * again; the orchestrator starts a run per fire, so workflows fed by changes should be idempotent.
 */
import { updateWithRetry } from '../store/claims';
import type { RunStore } from '../store/run-store';
import type { JsonObject } from '../model/json';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '../openwhisk/client';
import { withThrottleRetry } from '../openwhisk/throttle';
import { REGISTRATIONS_PREFIX, type ChangesRegistration } from './changes-registration';

export interface ChangesProviderOptions {
  /** Where the feed action stores registrations (the whiskflow run store). */
  store: RunStore;
  /** OpenWhisk API the triggers are fired on. */
  apihost: string;
  /** How often registrations are re-read. @default 2000 */
  pollMs?: number;
  /** Long-poll timeout of one `_changes` request. @default 10000 */
  longPollMs?: number;
  log?: (message: string) => void;
}

interface Follower {
  stop: () => void;
  done: Promise<void>;
}

type ChangesResponse = { results: { id: string; seq: string | number; changes: { rev: string }[]; doc?: JsonObject; deleted?: boolean }[]; last_seq: string | number };

export class ChangesProvider {
  private readonly followers = new Map<string, Follower>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: ChangesProviderOptions) {}

  start(): void {
    this.loop ??= this.watchRegistrations();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const follower of this.followers.values()) follower.stop();
    await Promise.all([...this.followers.values()].map((f) => f.done));
    await this.loop;
  }

  private async watchRegistrations(): Promise<void> {
    while (!this.stopped) {
      try {
        const rows = await this.options.store.listByPrefix<ChangesRegistration>(REGISTRATIONS_PREFIX, { includeDocs: true });
        const active = new Map(rows.flatMap((row) => (row.doc && row.doc.status === 'active' ? [[row.id, row.doc] as const] : [])));
        for (const [id, follower] of this.followers) {
          if (!active.has(id)) {
            follower.stop();
            this.followers.delete(id);
          }
        }
        for (const [id, registration] of active) {
          if (!this.followers.has(id)) this.followers.set(id, this.follow(id, registration));
        }
      } catch (error) {
        this.options.log?.(`changes provider: reading registrations failed: ${(error as Error).message}`);
      }
      await sleep(this.options.pollMs ?? 2_000);
    }
  }

  private follow(id: string, registration: ChangesRegistration): Follower {
    const controller = new AbortController();
    let since = registration.since ?? 'now';
    const client = createClient({ apihost: this.options.apihost, apiKey: registration.authKey });
    const headers: Record<string, string> = registration.username
      ? { authorization: `Basic ${Buffer.from(`${registration.username}:${registration.password ?? ''}`).toString('base64')}` }
      : {};
    const done = (async () => {
      while (!controller.signal.aborted) {
        try {
          const query = new URLSearchParams({ feed: 'longpoll', include_docs: 'true', since, timeout: String(this.options.longPollMs ?? 10_000) });
          if (registration.filter) query.set('filter', registration.filter);
          for (const [key, value] of Object.entries(registration.query_params ?? {})) query.set(key, typeof value === 'string' ? value : JSON.stringify(value));
          const response = await fetch(`${registration.url}/${encodeURIComponent(registration.dbname)}/_changes?${query}`, { headers, signal: controller.signal });
          if (!response.ok) throw new Error(`_changes of ${registration.dbname} answered HTTP ${response.status}`);
          const body = (await response.json()) as ChangesResponse;
          for (const change of body.results) {
            const payload = { dbname: registration.dbname, id: change.id, seq: change.seq, changes: change.changes, input: change.doc ?? null } as unknown as JsonObject;
            await withThrottleRetry(`fire ${registration.triggerName}`, () => client.triggers.invoke({ name: registration.triggerName, params: payload }), { deadline: Date.now() + 300_000 });
          }
          since = String(body.last_seq);
          await updateWithRetry<ChangesRegistration>(this.options.store, id, (current) => (current.since === since ? undefined : { ...current, since }));
        } catch (error) {
          if (controller.signal.aborted) break;
          this.options.log?.(`changes provider: ${registration.triggerName}: ${(error as Error).message}`);
          await sleep(1_000);
        }
      }
    })();
    return { stop: () => controller.abort(), done };
  }
}
