/**
 * Subjects and their namespaces (OpenWhisk's `subjects` database): who may call the API with which
 * `uuid:key`. The standalone's `guest` and `whisk.system` identities are always present.
 */
import nano from 'nano';
import { readAllDocs, statusCodeOf, storeError } from './couch';

export interface Identity {
  subject: string;
  namespace: string;
  uuid: string;
  key: string;
}

/** Credentials of the standalone OpenWhisk (core/standalone), so that tools configured for it work. */
export const GUEST_AUTH = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';
export const SYSTEM_AUTH = '789c46b1-71f6-4ed5-8c54-816aa4f8c502:abczO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';
export const SYSTEM_NAMESPACE = 'whisk.system';

export function splitAuth(auth: string): { uuid: string; key: string } {
  const colon = auth.indexOf(':');
  if (colon <= 0) throw new Error('credentials must have the form uuid:key');
  return { uuid: auth.slice(0, colon), key: auth.slice(colon + 1) };
}

export class SubjectStore {
  private readonly byAuth = new Map<string, Identity>();

  private constructor(private readonly db: nano.DocumentScope<Record<string, unknown>>) {}

  static async open(db: nano.DocumentScope<Record<string, unknown>>, seed: { namespace: string; auth: string }[]): Promise<SubjectStore> {
    const store = new SubjectStore(db);
    for (const doc of await readAllDocs(db)) store.remember(doc);
    for (const { namespace, auth } of seed) {
      if (!store.byAuth.has(auth) && !store.findNamespace(namespace)) await store.create(namespace, auth);
    }
    return store;
  }

  /** The identity for `uuid:key`, or undefined when the credentials are unknown. */
  authenticate(auth: string): Identity | undefined {
    return this.byAuth.get(auth);
  }

  findNamespace(namespace: string): Identity | undefined {
    for (const identity of this.byAuth.values()) if (identity.namespace === namespace) return identity;
    return undefined;
  }

  namespaces(): string[] {
    return [...new Set([...this.byAuth.values()].map((identity) => identity.namespace))];
  }

  async create(namespace: string, auth: string): Promise<Identity> {
    const { uuid, key } = splitAuth(auth);
    const doc = { _id: namespace, subject: namespace, namespaces: [{ name: namespace, uuid, key }] };
    try {
      await this.db.insert(doc);
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw storeError(error, `creating subject ${namespace}`, namespace);
    }
    const identity = { subject: namespace, namespace, uuid, key };
    this.byAuth.set(auth, identity);
    return identity;
  }

  private remember(doc: Record<string, unknown>): void {
    const subject = typeof doc.subject === 'string' ? doc.subject : String(doc._id);
    const namespaces = Array.isArray(doc.namespaces) ? (doc.namespaces as { name: string; uuid: string; key: string }[]) : [];
    for (const entry of namespaces) {
      this.byAuth.set(`${entry.uuid}:${entry.key}`, { subject, namespace: entry.name, uuid: entry.uuid, key: entry.key });
    }
  }
}
