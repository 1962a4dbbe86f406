import { KindCatalog } from '../../../../lib/platform/runtime/kinds';

describe('KindCatalog: the kinds a machine runs, and <family>:default', () => {
  const full = new KindCatalog([
    { family: 'nodejs', version: '20.20.2' },
    { family: 'python', version: '3.11.7' },
    { family: 'java', version: '17.0.15' },
    { family: 'go', version: '1.26.8' },
  ]);

  it('resolves <family>:default to a concrete kind: the host version\'s own when OpenWhisk names it, else the manifest default', () => {
    expect(full.resolve('nodejs:default')).toBe('nodejs:20');
    expect(full.resolve('python:default')).toBe('python:3.11');
    expect(full.resolve('java:default')).toBe('java:8');
    expect(full.resolve('go:default')).toBe('go:1.20');
    expect(new KindCatalog([{ family: 'python', version: '3.13.1' }]).resolve('python:default')).toBe('python:3.13');
    expect(new KindCatalog([{ family: 'go', version: '1.22.5' }]).resolve('go:default')).toBe('go:1.20');
  });

  it('keeps concrete kinds that run, and sequence', () => {
    for (const kind of ['nodejs:20', 'python:3', 'python:3.10', 'python:3.12', 'java:8', 'go:1.22', 'sequence']) expect(full.resolve(kind)).toBe(kind);
  });

  it('never runs another Node.js version in place of the one asked for', () => {
    expect(full.resolve('nodejs:18')).toBeUndefined();
    expect(full.resolve('nodejs:22')).toBeUndefined();
    expect(new KindCatalog([{ family: 'nodejs', version: '22.1.0' }]).resolve('nodejs:default')).toBe('nodejs:22');
    expect(new KindCatalog([{ family: 'nodejs', version: '21.0.0' }]).resolve('nodejs:default')).toBeUndefined();
  });

  it('lists a Python 3 that OpenWhisk does not name yet under its own kind', () => {
    const catalog = new KindCatalog([{ family: 'python', version: '3.13.0' }]);
    expect(catalog.resolve('python:3.13')).toBe('python:3.13');
    expect(new KindCatalog([{ family: 'python', version: '2.7.18' }]).resolve('python:default')).toBeUndefined();
  });

  it('refuses kinds of languages the machine lacks, and names the accepted kinds', () => {
    const nodeOnly = new KindCatalog([{ family: 'nodejs', version: '20.1.0' }]);
    expect(nodeOnly.resolve('python:3')).toBeUndefined();
    expect(nodeOnly.resolve('python:default')).toBeUndefined();
    expect(nodeOnly.resolve('ruby:2.5')).toBeUndefined();
    expect(nodeOnly.acceptedKinds()).toEqual(['nodejs:20', 'nodejs:default', 'sequence']);
    expect(full.resolve('ruby:default')).toBeUndefined();
  });

  it('groups the runnable kinds by family for GET /api/v1, one default each, saying what runs them', () => {
    const listed = full.byFamily();
    expect(Object.keys(listed)).toEqual(['nodejs', 'python', 'java', 'go']);
    for (const kinds of Object.values(listed)) expect(kinds.filter((kind) => kind.default)).toHaveLength(1);
    expect(listed['java']).toEqual([{ kind: 'java:8', family: 'java', default: true, requireMain: true, runsOn: 'java 17.0.15' }]);
    expect(full.familyOf('go:1.21')).toBe('go');
  });
});
