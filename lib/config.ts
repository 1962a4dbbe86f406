/**
 * whiskflow's settings, read from the environment (optionally from a `.env` file through dotenv).
 * Every setting is documented in `.env.example` and docs/deploy.md. The CLI's connection settings
 * (flags, wsk properties file) are resolved in lib/cli/settings.ts. Secrets are only ever printed through `redact()`.
 */
import * as dotenv from 'dotenv';

export interface WhiskflowConfig {
  /** OpenWhisk API host of the platform whiskflow talks to (`__OW_API_HOST` inside actions). */
  apihost?: string;
  /** `uuid:key` credentials for that platform. */
  auth?: string;
  namespace?: string;
  /** Set to use a real CouchDB instead of the embedded pouchdb-server. */
  couchdbUrl?: string;
  /** Port of the local platform's API (`whiskflow local`). */
  localPort: number;
  /** Port of the embedded CouchDB; 0 picks a free one. */
  localCouchPort: number;
  /** Where the local platform keeps its data. */
  localDataDir: string;
  logLevel: string;
}

export interface LoadConfigOptions {
  /** Path of the dotenv file; defaults to `.env` in the working directory. */
  envFile?: string;
  /** Environment to read (tests pass their own); defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads the configuration. Values already in the environment win over the dotenv file, as dotenv does,
 * so that `FOO=1 whiskflow ...` overrides the file.
 */
export function loadConfig(options: LoadConfigOptions = {}): WhiskflowConfig {
  const env = options.env ?? process.env;
  if (!options.env) dotenv.config({ path: options.envFile, quiet: true });
  return {
    // WHISK_APIHOST/WHISK_AUTH: deprecated names older docs gave (lib/cli/settings.ts warns about them).
    apihost: nonEmpty(env.WHISKFLOW_APIHOST ?? env.WHISK_APIHOST ?? env.__OW_API_HOST),
    auth: nonEmpty(env.WHISKFLOW_AUTH ?? env.WHISK_AUTH ?? env.__OW_API_KEY),
    namespace: nonEmpty(env.WHISKFLOW_NAMESPACE ?? env.__OW_NAMESPACE),
    couchdbUrl: nonEmpty(env.COUCHDB_URL),
    localPort: integer(env.WHISKFLOW_LOCAL_PORT, 3233, 'WHISKFLOW_LOCAL_PORT'),
    localCouchPort: integer(env.WHISKFLOW_LOCAL_COUCH_PORT, 5984, 'WHISKFLOW_LOCAL_COUCH_PORT'),
    localDataDir: nonEmpty(env.WHISKFLOW_DATA_DIR) ?? '.whiskflow',
    logLevel: nonEmpty(env.WHISKFLOW_LOG_LEVEL) ?? 'info',
  };
}

const SECRET_KEY = /(auth|key|password|secret|token|credential)/i;

/**
 * Hides secrets for logs: the key half of `uuid:key`, passwords in URLs, and values of settings whose
 * name says they are secret. Keeps enough (first 4 characters of a uuid) to tell credentials apart.
 */
export function redact(value: unknown, name?: string): unknown {
  if (typeof value === 'string') {
    if (name && SECRET_KEY.test(name)) return redactSecret(value);
    return value.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@');
  }
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = redact(item, key);
    return copy;
  }
  return value;
}

function redactSecret(secret: string): string {
  const colon = secret.indexOf(':');
  if (colon > 0 && !secret.includes('//')) return `${secret.slice(0, Math.min(4, colon))}…:***`;
  return secret.includes('//') ? secret.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@') : '***';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer (got '${value}')`);
  return parsed;
}
