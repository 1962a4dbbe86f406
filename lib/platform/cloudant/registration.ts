/**
 * One registration of the `changes` feed of `/whisk.system/cloudant`: which database to follow, with
 * which credentials, and which trigger to fire. The parameters are those of
 * apache/openwhisk-package-cloudant's `changes` feed (`dbname`, `host`, `protocol`, `port`,
 * `username`, `password`, `iamApiKey`, `iamUrl`, `filter`, `query_params`, `maxTriggers`); `url`
 * (a whole base URL, credentials included) is this platform's convenience and wins over `host`.
 */
import { InvalidInputError } from '../../errors';

export interface ChangesRegistration {
  /** `/namespace/name` of the trigger to fire. */
  triggerName: string;
  /** `uuid:key` the trigger is fired as (OpenWhisk hands it to feeds for exactly this). */
  authKey: string;
  dbname: string;
  /** Base URL of the followed CouchDB/Cloudant, without credentials. */
  url: string;
  username?: string;
  password?: string;
  iamApiKey?: string;
  filter?: string;
  query_params?: Record<string, unknown>;
  /** Fires left before the feed stops; absent: unlimited. */
  triggersLeft?: number;
  status: 'active' | 'paused';
  /** Last sequence fired, so that a restarted platform resumes instead of firing again. */
  since?: string;
}

const text = (params: Record<string, unknown>, key: string): string | undefined =>
  (typeof params[key] === 'string' && params[key] !== '' ? (params[key] as string) : undefined);

/** The registration CREATE (or UPDATE, over `current`) asks for; bad or missing settings are named. */
export function toRegistration(params: Record<string, unknown>, current?: ChangesRegistration): ChangesRegistration {
  const merged = current ? { ...describeRegistration(current), password: current.password, iamApiKey: current.iamApiKey, ...params } : params;
  const triggerName = text(merged, 'triggerName');
  const authKey = text(merged, 'authKey') ?? current?.authKey;
  const dbname = text(merged, 'dbname');
  if (!triggerName || !authKey) throw new InvalidInputError('feed needs triggerName and authKey (OpenWhisk passes them)', {});
  if (!dbname) throw new InvalidInputError("changes feed needs 'dbname'", {});
  const parsed = new URL(baseUrl(merged));
  // Credentials in the URL become username/password, so that the URL itself can be shown (READ).
  const username = text(merged, 'username') ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined);
  const password = text(merged, 'password') ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined);
  parsed.username = '';
  parsed.password = '';
  const iamApiKey = text(merged, 'iamApiKey');
  const filter = text(merged, 'filter');
  const queryParams = merged.query_params;
  if (queryParams !== undefined && (typeof queryParams !== 'object' || queryParams === null || Array.isArray(queryParams))) {
    throw new InvalidInputError("changes feed parameter 'query_params' must be an object", { query_params: queryParams });
  }
  const maxTriggers = merged.maxTriggers === undefined ? undefined : Number(merged.maxTriggers);
  if (maxTriggers !== undefined && !(Number.isInteger(maxTriggers) && (maxTriggers > 0 || maxTriggers === -1))) {
    throw new InvalidInputError("changes feed parameter 'maxTriggers' must be a positive integer (or -1 for no limit)", { maxTriggers: merged.maxTriggers });
  }
  return {
    triggerName, authKey, dbname, url: parsed.toString().replace(/\/$/, ''), status: current?.status ?? 'active',
    ...(username ? { username } : {}), ...(password ? { password } : {}), ...(iamApiKey ? { iamApiKey } : {}),
    ...(filter ? { filter } : {}), ...(queryParams ? { query_params: queryParams as Record<string, unknown> } : {}),
    ...(maxTriggers !== undefined && maxTriggers > 0 ? { triggersLeft: maxTriggers } : {}),
    ...(current?.since ? { since: current.since } : {}),
  };
}

/** `url`, or `protocol://host:port` as the cloudant package builds it (https when no protocol). */
function baseUrl(params: Record<string, unknown>): string {
  const url = text(params, 'url');
  const host = text(params, 'host');
  if (!url && !host) throw new InvalidInputError("changes feed needs 'host' (or 'url')", {});
  const raw = url ?? `${text(params, 'protocol') ?? 'https'}://${host}${params.port !== undefined && params.port !== '' ? `:${String(params.port)}` : ''}`;
  try {
    return new URL(raw).toString();
  } catch {
    throw new InvalidInputError(`changes feed: '${raw.replace(/\/\/[^@/]*@/, '//***@')}' is not a valid URL`, {});
  }
}

/** What READ shows: the settings without secrets. */
export function describeRegistration(registration: ChangesRegistration): Record<string, unknown> {
  const { authKey: _key, password: _password, iamApiKey: _apikey, since: _since, triggersLeft, ...visible } = registration;
  return { ...visible, ...(triggersLeft !== undefined ? { maxTriggers: triggersLeft } : {}) };
}
