import { compileWorkflow, stepOf } from '../../../lib/model/compile';
import { parseWorkflow } from '../../../lib/model/parse';

const source = `
name: lowering
stages:
  - { id: first, kind: task, action: a }
  - id: fork
    kind: parallel
    branches:
      - stages:
          - { id: left1, kind: task, action: l }
          - { id: left2, kind: task, action: l, end: true }
          - { id: unreachable, kind: task, action: l }
      - stages:
          - { id: right, kind: map, items: $.xs, action: r, concurrency: 2 }
          - { id: rsum, kind: reduce, action: s }
  - id: route
    kind: choice
    rules: [{ when: { path: $.ok, equals: true }, next: first }]
    default: stop
  - { id: stop, kind: fail, error: Nope, cause: because }
`;

describe('compileWorkflow', () => {
  const compiled = compileWorkflow(parseWorkflow(source));

  it('starts at the first stage of the top-level list', () => {
    expect(compiled.start).toBe('first');
  });

  it.each([
    ['first', 'invoke', 'fork'],
    ['fork', 'fork', 'route'],
    ['left1', 'invoke', 'left2'],
    ['left2', 'invoke', null],
    ['right', 'fan-out', 'rsum'],
    ['rsum', 'invoke', null],
    ['route', 'branch', 'stop'],
    ['stop', 'fail', null],
  ])('lowers %s to a %s step whose next is %s', (id, kind, next) => {
    const step = stepOf(compiled, id);
    expect(step.kind).toBe(kind);
    expect(step.next).toBe(next);
  });

  it('records each branch start and the scope of branch steps', () => {
    const fork = stepOf(compiled, 'fork');
    expect(fork.kind === 'fork' && fork.branchStarts).toEqual(['left1', 'right']);
    expect(stepOf(compiled, 'rsum').scope).toEqual({ kind: 'branch', forkStepId: 'fork', branch: 1 });
    expect(stepOf(compiled, 'first').scope).toEqual({ kind: 'root' });
  });

  it('lowers a reduce into an invoke fed by the join of its map', () => {
    const step = stepOf(compiled, 'rsum');
    expect(step.kind === 'invoke' && step.input).toEqual({ kind: 'join', fromStepId: 'right' });
  });

  it('derives a content version when the author gave none, and keeps the author version otherwise', () => {
    expect(compiled.version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(compileWorkflow(parseWorkflow(source)).version).toBe(compiled.version);
    expect(compileWorkflow(parseWorkflow(source.replace('first, kind: task, action: a', 'first, kind: task, action: b'))).version).not.toBe(compiled.version);
    expect(compileWorkflow(parseWorkflow(`name: v\nversion: "7"\nstages: [{ id: a, kind: task, action: x }]`)).version).toBe('7');
  });

  it('throws a typed error for an unknown step id', () => {
    expect(() => stepOf(compiled, 'ghost')).toThrow(/a step of workflow lowering/);
  });
});
