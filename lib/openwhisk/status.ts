/**
 * The HTTP status of a failed platform call: the `openwhisk` client's errors carry it as
 * `statusCode` (client-js lib/openwhisk_error.js); a connection error has none.
 */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
