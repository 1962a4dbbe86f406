import { isFailure, shapeResult, splitExtension, Shaped, WebReply } from '../../../../lib/platform/web/response-shape';

function reply(shaped: Shaped): WebReply {
  if (isFailure(shaped)) throw new Error(`expected a reply, got ${shaped.status} ${shaped.error}`);
  return shaped;
}
const header = (shaped: WebReply, name: string) => shaped.headers.find(([key]) => key.toLowerCase() === name)?.[1];

describe('splitExtension', () => {
  test('known extensions are split off; anything else is .http', () => {
    expect(splitExtension('hello.json')).toEqual(['hello', '.json']);
    expect(splitExtension('hello.svg')).toEqual(['hello', '.svg']);
    expect(splitExtension('hello')).toEqual(['hello', '.http']);
    expect(splitExtension('hello.xml')).toEqual(['hello.xml', '.http']);
  });
});

describe('.http', () => {
  test('a string body is text/html unless a content type says otherwise; status and headers pass', () => {
    const html = reply(shapeResult({ statusCode: 201, headers: { 'X-A': ['1', 2, true] }, body: '<p/>' }, '.http'));
    expect(html.status).toBe(201);
    expect(header(html, 'content-type')).toBe('text/html; charset=UTF-8');
    expect(html.headers.filter(([name]) => name === 'X-A').map(([, value]) => value)).toEqual(['1', '2', 'true']);
    expect(html.body?.toString()).toBe('<p/>');
  });

  test('a binary content type decodes base64, and refuses what is not base64', () => {
    const png = reply(shapeResult({ headers: { 'Content-Type': 'image/png' }, body: Buffer.from([1, 2, 255]).toString('base64') }, '.http'));
    expect(png.body).toEqual(Buffer.from([1, 2, 255]));
    expect(shapeResult({ headers: { 'Content-Type': 'image/png' }, body: 'not base64!' }, '.http'))
      .toEqual({ status: 400, error: 'Response type in header did not match generated content type.' });
  });

  test('an object body is JSON; with a non-JSON content type it is refused', () => {
    const json = reply(shapeResult({ statusCode: '202', body: { a: 1 } }, '.http'));
    expect(json.status).toBe(202);
    expect(header(json, 'content-type')).toBe('application/json');
    expect(JSON.parse(json.body!.toString())).toEqual({ a: 1 });
    expect(shapeResult({ headers: { 'content-type': 'text/plain' }, body: { a: 1 } }, '.http'))
      .toEqual({ status: 400, error: 'Response type in header did not match generated content type.' });
  });

  test('an empty body is 204 without a content type', () => {
    expect(shapeResult({ headers: { 'content-type': 'text/plain', 'x-b': 'b' } }, '.http')).toEqual({ status: 204, headers: [['x-b', 'b']] });
    expect(shapeResult({ statusCode: 200, body: '' }, '.http')).toEqual({ status: 200, headers: [] });
  });

  test('bad status codes, headers and non-objects are not valid message/http', () => {
    const invalid = { status: 400, error: "Response is not valid 'message/http'." };
    expect(shapeResult({ statusCode: 'x' }, '.http')).toEqual(invalid);
    expect(shapeResult({ statusCode: 1.5 }, '.http')).toEqual(invalid);
    expect(shapeResult({ headers: { a: { b: 1 } } }, '.http')).toEqual(invalid);
    expect(shapeResult('text', '.http')).toEqual(invalid);
    expect(shapeResult({ headers: { 'content-type': 'nonsense' }, body: 'x' }, '.http'))
      .toEqual({ status: 400, error: 'Response did not specify a known content-type.' });
  });
});

describe('projections', () => {
  test('.json needs an object or array', () => {
    expect(reply(shapeResult([1], '.json')).body?.toString()).toBe('[1]');
    expect(shapeResult('x', '.json')).toEqual({ status: 400, error: "Response is not valid 'application/json'." });
  });

  test('.html and .svg take body, else html/svg, as a string', () => {
    expect(reply(shapeResult({ html: '<p/>' }, '.html')).body?.toString()).toBe('<p/>');
    expect(reply(shapeResult({ body: '<b/>', html: '<p/>' }, '.html')).body?.toString()).toBe('<b/>');
    expect(header(reply(shapeResult({ svg: '<svg/>' }, '.svg')), 'content-type')).toBe('image/svg+xml');
    expect(shapeResult({ html: 1 }, '.html')).toEqual({ status: 400, error: "Response is not valid 'text/html'." });
  });

  test('.text renders body or text of any JSON type; absent is 404', () => {
    expect(reply(shapeResult({ text: 42 }, '.text')).body?.toString()).toBe('42');
    expect(reply(shapeResult({ body: { a: 1 } }, '.text')).body?.toString()).toBe('{\n  "a": 1\n}');
    expect(reply(shapeResult({ text: null }, '.text')).body?.toString()).toBe('null');
    expect(shapeResult({ other: 1 }, '.text')).toEqual({ status: 404, error: 'Response does not include requested property.' });
  });
});
