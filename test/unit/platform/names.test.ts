import { checkEntityName, isValidEntityName, parseQualifiedName } from '../../../lib/platform/names';

describe('entity names (EntityName.REGEX of the controller)', () => {
  test.each([
    ['hello', true], ['a', true], ['_', true], ['my-action', true], ['my action', true], ['v1.2', true], ['me@example.com', true],
    ['-leading-dash', false], ['trailing space ', false], ['bad!char', false], ['', false], ['a/b', false], ['x'.repeat(256), true], ['x'.repeat(257), false],
  ])('%j valid: %s', (name, valid) => {
    expect(isValidEntityName(name)).toBe(valid);
  });

  test('checkEntityName throws 400s with the controller texts', () => {
    expect(() => checkEntityName('bad!')).toThrow('The name of the entity contains illegal characters.');
    expect(() => checkEntityName('bad!', 'namespace')).toThrow('The namespace contains illegal characters.');
    try {
      checkEntityName('bad!');
    } catch (error) {
      expect((error as { status: number }).status).toBe(400);
    }
  });
});

describe('parseQualifiedName', () => {
  test.each([
    ['/guest/hello', { namespace: 'guest', name: 'hello' }],
    ['/guest/pkg/hello', { namespace: 'guest', pkg: 'pkg', name: 'hello' }],
    ['/_/hello', { namespace: 'me', name: 'hello' }],
    ['hello', { namespace: 'me', name: 'hello' }],
    ['pkg/hello', { namespace: 'me', pkg: 'pkg', name: 'hello' }],
    ['/only', undefined],
    ['/a/b/c/d', undefined],
    ['a/b/c', undefined],
    ['bad!/x', undefined],
  ])('%j', (text, expected) => {
    expect(parseQualifiedName(text, 'me')).toEqual(expected);
  });
});
