/**
 * The built-in `/whisk.system/alarms` package: feed actions `alarm`, `once` and `interval`, served
 * in-process by the alarms provider (lib/platform/alarms) instead of a container. Their activations are
 * recorded like any other. Alarms fire their triggers through the controller's own trigger-fire code,
 * as the owner of the `authKey` the feed was created with.
 */
import nano from 'nano';
import { ensureError } from '../../errors';
import { createAlarmsProvider, AlarmFeed, AlarmRecord, AlarmsProvider } from '../alarms';
import { ActionEntity, PackageEntity } from '../entities';
import { LOCAL_LIMITS } from '../limits';
import { parseQualifiedName, pathOf } from '../names';
import { FeedPackageDeps } from './feed-package-deps';
import { statusCodeOf } from '../persistence/couch';
import { SYSTEM_NAMESPACE } from '../persistence/subject-store';
import { fireTrigger, rulesOfTrigger, unlinkRulesOf } from '../trigger-fire';

const FEEDS: Record<AlarmFeed, string> = {
  alarm: 'Fire trigger when alarm occurs (cron, trigger_payload, startDate, stopDate, maxTriggers)',
  once: 'Fire trigger once when alarm occurs (date, trigger_payload, deleteAfterFire)',
  interval: 'Fire trigger at specified interval (minutes, trigger_payload, startDate, stopDate)',
};

/** Where registered alarms are kept across restarts: next to the credentials, in the subjects database. */
const ALARMS_DOC_ID = 'feeds:alarms';

export type AlarmsPackageDeps = FeedPackageDeps;

export interface AlarmsPackage {
  provider: AlarmsProvider;
  /** Saves the registered alarms and stops their timers. */
  stop(): Promise<void>;
}

export async function installAlarmsPackage(deps: AlarmsPackageDeps): Promise<AlarmsPackage> {
  const now = Date.now();
  const pkg: PackageEntity = {
    namespace: SYSTEM_NAMESPACE, name: 'alarms', version: '0.0.1', publish: true, updated: now,
    annotations: [{ key: 'description', value: 'Alarms and periodic utility' }, { key: 'parameters', value: [] }],
    parameters: [],
  };
  deps.entities.putBuiltin(`${SYSTEM_NAMESPACE}/alarms`, { type: 'package', doc: pkg });

  const provider = createAlarmsProvider({
    fireTrigger: async (triggerFqn, authKey, payload) => {
      const { caller, trigger } = triggerOwner(deps, triggerFqn, authKey);
      fireTrigger(deps.fire, caller, trigger, payload);
    },
    deleteTrigger: async (triggerFqn, authKey, options) => {
      const { trigger } = triggerOwner(deps, triggerFqn, authKey);
      if (options.withRules) {
        for (const rule of rulesOfTrigger(deps.entities, trigger)) await deps.entities.remove(`${trigger.namespace}/${rule.name}`, () => undefined);
      }
      await deps.entities.remove(pathOf(trigger), () => undefined);
      await unlinkRulesOf(deps.entities, trigger);
    },
    log: deps.log,
  });
  const saved = await loadAlarms(deps.subjectsDb);
  for (const record of saved.records) {
    try {
      provider.restore(record);
    } catch (error) {
      deps.log(`alarm for ${record.triggerName} could not be restored: ${ensureError(error).message}`);
    }
  }
  let rev = saved.rev;
  let saving = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      try {
        const response = await deps.subjectsDb.insert({ _id: ALARMS_DOC_ID, ...(rev ? { _rev: rev } : {}), alarms: provider.list() });
        rev = response.rev;
      } catch (error) {
        deps.log(`saving alarms failed: ${ensureError(error).message}`);
      }
    });
    return saving;
  };

  for (const feed of Object.keys(FEEDS) as AlarmFeed[]) {
    const action: ActionEntity = {
      namespace: `${SYSTEM_NAMESPACE}/alarms`, name: feed, version: '0.0.1', publish: false, updated: now,
      annotations: [{ key: 'feed', value: true }, { key: 'description', value: FEEDS[feed] }, { key: 'exec', value: 'nodejs:20' }],
      parameters: [],
      exec: { kind: 'nodejs:20', code: '// served in-process by the whiskflow local platform', binary: false },
      limits: { timeout: LOCAL_LIMITS.action.timeout.std, memory: LOCAL_LIMITS.action.memory.std, logs: LOCAL_LIMITS.action.logs.std, concurrency: 1 },
    };
    deps.entities.putBuiltin(`${SYSTEM_NAMESPACE}/alarms/${feed}`, { type: 'action', doc: action });
    deps.builtins.set(`/${SYSTEM_NAMESPACE}/alarms/${feed}`, async (params) => {
      const result = await provider.handle(feed, params);
      await save();
      return result;
    });
  }
  return {
    provider,
    stop: async () => {
      provider.stop();
      await save();
    },
  };
}

function triggerOwner(deps: AlarmsPackageDeps, triggerFqn: string, authKey: string) {
  const caller = deps.subjects.authenticate(authKey);
  if (!caller) throw new Error(`the credentials of the alarm on ${triggerFqn} are no longer valid`);
  const trigger = parseQualifiedName(triggerFqn.startsWith('/') ? triggerFqn : `/${triggerFqn}`, caller.namespace);
  if (!trigger || trigger.pkg) throw new Error(`'${triggerFqn}' is not a trigger name`);
  return { caller, trigger };
}

async function loadAlarms(db: nano.DocumentScope<Record<string, unknown>>): Promise<{ rev?: string; records: AlarmRecord[] }> {
  try {
    const doc = await db.get(ALARMS_DOC_ID);
    return { rev: doc._rev, records: Array.isArray(doc.alarms) ? (doc.alarms as AlarmRecord[]) : [] };
  } catch (error) {
    if (statusCodeOf(error) === 404) return { records: [] };
    throw error;
  }
}
