import { buildAction, buildPackage, buildRule, nextVersion, isTruthy, isBinaryCode } from '../../../lib/platform/entities';
import { LOCAL_LIMITS, STOCK_LIMITS } from '../../../lib/platform/limits';

const options = { now: 1000, limits: LOCAL_LIMITS, requireApiKeyAnnotation: false };
const where = { namespace: 'guest', name: 'hello' };
const code = 'function main() { return {}; }';

describe('buildAction', () => {
  test('a new action gets version 0.0.1, default limits and the exec annotation', () => {
    const action = buildAction({ exec: { kind: 'nodejs:20', code } }, where, undefined, options);
    expect(action).toMatchObject({ namespace: 'guest', name: 'hello', version: '0.0.1', publish: false, parameters: [], updated: 1000 });
    expect(action.limits).toEqual({ timeout: 60000, memory: 256, logs: 10, concurrency: 1 });
    expect(action.annotations).toEqual([{ key: 'exec', value: 'nodejs:20' }]);
    expect(action.exec).toEqual({ kind: 'nodejs:20', code, binary: false });
  });

  test('an action in a package has namespace ns/pkg', () => {
    expect(buildAction({ exec: { kind: 'nodejs:20', code } }, { ...where, pkg: 'tools' }, undefined, options).namespace).toBe('guest/tools');
  });

  test('an update bumps the patch version and keeps fields the body leaves out', () => {
    const first = buildAction({ exec: { kind: 'nodejs:20', code }, parameters: [{ key: 'a', value: 1 }], limits: { timeout: 5000 } }, where, undefined, options);
    const second = buildAction({ limits: { memory: 512 } }, where, first, { ...options, now: 2000 });
    expect(second.version).toBe('0.0.2');
    expect(second.exec).toEqual(first.exec);
    expect(second.parameters).toEqual([{ key: 'a', value: 1 }]);
    expect(second.limits).toEqual({ timeout: 5000, memory: 512, logs: 10, concurrency: 1 });
    expect(second.updated).toBe(2000);
  });

  test.each([
    [{ timeout: 99 }, 'duration 99 milliseconds below allowed threshold of 100 milliseconds'],
    [{ timeout: 300001 }, 'duration 300001 milliseconds exceeds allowed threshold of 300000 milliseconds'],
    [{ memory: 127 }, 'memory 127 MB below allowed threshold of 128 MB'],
    [{ logs: 11 }, 'log size 11 MB exceeds allowed threshold of 10 MB'],
    [{ timeout: 'soon' }, 'limits.timeout must be an integer'],
  ])('limits %j are rejected: %s', (limits, message) => {
    expect(() => buildAction({ exec: { kind: 'nodejs:20', code }, limits }, where, undefined, options)).toThrow(message);
  });

  test('concurrency above 1 is allowed locally but not with the stock limits', () => {
    expect(buildAction({ exec: { kind: 'nodejs:20', code }, limits: { concurrency: 10 } }, where, undefined, options).limits.concurrency).toBe(10);
    expect(() => buildAction({ exec: { kind: 'nodejs:20', code }, limits: { concurrency: 10 } }, where, undefined, { ...options, limits: STOCK_LIMITS }))
      .toThrow('concurrency 10 exceeds allowed threshold of 1');
  });

  test('sequences need components; unknown kinds and missing exec are 400s', () => {
    expect(buildAction({ exec: { kind: 'sequence', components: ['/guest/a'] } }, where, undefined, options).annotations).toEqual([{ key: 'exec', value: 'sequence' }]);
    expect(() => buildAction({ exec: { kind: 'sequence', components: [] } }, where, undefined, options)).toThrow('No component specified for the sequence.');
    expect(() => buildAction({ exec: { kind: 'python:3', code } }, where, undefined, options)).toThrow("kind 'python:3'");
    expect(() => buildAction({}, where, undefined, options)).toThrow('exec undefined');
  });

  test('with require-api-key-annotation, new actions get provide-api-key: false unless they say otherwise', () => {
    const flagged = { ...options, requireApiKeyAnnotation: true };
    expect(buildAction({ exec: { kind: 'nodejs:20', code } }, where, undefined, flagged).annotations).toContainEqual({ key: 'provide-api-key', value: false });
    const opted = buildAction({ exec: { kind: 'nodejs:20', code }, annotations: [{ key: 'provide-api-key', value: true }] }, where, undefined, flagged);
    expect(opted.annotations).toContainEqual({ key: 'provide-api-key', value: true });
    expect(opted.annotations).not.toContainEqual({ key: 'provide-api-key', value: false });
  });

  test('base64 code is a zip whether or not the client says binary (Exec.isBinaryCode)', () => {
    const zip = Buffer.from('PK\u0003\u0004 not really a zip, but base64 all the same').toString('base64');
    expect(buildAction({ exec: { kind: 'nodejs:20', code: zip } }, where, undefined, options).exec).toMatchObject({ binary: true });
    expect(buildAction({ exec: { kind: 'nodejs:20', code } }, where, undefined, options).exec).toMatchObject({ binary: false });
    expect(isBinaryCode('abc')).toBe(false);
    expect(isBinaryCode('')).toBe(false);
    expect(isBinaryCode('YWJj')).toBe(true);
    expect(isBinaryCode(' YWI= ')).toBe(true);
  });

  test.each([['1', '1.0.0'], ['1.0', '1.0.0'], ['2.3.4', '2.3.4']])('version %s is stored as %s, as OpenWhisk parses SemVer', (given, stored) => {
    expect(buildPackage({ version: given }, where, undefined, options).version).toBe(stored);
  });

  test('a version that is not numbers is refused', () => {
    expect(() => buildPackage({ version: '1.x' }, where, undefined, options)).toThrow('version must be a semantic version');
  });

  test('parameters over the payload limit are 413', () => {
    const big = [{ key: 'blob', value: 'x'.repeat(LOCAL_LIMITS.payloadBytes) }];
    try {
      buildAction({ exec: { kind: 'nodejs:20', code }, parameters: big }, where, undefined, options);
      throw new Error('expected a 413');
    } catch (error) {
      expect((error as { status: number }).status).toBe(413);
      expect((error as Error).message).toMatch(/^parameters larger than allowed: \d+ > 1048576 bytes\.$/);
    }
  });
});

describe('buildPackage and buildRule', () => {
  test('a package cannot become a binding', () => {
    const pkg = buildPackage({}, where, undefined, options);
    expect(pkg.binding).toBeUndefined();
    expect(() => buildPackage({ binding: { namespace: 'guest', name: 'other' } }, where, pkg, options))
      .toThrow('Resource is a package and cannot be converted into a binding.');
  });

  test('a rule is active by default and refers to its trigger and action by path and name', () => {
    const rule = buildRule({}, where, undefined, { trigger: { namespace: 'guest', name: 't' }, action: { namespace: 'guest', pkg: 'p', name: 'a' } }, options);
    expect(rule).toMatchObject({ status: 'active', trigger: { path: 'guest', name: 't' }, action: { path: 'guest/p', name: 'a' } });
    expect(() => buildRule({ status: 'paused' }, where, undefined, { trigger: { namespace: 'guest', name: 't' }, action: { namespace: 'guest', name: 'a' } }, options))
      .toThrow("status must be 'active' or 'inactive'");
  });

  test('the empty status the Go client sends is ignored, as OpenWhisk ignores status in a rule PUT', () => {
    const references = { trigger: { namespace: 'guest', name: 't' }, action: { namespace: 'guest', name: 'a' } };
    expect(buildRule({ status: '' }, where, undefined, references, options).status).toBe('active');
  });
});

test('versions and truthiness', () => {
  expect(nextVersion('0.0.9')).toBe('0.0.10');
  expect(nextVersion('1.2.3')).toBe('1.2.4');
  expect([true, 1, 'yes', {}].every(isTruthy)).toBe(true);
  expect([false, 0, '', null, undefined].some(isTruthy)).toBe(false);
});
