/**
 * `whiskflow/changes`: feed action for CouchDB changes, with the parameters of OpenWhisk's cloudant
 * `changes` feed (`dbname`, `host`/`url`, `username`/`password` or `iamApiKey`, `filter`,
 * `query_params`). It only records the registration; following the database is continuous work
 * that an action cannot do, so a provider process does it (lib/deploy/changes-provider.ts, run by
 * `whiskflow local`). On a real OpenWhisk, deploy with `--changes-feed /whisk.system/cloudant/changes`
 * and the platform's own provider does it.
 */
import { createRunStore, storeConfigOfAction } from '../../lib/store/config';
import { toActionError } from '../../lib/runtimes/native/action-error';
import type { JsonObject } from '../../lib/model/json';
import { describeRegistration, registrationId, toRegistration, type ChangesRegistration } from '../../lib/deploy/changes-registration';
import { updateWithRetry } from '../../lib/store/claims';
import { InvalidInputError } from '../../lib/errors';

export async function main(params: JsonObject): Promise<JsonObject> {
  try {
    const { whiskflowStore, lifecycleEvent, ...feedParams } = params;
    const store = createRunStore(storeConfigOfAction(whiskflowStore));
    await store.ensureReady();
    const triggerName = String(feedParams.triggerName ?? '');
    const id = registrationId(triggerName);
    switch (lifecycleEvent) {
      case 'CREATE':
      case 'UPDATE': {
        const registration = toRegistration(feedParams);
        await store.upsert(id, registration);
        return { ok: true, ...describeRegistration(registration) };
      }
      case 'READ': {
        const registration = await store.get<ChangesRegistration>(id);
        if (!registration) return { error: `no changes feed registered for trigger ${triggerName}` };
        return { config: describeRegistration(registration), status: { active: registration.status === 'active' } };
      }
      case 'DELETE':
        await store.remove(id);
        return { ok: true };
      case 'PAUSE':
      case 'UNPAUSE': {
        const status = lifecycleEvent === 'PAUSE' ? 'paused' : 'active';
        await updateWithRetry<ChangesRegistration>(store, id, (current) => ({ ...current, status }));
        return { ok: true, status };
      }
      default:
        throw new InvalidInputError(`unknown lifecycleEvent ${JSON.stringify(lifecycleEvent)}`, { expected: ['CREATE', 'READ', 'UPDATE', 'DELETE', 'PAUSE', 'UNPAUSE'] });
    }
  } catch (error) {
    return toActionError(error);
  }
}
