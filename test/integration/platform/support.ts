/**
 * Shared pieces of the platform integration suites: the official client bound to a platform, raw
 * HTTP for status codes and bodies the client hides, and polling for records written behind.
 */
import openwhisk from 'openwhisk';
import { LocalPlatform } from '../../helpers/local-platform';

export function clientFor(platform: Pick<LocalPlatform, 'apihost' | 'auth'>, auth = platform.auth): openwhisk.Client {
  return openwhisk({ apihost: platform.apihost, api_key: auth });
}

export interface RawResponse { status: number; body: any; text: string }

/** One HTTP request to the API with Basic auth (or the given Authorization header, or none). */
export async function raw(
  platform: Pick<LocalPlatform, 'apihost' | 'auth'>,
  method: string,
  path: string,
  body?: unknown,
  options: { authorization?: string | null; rawBody?: string | Buffer } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization = options.authorization === undefined ? `Basic ${Buffer.from(platform.auth).toString('base64')}` : options.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const response = await fetch(`${platform.apihost}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await response.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: response.status, body: parsed, text };
}

/** Polls `probe` until it returns a value (not undefined) or `attempts` run out. */
export async function eventually<T>(probe: () => Promise<T | undefined>, attempts = 200, pauseMs = 50): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`condition not met after ${attempts} attempts${lastError ? `: ${String(lastError)}` : ''}`);
}

/** Waits for an activation record to be readable (records of non-blocking invokes appear when done). */
export function activationOf(ow: openwhisk.Client, activationId: string): Promise<any> {
  return eventually(async () => {
    try {
      return await ow.activations.get({ name: activationId });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  });
}

export function annotation(record: { annotations: { key: string; value: unknown }[] }, key: string): unknown {
  return record.annotations.find((item) => item.key === key)?.value;
}
