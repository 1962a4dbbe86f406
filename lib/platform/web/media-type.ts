/**
 * Media types as the controller's HTTP library (Pekko HTTP) classifies them: whether a body of that
 * type is binary (so it travels base64 encoded in `__ow_body` and in a `.http` response body) or text.
 * Registered text types are text; an unregistered type is binary unless it names a charset.
 */

export interface MediaType {
  /** `main/sub`, lower case, without parameters. */
  value: string;
  main: string;
  sub: string;
  charset?: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/** Parses a `content-type` value; undefined when it is not `type/subtype[; params]`. */
export function parseMediaType(header: string): MediaType | undefined {
  const [typePart, ...params] = header.split(';');
  const [main, sub, extra] = (typePart ?? '').trim().toLowerCase().split('/');
  if (!main || !sub || extra !== undefined || !TOKEN.test(main) || !TOKEN.test(sub)) return undefined;
  let charset: string | undefined;
  for (const param of params) {
    const [name, value] = param.split('=');
    if (name?.trim().toLowerCase() === 'charset' && value) charset = value.trim().replace(/^"|"$/g, '');
  }
  return { value: `${main}/${sub}`, main, sub, ...(charset ? { charset } : {}) };
}

/** Registered non-text types Pekko still treats as text (open or fixed charset). */
const TEXT_APPLICATION_TYPES = new Set([
  'application/json', 'application/javascript', 'application/xml', 'application/xhtml+xml',
  'application/x-www-form-urlencoded', 'application/rss+xml', 'application/atom+xml', 'application/soap+xml',
  'application/x-javascript', 'application/ecmascript', 'application/xml-dtd', 'application/graphql',
  'image/svg+xml', 'message/http',
]);

export function isJsonFamily(type: MediaType): boolean {
  return type.value === 'application/json' || type.sub.endsWith('+json');
}

export function isBinaryMediaType(type: MediaType): boolean {
  if (type.main === 'text' || type.main === 'multipart') return false;
  if (TEXT_APPLICATION_TYPES.has(type.value) || isJsonFamily(type) || type.sub.endsWith('+xml')) return false;
  if (['image', 'audio', 'video', 'font'].includes(type.main)) return true;
  return type.charset === undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (Java's decoder): the alphabet, padding only at the end, length a multiple of 4. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
