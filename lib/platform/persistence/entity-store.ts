/**
 * Actions, packages, triggers and rules: every entity lives in memory (reads never touch CouchDB) and is
 * written through to the `whisks` database before a write is acknowledged, so a restart loses nothing.
 * Large action code is the exception: it is kept on disk (CodeStore) and read when needed, so that a
 * 47 MB action does not pin 47 MB (and more) of the platform's memory.
 * Document ids are the entity paths (`ns/name`, `ns/pkg/name`) as in OpenWhisk, so an action and a
 * trigger cannot share a name; the caller reports that as a conformance error.
 */
import nano from 'nano';
import { ActionEntity, Entity, EntityType, isSequence, isStoredCode } from '../entities';
import { CodeStore, INLINE_CODE_BYTES } from './code-store';
import { forEachDoc, statusCodeOf, storeError } from './couch';

/** Documents read per request at start: a page may hold large actions, whose code moves to disk. */
const START_PAGE_SIZE = 50;

interface StoredEntity { entity: Entity; rev?: string; builtin: boolean }

export class EntityStore {
  private readonly entities = new Map<string, StoredEntity>();
  /** Entity writes are rare; one queue keeps read-modify-write sequences on the same id ordered. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: nano.DocumentScope<Record<string, unknown>>, private readonly codes: CodeStore) {}

  static async open(db: nano.DocumentScope<Record<string, unknown>>, codes: CodeStore): Promise<EntityStore> {
    const store = new EntityStore(db, codes);
    await forEachDoc(db, async (doc) => {
      const { _id, _rev, entityType, ...rest } = doc as { _id: string; _rev: string; entityType: EntityType };
      const entity = await store.keep({ type: entityType, doc: rest } as unknown as Entity);
      store.entities.set(_id, { entity, rev: _rev, builtin: false });
    }, START_PAGE_SIZE);
    return store;
  }

  /** The action with its code in memory, read from disk when it is kept there. */
  async withCode(action: ActionEntity): Promise<ActionEntity> {
    const exec = action.exec;
    if (!isStoredCode(exec)) return action;
    const { codeRef, ...rest } = exec;
    return { ...action, exec: { ...rest, code: await this.codes.read(codeRef) } };
  }

  /** The code of an action kept on disk, read synchronously (a container is starting). */
  readCode(action: ActionEntity): string {
    const exec = action.exec;
    if (isStoredCode(exec)) return this.codes.readSync(exec.codeRef);
    if (isSequence(exec)) throw new Error(`${action.namespace}/${action.name} is a sequence: it has no code`);
    return exec.code;
  }

  /** The entity as held in memory: large code moved to disk, a reference to code on disk counted. */
  private async keep(entity: Entity): Promise<Entity> {
    if (entity.type !== 'action') return entity;
    const exec = entity.doc.exec;
    if (isStoredCode(exec)) { this.codes.acquire(exec.codeRef); return entity; }
    if (isSequence(exec) || Buffer.byteLength(exec.code) <= INLINE_CODE_BYTES) return entity;
    const { code, ...rest } = exec;
    return { type: 'action', doc: { ...entity.doc, exec: { ...rest, codeRef: await this.codes.put(code) } } };
  }

  private forget(entity: Entity | undefined): void {
    if (entity?.type === 'action' && isStoredCode(entity.doc.exec)) this.codes.release(entity.doc.exec.codeRef);
  }

  /** The entity as CouchDB stores it: with its code. */
  private async full(entity: Entity): Promise<Entity> {
    return entity.type === 'action' ? { type: 'action', doc: await this.withCode(entity.doc) } : entity;
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
      const full = await this.full(next.entity);
      const doc = { ...full.doc, _id: id, entityType: next.entity.type, ...(current?.rev ? { _rev: current.rev } : {}) };
      let rev: string;
      try {
        rev = (await this.db.insert(doc as Record<string, unknown>)).rev;
      } catch (error) {
        throw storeError(error, `writing ${id}`, id);
      }
      // Kept with its code in memory if the disk refuses it: the write itself has succeeded.
      this.entities.set(id, { entity: await this.keep(next.entity).catch(() => next.entity), rev, builtin: false });
      this.forget(current?.entity);
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
      this.forget(current?.entity);
      return result;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(work, work);
    // Settles with nothing: the queue must not keep the last result (an action with its code) alive.
    this.writeQueue = run.then(() => undefined, () => undefined);
    return run;
  }
}
