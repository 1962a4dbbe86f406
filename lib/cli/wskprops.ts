/**
 * The wsk properties file (`WSK_CONFIG_FILE`, else `~/.wskprops`): `KEY=VALUE` lines, as wsk reads
 * and writes them. wsk keeps keys it does not know when it rewrites the file (`wsk property set`),
 * so whiskflow's COUCHDB_URL can live next to APIHOST and AUTH.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Wskprops {
  APIHOST?: string;
  AUTH?: string;
  NAMESPACE?: string;
  /** whiskflow's own key: the run store of the platform APIHOST names. */
  COUCHDB_URL?: string;
  [key: string]: string | undefined;
}

/** Where wsk looks: `WSK_CONFIG_FILE` when set, else `.wskprops` in the home directory. */
export function wskpropsPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.WSK_CONFIG_FILE?.trim();
  return configured ? configured : join(env.HOME?.trim() || homedir(), '.wskprops');
}

export function parseWskprops(text: string): Wskprops {
  const props: Wskprops = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    props[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
  }
  return props;
}

/** The file's properties, or undefined when there is no file. */
export function readWskprops(path: string): Wskprops | undefined {
  return existsSync(path) ? parseWskprops(readFileSync(path, 'utf8')) : undefined;
}

/** The file's text with `values` set, every other line (wsk's or the user's) kept as it was. */
export function withWskprops(text: string, values: Record<string, string>): string {
  const pending = new Map(Object.entries(values));
  const lines = text.split(/\r?\n/).filter((line, index, all) => !(line === '' && index === all.length - 1)).map((line) => {
    const key = line.includes('=') ? line.slice(0, line.indexOf('=')).trim() : undefined;
    if (key === undefined || !pending.has(key)) return line;
    const value = pending.get(key)!;
    pending.delete(key);
    return `${key}=${value}`;
  });
  for (const [key, value] of pending) lines.push(`${key}=${value}`);
  return `${lines.join('\n')}\n`;
}
