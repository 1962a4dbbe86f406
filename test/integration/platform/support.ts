/**
 * Shared pieces of the platform integration suites: the official client bound to a platform, raw
 * HTTP for status codes and bodies the client hides, and polling for records written behind.
 */
import openwhisk from 'openwhisk';
import type { PlatformOptions } from '../../../lib/platform';
import { LocalPlatform, startLocalPlatform } from '../../helpers/local-platform';
import { until } from '../../helpers/until';

/** The platform of a suite and the official client bound to it. */
export interface SuitePlatform {
  platform: LocalPlatform;
  // The client's typings leave out parts of its API (feeds.get, ...) that the suites use.
  ow: any;
}

/**
 * Starts a platform before the suite's first test (in a beforeAll registered here, so before the
 * suite's own) and stops it after the last. The returned objects stand for the platform and its
 * client from then on: reading them before the hook ran throws.
 */
export function usePlatform(options: PlatformOptions = {}): SuitePlatform {
  let started: SuitePlatform | undefined;
  beforeAll(async () => {
    const platform = await startLocalPlatform(options);
    started = { platform, ow: clientFor(platform) };
  });
  afterAll(async () => {
    await started?.platform.stop();
  });
  const current = (): SuitePlatform => {
    if (!started) throw new Error('the suite platform is used before its beforeAll hook ran');
    return started;
  };
  return { platform: deferred(() => current().platform), ow: deferred(() => current().ow as object) };
}

/** An object that forwards every property read to the one `get` returns at that moment. */
function deferred<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get: (_target, key) => {
      const target = get();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

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

/** Waits for an activation record to be readable (records of non-blocking invokes appear when done). */
export function activationOf(ow: openwhisk.Client, activationId: string): Promise<any> {
  return until(`activation ${activationId} is readable`, async () => {
    try {
      return await ow.activations.get({ name: activationId });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }, { retryErrors: true });
}

export function annotation(record: { annotations: { key: string; value: unknown }[] }, key: string): unknown {
  return record.annotations.find((item) => item.key === key)?.value;
}
