/**
 * What a web action receives: the HTTP context (`__ow_method`, `__ow_headers`, `__ow_path`, `__ow_user`)
 * plus the query and body as parameters, or, for `raw-http` actions, the unparsed `__ow_query` and
 * `__ow_body`. Mirrors the controller's Context.toActionArgument and its body extraction.
 */
import { Messages } from '../messages';
import { isBinaryMediaType, isJsonFamily, parseMediaType } from './media-type';

export const RESERVED_PROPERTIES = ['__ow_method', '__ow_headers', '__ow_path', '__ow_user', '__ow_query', '__ow_body'];

export interface WebRequestContext {
  /** HTTP method, any case. */
  method: string;
  /** Lower-case header names; `content-type` included, `content-length` left out as Pekko does. */
  headers: Record<string, string>;
  /** The path after the action name and extension (`/a/b`, or ''). */
  path: string;
  /** The query string without `?`. */
  query: string;
}

/** The request entity as the action sees it: nothing, a JSON value, form fields, or an opaque string. */
export type WebBody = { kind: 'none' } | { kind: 'value'; value: unknown };

export class WebRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'WebRequestError';
  }
}

/**
 * Decodes the body by its content type: JSON and form data become values unless the action is raw;
 * anything else is a string, base64 encoded when binary (JSON too, for raw actions, as OpenWhisk does).
 */
export function readWebBody(contentType: string | undefined, bytes: Buffer, raw: boolean): WebBody {
  if (bytes.length === 0) return { kind: 'none' };
  // Pekko takes a body without a content type as application/octet-stream.
  const type = parseMediaType(contentType ?? 'application/octet-stream');
  if (!type) throw new WebRequestError(400, Messages.malformed(`invalid content-type '${contentType ?? ''}'`));
  if (!raw && isJsonFamily(type)) {
    try {
      return { kind: 'value', value: JSON.parse(bytes.toString('utf8')) as unknown };
    } catch (error) {
      throw new WebRequestError(400, Messages.malformed((error as Error).message));
    }
  }
  if (!raw && type.value === 'application/x-www-form-urlencoded') {
    return { kind: 'value', value: Object.fromEntries(new URLSearchParams(bytes.toString('utf8'))) };
  }
  if (isBinaryMediaType(type) || type.value === 'application/json') return { kind: 'value', value: bytes.toString('base64') };
  return { kind: 'value', value: bytes.toString('utf8') };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function queryMap(query: string): Record<string, string> {
  // Last value wins, as Pekko's Query.toMap.
  return Object.fromEntries(new URLSearchParams(query));
}

/**
 * True when query or body parameters would replace a reserved `__ow_` property or a final (immutable)
 * parameter of the action: the controller answers 400 then.
 */
export function overridesProtected(context: WebRequestContext, body: WebBody, protectedNames: Iterable<string>): string[] {
  const names = new Set([...RESERVED_PROPERTIES, ...protectedNames]);
  const given = [...Object.keys(queryMap(context.query)), ...(body.kind === 'value' && isObject(body.value) ? Object.keys(body.value) : [])];
  return [...new Set(given.filter((name) => names.has(name)))];
}

/** The action's argument: context first, then query parameters, then body parameters (last wins). */
export function webActionArgument(context: WebRequestContext, body: WebBody, user: string | undefined, raw: boolean): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    __ow_method: context.method.toLowerCase(),
    __ow_headers: context.headers,
    __ow_path: context.path,
    ...(user === undefined ? {} : { __ow_user: user }),
  };
  if (raw) {
    return { ...metadata, __ow_query: context.query, __ow_body: body.kind === 'value' ? body.value : '' };
  }
  const bodyParams = body.kind === 'none' ? {} : isObject(body.value) ? body.value : { __ow_body: body.value };
  return { ...metadata, ...queryMap(context.query), ...bodyParams };
}

/** The names a final web action fixes: its own and inherited parameters with a defined value. */
export function immutableParameters(final: boolean, merged: Record<string, unknown>): string[] {
  if (!final) return [];
  return Object.entries(merged).filter(([, value]) => value !== undefined && value !== null).map(([key]) => key);
}
