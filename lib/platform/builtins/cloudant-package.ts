/**
 * The built-in `/whisk.system/cloudant` package with its feed action `changes`, served in-process by
 * the changes feed provider (lib/platform/cloudant) instead of a container, like the alarms package:
 * `wsk trigger create t --feed /whisk.system/cloudant/changes -p dbname orders -p host ...` follows
 * that database and fires `t` once per change. Registrations are kept in the subjects database, so
 * a restarted platform goes on from the last change it fired.
 */
import nano from 'nano';
import { ensureError } from '../../errors';
import { ChangesFeedProvider, type ChangesRegistration } from '../cloudant';
import { ActionEntity, PackageEntity } from '../entities';
import { LOCAL_LIMITS } from '../limits';
import { parseQualifiedName } from '../names';
import { FeedPackageDeps } from './feed-package-deps';
import { statusCodeOf } from '../persistence/couch';
import { SYSTEM_NAMESPACE } from '../persistence/subject-store';
import { fireTrigger } from '../trigger-fire';

export const CLOUDANT_PACKAGE = 'cloudant';
/** Where the registrations are kept across restarts: next to the alarms, in the subjects database. */
const REGISTRATIONS_DOC_ID = 'feeds:cloudant-changes';

export interface CloudantPackageDeps extends FeedPackageDeps {
  /** Long-poll timeout of one `_changes` request. @default 10000 */
  longPollMs?: number;
}

export interface CloudantPackage {
  provider: ChangesFeedProvider;
  /** Stops following the databases and saves where each feed is. */
  stop(): Promise<void>;
}

export async function installCloudantPackage(deps: CloudantPackageDeps): Promise<CloudantPackage> {
  const now = Date.now();
  const pkg: PackageEntity = {
    namespace: SYSTEM_NAMESPACE, name: CLOUDANT_PACKAGE, version: '0.0.1', publish: true, updated: now,
    annotations: [
      { key: 'description', value: 'Cloudant and CouchDB database changes' },
      { key: 'parameters', value: ['dbname', 'host', 'username', 'password'].map((name) => ({ name, required: false })) },
    ],
    parameters: [],
  };
  deps.entities.putBuiltin(`${SYSTEM_NAMESPACE}/${CLOUDANT_PACKAGE}`, { type: 'package', doc: pkg });

  let rev: string | undefined;
  let saving = Promise.resolve();
  let dirty = false;
  const save = (): Promise<void> => {
    if (dirty) return saving;
    dirty = true;
    saving = saving.then(async () => {
      dirty = false;
      try {
        const response = await deps.subjectsDb.insert({ _id: REGISTRATIONS_DOC_ID, ...(rev ? { _rev: rev } : {}), registrations: provider.list() as unknown as Record<string, unknown>[] });
        rev = response.rev;
      } catch (error) {
        deps.log(`saving the changes feeds failed: ${ensureError(error).message}`);
      }
    });
    return saving;
  };
  const provider = new ChangesFeedProvider({
    fireTrigger: async (triggerFqn, authKey, payload) => {
      const caller = deps.subjects.authenticate(authKey);
      if (!caller) throw new Error(`the credentials of the changes feed on ${triggerFqn} are no longer valid`);
      const trigger = parseQualifiedName(triggerFqn.startsWith('/') ? triggerFqn : `/${triggerFqn}`, caller.namespace);
      if (!trigger || trigger.pkg) throw new Error(`'${triggerFqn}' is not a trigger name`);
      fireTrigger(deps.fire, caller, trigger, payload);
    },
    changed: () => void save(),
    log: deps.log,
    ...(deps.longPollMs ? { longPollMs: deps.longPollMs } : {}),
  });
  const saved = await loadRegistrations(deps.subjectsDb);
  rev = saved.rev;
  for (const registration of saved.registrations) provider.restore(registration);

  const action: ActionEntity = {
    namespace: `${SYSTEM_NAMESPACE}/${CLOUDANT_PACKAGE}`, name: 'changes', version: '0.0.1', publish: false, updated: now,
    annotations: [
      { key: 'feed', value: true },
      { key: 'description', value: 'Fire trigger when database changes (dbname, host, username, password, filter, query_params, maxTriggers)' },
      { key: 'exec', value: 'nodejs:20' },
    ],
    parameters: [],
    exec: { kind: 'nodejs:20', code: '// served in-process by the whiskflow local platform', binary: false },
    limits: { timeout: LOCAL_LIMITS.action.timeout.std, memory: LOCAL_LIMITS.action.memory.std, logs: LOCAL_LIMITS.action.logs.std, concurrency: 1 },
  };
  deps.entities.putBuiltin(`${SYSTEM_NAMESPACE}/${CLOUDANT_PACKAGE}/changes`, { type: 'action', doc: action });
  deps.builtins.set(`/${SYSTEM_NAMESPACE}/${CLOUDANT_PACKAGE}/changes`, async (params, caller) => {
    // wsk names the trigger `/_/name`, the npm client `/namespace/name`: one key for both.
    const trigger = typeof params.triggerName === 'string' ? parseQualifiedName(params.triggerName, caller.namespace) : undefined;
    const triggerName = trigger && !trigger.pkg ? `/${trigger.namespace}/${trigger.name}` : params.triggerName;
    const result = await provider.handle({ ...params, triggerName });
    await save();
    return result;
  });
  return {
    provider,
    stop: async () => {
      await provider.stop();
      await save();
    },
  };
}

async function loadRegistrations(db: nano.DocumentScope<Record<string, unknown>>): Promise<{ rev?: string; registrations: ChangesRegistration[] }> {
  try {
    const doc = await db.get(REGISTRATIONS_DOC_ID);
    return { rev: doc._rev, registrations: Array.isArray(doc.registrations) ? (doc.registrations as ChangesRegistration[]) : [] };
  } catch (error) {
    if (statusCodeOf(error) === 404) return { registrations: [] };
    throw error;
  }
}
