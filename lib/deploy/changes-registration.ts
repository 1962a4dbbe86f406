/**
 * Registrations of the CouchDB changes feed (`whiskflow/changes`), kept in the run store as
 * `feed/changes/<trigger>` documents. The feed action writes them on the lifecycle events OpenWhisk
 * sends (CREATE, READ, UPDATE, DELETE, PAUSE, UNPAUSE; see apache/openwhisk docs/feeds.md); a
 * long-running provider (`ChangesProvider`) follows each registered database and fires the trigger.
 * Parameters are those of OpenWhisk's cloudant `changes` feed.
 */
import { InvalidInputError } from '../errors';
import type { JsonObject } from '../model/json';

export interface ChangesRegistration {
  type: 'changes-feed';
  /** `/namespace/name` of the trigger to fire. */
  triggerName: string;
  /** `uuid:key` the provider fires with (OpenWhisk hands it to feeds for exactly this). */
  authKey: string;
  dbname: string;
  /** Base URL of the followed CouchDB/Cloudant, without credentials. */
  url: string;
  username?: string;
  password?: string;
  iamApiKey?: string;
  filter?: string;
  query_params?: JsonObject;
  status: 'active' | 'paused';
  /** Last sequence fired, so that a restarted provider resumes instead of refiring. */
  since?: string;
}

export const registrationId = (triggerName: string) => `feed/changes/${triggerName.replace(/^\//, '')}`;
export const REGISTRATIONS_PREFIX = 'feed/changes/';

export function toRegistration(params: Record<string, unknown>): ChangesRegistration {
  const text = (key: string): string | undefined => (typeof params[key] === 'string' && params[key] !== '' ? (params[key] as string) : undefined);
  const triggerName = text('triggerName');
  const authKey = text('authKey');
  const dbname = text('dbname');
  const rawUrl = text('url') ?? (text('host') ? `https://${text('host')}` : undefined);
  if (!triggerName || !authKey) throw new InvalidInputError('feed needs triggerName and authKey (OpenWhisk passes them)', {});
  if (!dbname) throw new InvalidInputError("changes feed needs 'dbname'", {});
  if (!rawUrl) throw new InvalidInputError("changes feed needs 'url' or 'host'", {});
  const parsed = new URL(rawUrl);
  // Credentials embedded in the URL become username/password, so that the URL itself can be shown.
  const username = text('username') ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined);
  const password = text('password') ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined);
  parsed.username = '';
  parsed.password = '';
  const iamApiKey = text('iamApiKey');
  const filter = text('filter');
  const queryParams = params.query_params;
  return {
    type: 'changes-feed', triggerName, authKey, dbname, url: parsed.toString().replace(/\/$/, ''), status: 'active',
    ...(username ? { username } : {}), ...(password ? { password } : {}), ...(iamApiKey ? { iamApiKey } : {}),
    ...(filter ? { filter } : {}),
    ...(typeof queryParams === 'object' && queryParams !== null ? { query_params: queryParams as JsonObject } : {}),
  };
}

/** What READ returns: the settings without secrets. */
export function describeRegistration(registration: ChangesRegistration): JsonObject {
  const { authKey: _key, password: _password, iamApiKey: _apikey, since: _since, type: _type, ...visible } = registration;
  return { ...visible } as unknown as JsonObject;
}
