/**
 * External events meet the runs that wait for them, exactly once and with no lost race, over
 * create-only documents (both runtimes use it: the native orchestrator, and the streaming engine's
 * edge). A correlation is (workflow, CloudEvent type, key):
 * - `mailbox/<corr>/<eventId>`        every event received (a redelivery of the same id is a duplicate);
 * - `waiter/<corr>/<runId>/<position>`     every wait entered (`awaits/<runId>/<position>` is its copy by run);
 * - `consumed/<corr>/<eventId>`       which wait an event went to: of all deliveries, one creates it.
 * Each side writes its own document first and then lists the other's: an event arriving while a
 * run enters its wait is seen by at least one of the two (single-node CouchDB reads its own
 * writes), and the consumed claim plus the wait's create-only result make the rest exactly-once.
 * An event no wait has taken stays in its mailbox, listed as pending (`whiskflow events`).
 */
import type { ExternalEvent } from '../core/correlation';
import type { Json } from '../model/json';
import { claim } from './claims';
import { createAll, createOne } from './bulk';
import type { RunStore } from './run-store';

export interface Correlation {
  workflow: string;
  eventType: string;
  key: string;
}

/** A run's wait at transition `position` (native; streaming: the stage visit of its task key `taskKey`). */
export interface WaitRef extends Correlation {
  runId: string;
  position: number;
  stageId: string;
  /** Native: the trigger its completion goes to. */
  trigger?: string;
  /** Streaming: the wait's task key. */
  taskKey?: string;
  /**
   * Streaming: the wait's attempt token (lib/events/event-seal.ts), which its resuming completion
   * carries so that a Condition Engine with the deployment's key accepts it from whoever delivers
   * the event (the Event Receiver, `whiskflow send`): kept in the store, like a callback's token.
   */
  token?: string;
  since: number;
  /** Epoch ms the wait times out, when it has a timeout. */
  deadline?: number;
}

export interface WaiterDoc extends WaitRef {
  type: 'waiter';
}

export interface MailboxDoc extends Correlation {
  type: 'mailbox';
  event: ExternalEvent;
  receivedAt: number;
  /** How it arrived (`trigger`, `http`, `cli`, `stream`), for people. */
  via?: string;
}

export interface ConsumedDoc extends Correlation {
  type: 'consumed';
  eventId: string;
  runId: string;
  position: number;
  at: number;
}

const enc = encodeURIComponent;
const pad = (value: number): string => String(value).padStart(4, '0');
const corr = (c: Correlation): string => `${enc(c.workflow)}/${enc(c.eventType)}/${enc(c.key)}`;

export const eventDocIds = {
  mailbox: (c: Correlation, eventId: string) => `mailbox/${corr(c)}/${enc(eventId)}`,
  mailboxPrefix: (c?: Correlation | { workflow: string }) => (c === undefined ? 'mailbox/' : 'eventType' in c ? `mailbox/${corr(c)}/` : `mailbox/${enc(c.workflow)}/`),
  waiter: (c: Correlation, runId: string, position: number) => `waiter/${corr(c)}/${runId}/${pad(position)}`,
  waitersPrefix: (c: Correlation) => `waiter/${corr(c)}/`,
  awaits: (runId: string, position: number) => `awaits/${runId}/${pad(position)}`,
  awaitsPrefix: (runId: string) => `awaits/${runId}/`,
  consumed: (c: Correlation, eventId: string) => `consumed/${corr(c)}/${enc(eventId)}`,
  consumedPrefix: (c: Correlation) => `consumed/${corr(c)}/`,
};

/** What a runtime does with a match: resume the wait with the event (idempotent), and whether a wait is still open. */
export interface WaitResumer {
  isOpen(wait: WaitRef): Promise<boolean>;
  resume(wait: WaitRef, event: ExternalEvent): Promise<void>;
}

export type Received =
  | { outcome: 'delivered'; runId: string; position: number }
  /** No open wait: kept in the mailbox for the next wait on its correlation. */
  | { outcome: 'kept' }
  /** The same event id was received before (its first delivery stands). */
  | { outcome: 'duplicate'; runId?: string };

/** An event arrived: keep it, then hand it to the first open wait on its correlation. */
export async function receiveEvent(store: RunStore, workflow: string, event: ExternalEvent, resumer: WaitResumer, via?: string, now = Date.now()): Promise<Received> {
  const c: Correlation = { workflow, eventType: event.type, key: event.key };
  const doc: MailboxDoc = { type: 'mailbox', ...c, event, receivedAt: now, ...(via ? { via } : {}) };
  const written = await createOne(store, eventDocIds.mailbox(c, event.id), doc);
  // A duplicate goes on too: the first receiver may have died before delivering.
  const waiters = await store.listByPrefix<WaiterDoc>(eventDocIds.waitersPrefix(c), { includeDocs: true });
  for (const row of waiters) {
    if (!row.doc) continue;
    const delivered = await deliver(store, row.doc, event, resumer, now);
    if (delivered === 'delivered') return written.outcome === 'created' ? { outcome: 'delivered', runId: row.doc.runId, position: row.doc.position } : { outcome: 'duplicate', runId: row.doc.runId };
    if (delivered === 'taken') break;
  }
  return written.outcome === 'created' ? { outcome: 'kept' } : { outcome: 'duplicate' };
}

/** A run entered a wait: register it, then take the earliest event already kept for it, if any. */
export async function registerWait(store: RunStore, wait: WaitRef, resumer: WaitResumer, now = Date.now()): Promise<ExternalEvent | undefined> {
  const doc: WaiterDoc = { type: 'waiter', ...wait };
  await createAll(store, [{ id: eventDocIds.waiter(wait, wait.runId, wait.position), body: doc }, { id: eventDocIds.awaits(wait.runId, wait.position), body: doc }]);
  const kept = await store.listByPrefix<MailboxDoc>(eventDocIds.mailboxPrefix(wait), { includeDocs: true });
  const events = kept.flatMap((row) => (row.doc ? [row.doc] : [])).sort((a, b) => a.receivedAt - b.receivedAt);
  for (const kept of events) {
    if (await deliver(store, wait, kept.event, resumer, now) === 'delivered') return kept.event;
  }
  return undefined;
}

/**
 * One event to one wait: `taken` when the event went to another wait, `closed` when the wait no
 * longer waits. The consumed claim decides which wait an event goes to; resuming is idempotent
 * (the wait's slot is create-only), so a repeated delivery of the same match changes nothing.
 */
async function deliver(store: RunStore, wait: WaitRef, event: ExternalEvent, resumer: WaitResumer, now: number): Promise<'delivered' | 'taken' | 'closed'> {
  const c: Correlation = wait;
  const consumedId = eventDocIds.consumed(c, event.id);
  const existing = await store.get<ConsumedDoc>(consumedId);
  const mine = (doc: ConsumedDoc): boolean => doc.runId === wait.runId && doc.position === wait.position;
  if (existing && !mine(existing)) return 'taken';
  if (!existing) {
    if (!await resumer.isOpen(wait)) return 'closed';
    const claimed = await claim<ConsumedDoc>(store, consumedId, { type: 'consumed', ...c, eventId: event.id, runId: wait.runId, position: wait.position, at: now });
    if (!mine(claimed.doc)) return 'taken';
  }
  await resumer.resume(wait, event);
  return 'delivered';
}

/** One event as `whiskflow events` lists it. */
export interface EventView {
  eventId: string;
  workflow: string;
  eventType: string;
  key: string;
  receivedAt: number;
  data: Json;
  via?: string;
  /** The wait it went to; absent: pending, no wait has taken it. */
  consumedBy?: { runId: string; position: number };
}

/** The events a run's waits received, with each wait (`whiskflow events <run>`). */
export async function eventsOfRun(store: RunStore, runId: string): Promise<{ wait: WaitRef; received?: EventView }[]> {
  const waits = await store.listByPrefix<WaiterDoc>(eventDocIds.awaitsPrefix(runId), { includeDocs: true });
  return Promise.all(waits.flatMap((row) => (row.doc ? [row.doc] : [])).map(async (wait) => {
    const events = await eventsOf(store, wait);
    const received = events.find((event) => event.consumedBy?.runId === runId && event.consumedBy.position === wait.position);
    return received ? { wait, received } : { wait };
  }));
}

/** Every event received for a workflow (or all), with where it went; pending ones have no `consumedBy`. */
export async function eventsOf(store: RunStore, scope?: Correlation | { workflow: string }): Promise<EventView[]> {
  const rows = await store.listByPrefix<MailboxDoc>(eventDocIds.mailboxPrefix(scope), { includeDocs: true });
  const docs = rows.flatMap((row) => (row.doc ? [row.doc] : []));
  return Promise.all(docs.map(async (doc) => {
    const consumed = await store.get<ConsumedDoc>(eventDocIds.consumed(doc, doc.event.id));
    const view: EventView = { eventId: doc.event.id, workflow: doc.workflow, eventType: doc.eventType, key: doc.key, receivedAt: doc.receivedAt, data: doc.event.data };
    if (doc.via) view.via = doc.via;
    if (consumed) view.consumedBy = { runId: consumed.runId, position: consumed.position };
    return view;
  }));
}

/** The wait of `runId` at `position`, if it registered one. */
export async function waitOf(store: RunStore, runId: string, position: number): Promise<WaitRef | undefined> {
  return store.get<WaiterDoc>(eventDocIds.awaits(runId, position));
}

/** One line for `whiskflow status`/`logs`: what the wait waits for, and until when. */
export function describeWait(wait: WaitRef): string {
  const until = wait.deadline !== undefined ? `, until ${new Date(wait.deadline).toISOString()}` : '';
  return `stage ${wait.stageId}: event ${wait.eventType} with key ${JSON.stringify(wait.key)}${until}`;
}
