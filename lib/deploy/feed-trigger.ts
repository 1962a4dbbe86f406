/** A trigger with a feed (alarms, CouchDB changes), as `wsk trigger create --feed` makes one. */
import type { JsonObject } from '../model/json';
import type { ManagementClient } from '../openwhisk/client';
import { statusOf } from '../openwhisk/status';
import { retry } from './calls';

export async function recreateFeedTrigger(client: ManagementClient, name: string, feed: string, body: object, params: JsonObject): Promise<void> {
  // A feed keeps state outside the trigger (the alarm, the followed database): delete then create
  // so that an update of its parameters replaces the old registration instead of adding one.
  try {
    await client.feeds.delete({ name: feed, trigger: name });
  } catch (error) {
    if (statusOf(error) === undefined) throw error;
  }
  await retry(`update trigger ${name}`, () => client.triggers.update({ name, trigger: body }));
  try {
    await retry(`create feed ${feed} for ${name}`, () => client.feeds.create({ name: feed, trigger: name, params }));
  } catch (error) {
    // As wsk does: a trigger whose feed could not be created is deleted again.
    await client.triggers.delete({ name }).catch(() => undefined);
    throw error;
  }
}
