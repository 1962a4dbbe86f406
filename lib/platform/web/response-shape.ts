/**
 * Turns a web action's result into an HTTP response, per the extension of the request: `.http` reads
 * `statusCode`, `headers` and `body` (base64 decoded for binary content types), `.json` `.html` `.svg`
 * `.text` project the result. Mirrors the controller's WhiskWebActionsApi transcoders and messages.
 */
import { isBinaryCode } from '../entities';
import { decodeBase64Strict, isBinaryMediaType, isJsonFamily, parseMediaType } from './media-type';

export const EXTENSIONS = ['.http', '.json', '.html', '.svg', '.text'] as const;
export type WebExtension = (typeof EXTENSIONS)[number];

export const WebMessages = {
  propertyNotFound: 'Response does not include requested property.',
  invalidMedia: (type: string) => `Response is not valid '${type}'.`,
  contentTypeExtensionNotSupported: `Extension must be specified and one of [${EXTENSIONS.join(', ')}].`,
  unsupportedContentType: 'Content type is not supported.',
  responseNotReady: 'Response not yet ready.',
  httpUnknownContentType: 'Response did not specify a known content-type.',
  httpContentTypeError: 'Response type in header did not match generated content type.',
  errorProcessingRequest: 'There was an error processing your request.',
} as const;

export interface WebReply {
  status: number;
  headers: [string, string][];
  body?: Buffer;
}

/** A failure the controller answers with `{ error, code }` JSON. */
export interface WebFailure {
  status: number;
  error: string;
}

export type Shaped = WebReply | WebFailure;

export function isFailure(shaped: Shaped): shaped is WebFailure {
  return 'error' in shaped;
}

/** `hello.json` → `['hello', '.json']`; no known extension means `.http`. */
export function splitExtension(name: string): [string, WebExtension] {
  const extension = EXTENSIONS.find((candidate) => name.endsWith(candidate) && name.length > candidate.length);
  return extension ? [name.slice(0, -extension.length), extension] : [name, '.http'];
}

const fail = (status: number, error: string): WebFailure => ({ status, error });
const ok = (contentType: string, body: string | Buffer, status = 200): WebReply =>
  ({ status, headers: [['content-type', contentType]], body: typeof body === 'string' ? Buffer.from(body) : body });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function projected(result: unknown, ...fields: string[]): unknown {
  if (!isObject(result)) return result;
  for (const field of fields) if (result[field] !== undefined) return result[field];
  return undefined;
}

export function shapeResult(result: unknown, extension: WebExtension): Shaped {
  switch (extension) {
    case '.json':
      return typeof result === 'object' && result !== null ? ok('application/json', JSON.stringify(result)) : fail(400, WebMessages.invalidMedia('application/json'));
    case '.html': {
      const html = projected(result, 'body', 'html');
      return typeof html === 'string' ? ok('text/html; charset=UTF-8', html) : fail(400, WebMessages.invalidMedia('text/html'));
    }
    case '.svg': {
      const svg = projected(result, 'body', 'svg');
      return typeof svg === 'string' ? ok('image/svg+xml', svg) : fail(400, WebMessages.invalidMedia('image/svg+xml'));
    }
    case '.text': {
      const text = projected(result, 'body', 'text');
      if (text === undefined) return fail(404, WebMessages.propertyNotFound);
      const rendered = typeof text === 'string' ? text : typeof text === 'object' && text !== null ? JSON.stringify(text, null, 2) : String(text);
      return ok('text/plain; charset=UTF-8', rendered);
    }
    case '.http':
      return shapeHttp(result);
  }
}

function headerValues(name: string, value: unknown): [string, string][] {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return [[name, String(value)]];
  if (Array.isArray(value)) return value.flatMap((inner) => headerValues(name, inner));
  throw new Error('Invalid header');
}

function statusCodeOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const code = typeof value === 'number' ? value : typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(code) || code < 100 || code > 599) throw new Error('Illegal status code');
  return code;
}

function shapeHttp(result: unknown): Shaped {
  let headers: [string, string][];
  let code: number | undefined;
  try {
    if (!isObject(result)) throw new Error('not an object');
    const declared = result.headers;
    if (declared !== undefined && !isObject(declared)) throw new Error('Invalid header');
    headers = declared ? Object.entries(declared).flatMap(([name, value]) => headerValues(name, value)) : [];
    code = statusCodeOf(result.statusCode);
  } catch {
    return fail(400, WebMessages.invalidMedia('message/http'));
  }
  const body = result.body;
  const contentTypeHeader = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  const others = headers.filter(([name]) => name.toLowerCase() !== 'content-type');
  // An empty body drops any declared content type (it must match the entity, and there is none).
  if (body === undefined || body === null || body === '') return { status: code ?? 204, headers: others };
  const type = parseMediaType(contentTypeHeader ?? (typeof body === 'string' ? 'text/html' : 'application/json'));
  if (!type) return fail(400, WebMessages.httpUnknownContentType);
  if (typeof body !== 'string') {
    if (!isJsonFamily(type)) return fail(400, WebMessages.httpContentTypeError);
    const text = type.value === 'application/json' ? JSON.stringify(body) : JSON.stringify(body, null, 2);
    return { status: code ?? 200, headers: [...others, ['content-type', type.value === 'application/json' ? 'application/json' : `${type.value}; charset=UTF-8`]], body: Buffer.from(text) };
  }
  const contentType = contentTypeHeader ?? 'text/html';
  // A JSON-family body that looks like base64 is decoded: OpenWhisk keeps this for older actions.
  const binary = isBinaryMediaType(type) || (isJsonFamily(type) && isBinaryCode(body));
  if (!binary) return { status: code ?? 200, headers: [...others, ['content-type', withCharset(contentType, type.charset)]], body: Buffer.from(body) };
  const decoded = decodeBase64Strict(body.trim());
  if (!decoded) return fail(400, WebMessages.httpContentTypeError);
  return { status: code ?? 200, headers: [...others, ['content-type', contentType]], body: decoded };
}

/** Text bodies are sent in UTF-8; the content type says so unless the action named a charset. */
function withCharset(contentType: string, charset: string | undefined): string {
  return charset === undefined ? `${contentType}; charset=UTF-8` : contentType;
}
