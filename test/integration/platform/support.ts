/**
 * Shared pieces of the platform integration suites: raw HTTP for status codes and bodies the client
 * hides, and activation records written behind. (The suite's platform and its client:
 * test/helpers/local-platform.ts.)
 */
import type openwhisk from 'openwhisk';
import type { LocalPlatform } from '../../helpers/local-platform';
import { until } from '../../helpers/until';

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
