/**
 * Request bodies read with a bound, and requests refused without reading theirs. A body is read only
 * once the request is admitted (credentials, content type, declared length), so that an unwanted
 * upload costs the platform no memory: a declared length over the bound is refused before any byte is
 * read, a body that grows past it (chunked) is cut off at once, and what a refused client still sends
 * is discarded, up to a cap, before its connection is closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PlatformApiError, tooLarge } from '../api-error';

/**
 * What a refused request may still send before its connection is cut: a small body finishes, so the
 * connection stays usable for the next request; a large upload is stopped after this much.
 */
export const DRAIN_CAP_BYTES = 1024 * 1024;

/** The declared `Content-Length`, or undefined (chunked, or no body). */
export function declaredLength(incoming: IncomingMessage): number | undefined {
  const header = incoming.headers['content-length'];
  if (header === undefined) return undefined;
  const value = Number(header);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** True when the request announces a body: a non-zero length, or a chunked one. */
export function announcesBody(incoming: IncomingMessage): boolean {
  const length = declaredLength(incoming);
  return length === undefined ? incoming.headers['transfer-encoding'] !== undefined : length > 0;
}

/** 413 before reading when the declared length is over `limit`. */
export function checkDeclaredLength(incoming: IncomingMessage, limit: number): void {
  const length = declaredLength(incoming);
  if (length !== undefined && length > limit) throw tooLarge('Request', length, limit);
}

/**
 * The content type check of the controller's JSON unmarshalling (415 with pekko-http's text, in the
 * `{ error, code }` body). A request without `Content-Type` is read as JSON, as pekko-http does.
 */
export function checkJsonContentType(incoming: IncomingMessage): void {
  const header = incoming.headers['content-type'];
  if (header === undefined || header.trim() === '') return;
  const mediaType = header.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/json') return;
  throw new PlatformApiError(415, 'INVALID_INPUT', `The request's Content-Type [${header.trim()}] is not supported. Expected:\napplication/json`, { contentType: header });
}

/**
 * Reads the whole body, refusing (413) as soon as it passes `limit` bytes; the rest is then discarded.
 * Sends `100 Continue` first when the client waits for it (the server only asks for bodies it reads).
 */
export function readBody(incoming: IncomingMessage, response: ServerResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // With a declared length the body is copied into one buffer as it arrives: no list of chunks and
    // no concatenation, so that a 47 MB upload costs 47 MB and not twice that.
    const declared = declaredLength(incoming);
    const whole = declared !== undefined && declared <= limit ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanUp = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length <= limit) {
        if (whole && size + chunk.length <= whole.length) chunk.copy(whole, size); else chunks.push(chunk);
        size += chunk.length;
        return;
      }
      size += chunk.length;
      cleanUp();
      chunks.length = 0;
      discardBody(incoming, response);
      reject(tooLarge('Request', size, limit));
    };
    const onEnd = () => {
      cleanUp();
      if (whole) resolve(whole.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => { cleanUp(); reject(error); };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    if (/^100-continue$/i.test(incoming.headers.expect ?? '')) response.writeContinue();
  });
}

/**
 * Lets a refused request's body go without keeping it: bytes are dropped as they arrive; past
 * DRAIN_CAP_BYTES the connection is closed once the answer has gone out. Call before answering.
 */
export function discardBody(incoming: IncomingMessage, response: ServerResponse): void {
  if (incoming.complete) return;
  let drained = 0;
  const cut = () => incoming.socket?.destroy();
  incoming.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained <= DRAIN_CAP_BYTES) return;
    incoming.pause();
    if (response.writableFinished) cut(); else response.once('finish', cut);
  });
  incoming.on('error', () => undefined);
  incoming.resume();
}
