import { immutableParameters, overridesProtected, readWebBody, webActionArgument, WebRequestError } from '../../../../lib/platform/web/request-params';
import { isBinaryMediaType, parseMediaType } from '../../../../lib/platform/web/media-type';

const context = { method: 'POST', headers: { host: 'h' }, path: '/a/b', query: 'x=1&y=2&x=3' };

describe('readWebBody', () => {
  test('JSON and form data are values unless raw; text stays text; binary and raw JSON are base64', () => {
    expect(readWebBody('application/json', Buffer.from('{"a":1}'), false)).toEqual({ kind: 'value', value: { a: 1 } });
    expect(readWebBody('application/x-www-form-urlencoded', Buffer.from('a=1&b=%20'), false)).toEqual({ kind: 'value', value: { a: '1', b: ' ' } });
    expect(readWebBody('text/plain', Buffer.from('hi'), false)).toEqual({ kind: 'value', value: 'hi' });
    expect(readWebBody('application/json', Buffer.from('{"a":1}'), true)).toEqual({ kind: 'value', value: Buffer.from('{"a":1}').toString('base64') });
    expect(readWebBody(undefined, Buffer.from([0, 1]), false)).toEqual({ kind: 'value', value: 'AAE=' });
    expect(readWebBody('application/json', Buffer.alloc(0), false)).toEqual({ kind: 'none' });
  });

  test('malformed JSON is a 400', () => {
    expect(() => readWebBody('application/json', Buffer.from('{'), false)).toThrow(WebRequestError);
  });
});

describe('webActionArgument', () => {
  test('context, then query (last value wins), then body', () => {
    expect(webActionArgument(context, { kind: 'value', value: { y: 'body' } }, 'guest', false)).toEqual({
      __ow_method: 'post', __ow_headers: { host: 'h' }, __ow_path: '/a/b', __ow_user: 'guest', x: '3', y: 'body',
    });
  });

  test('a body that is not an object is __ow_body; raw actions get __ow_query and __ow_body', () => {
    expect(webActionArgument(context, { kind: 'value', value: [1] }, undefined, false)).toMatchObject({ __ow_body: [1], x: '3' });
    expect(webActionArgument(context, { kind: 'none' }, undefined, true)).toEqual({
      __ow_method: 'post', __ow_headers: { host: 'h' }, __ow_path: '/a/b', __ow_query: 'x=1&y=2&x=3', __ow_body: '',
    });
  });
});

describe('protected parameters', () => {
  test('reserved names and final parameters may not be given', () => {
    expect(overridesProtected(context, { kind: 'value', value: { __ow_user: 'x' } }, [])).toEqual(['__ow_user']);
    expect(overridesProtected(context, { kind: 'none' }, immutableParameters(true, { x: 1, z: null }))).toEqual(['x']);
    expect(overridesProtected(context, { kind: 'none' }, immutableParameters(false, { x: 1 }))).toEqual([]);
  });
});

describe('media types', () => {
  test('binary as Pekko decides: registered text types are text, unknown ones binary unless they name a charset', () => {
    const binary = (type: string) => isBinaryMediaType(parseMediaType(type)!);
    expect(binary('text/plain')).toBe(false);
    expect(binary('application/json')).toBe(false);
    expect(binary('application/vnd.api+json')).toBe(false);
    expect(binary('image/svg+xml')).toBe(false);
    expect(binary('image/png')).toBe(true);
    expect(binary('application/octet-stream')).toBe(true);
    expect(binary('application/x-custom')).toBe(true);
    expect(binary('application/x-custom; charset=utf-8')).toBe(false);
    expect(parseMediaType('nonsense')).toBeUndefined();
  });
});
