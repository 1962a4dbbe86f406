/**
 * Actions, packages, triggers and rules: every entity lives in memory (reads never touch CouchDB) and is
 * written through to the `whisks` database before a write is acknowledged, so a restart loses nothing.
 * Document ids are the entity paths (`ns/name`, `ns/pkg/name`) as in OpenWhisk, so an action and a
 * trigger cannot share a name; the caller reports that as a conformance error.
 */
import nano from 'nano';
import { Entity, EntityType } from '../entities';
import { readAllDocs, statusCodeOf, storeError } from './couch';

interface StoredEntity { entity: Entity; rev?: string; builtin: boolean }

export class EntityStore {
  private readonly entities = new Map<string, StoredEntity>();
  /** Entity writes are rare; one queue keeps read-modify-write sequences on the same id ordered. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: nano.DocumentScope<Record<string, unknown>>) {}

  static async open(db: nano.DocumentScope<Record<string, unknown>>): Promise<EntityStore> {
    const store = new EntityStore(db);
    for (const doc of await readAllDocs(db)) {
      const { _id, _rev, entityType, ...rest } = doc as { _id: string; _rev: string; entityType: EntityType };
      store.entities.set(_id, { entity: { type: entityType, doc: rest } as unknown as Entity, rev: _rev, builtin: false });
    }
    return store;
  }

  get(id: string): Entity | undefined {
    return this.entities.get(id)?.entity;
  }

  /** Entities of one type whose id starts with `prefix` (a namespace followed by `/`). */
  list(type: EntityType, prefix: string): Entity[] {
    const result: Entity[] = [];
    for (const [id, stored] of this.entities) {
      if (stored.entity.type === type && id.startsWith(prefix)) result.push(stored.entity);
    }
    return result;
  }

  all(type: EntityType): Entity[] {
    return [...this.entities.values()].filter((stored) => stored.entity.type === type).map((stored) => stored.entity);
  }

  /** Built-in entities (e.g. `/whisk.system/alarms`) are recreated at every start and never persisted. */
  putBuiltin(id: string, entity: Entity): void {
    this.entities.set(id, { entity, builtin: true });
  }

  isBuiltin(id: string): boolean {
    return this.entities.get(id)?.builtin === true;
  }

  /**
   * Runs `change` exclusively: it reads the current entity and returns the new one (or undefined to
   * write nothing). The memory copy changes only after CouchDB accepted the write.
   */
  update<T>(id: string, change: (current: Entity | undefined) => { entity: Entity; result: T } | { entity?: undefined; result: T }): Promise<T> {
    return this.exclusive(async () => {
      const current = this.entities.get(id);
      const next = change(current?.entity);
      if (!next.entity) return next.result;
      const doc = { ...next.entity.doc, _id: id, entityType: next.entity.type, ...(current?.rev ? { _rev: current.rev } : {}) };
      try {
        const response = await this.db.insert(doc as Record<string, unknown>);
        this.entities.set(id, { entity: next.entity, rev: response.rev, builtin: false });
      } catch (error) {
        throw storeError(error, `writing ${id}`, id);
      }
      return next.result;
    });
  }

  /** Deletes `id` if `check` (run exclusively on the current entity) allows it. */
  remove<T>(id: string, check: (current: Entity | undefined) => T): Promise<T> {
    return this.exclusive(async () => {
      const current = this.entities.get(id);
      const result = check(current?.entity);
      if (current?.rev) {
        try {
          await this.db.destroy(id, current.rev);
        } catch (error) {
          if (statusCodeOf(error) !== 404) throw storeError(error, `deleting ${id}`, id);
        }
      }
      this.entities.delete(id);
      return result;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(work, work);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }
}
