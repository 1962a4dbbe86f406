import { parseWorkflow } from '../../../lib/model/parse';
import { END_NODE, joinNode, START_NODE, workflowGraph } from '../../../lib/dashboard/model/graph';

const edges = (yaml: string) => workflowGraph(parseWorkflow(yaml)).edges.map((e) => `${e.from}-${e.kind}->${e.to}`);

describe('workflowGraph', () => {
  it('draws stages in order from start to end, with a choice\'s rules and default', () => {
    const graph = workflowGraph(parseWorkflow(`
name: g
stages:
  - { id: parts, kind: map, action: a/sum, items: $.chunks }
  - { id: total, kind: reduce, action: a/all }
  - id: verdict
    kind: choice
    rules: [{ when: { path: $.total, ge: 100 }, next: large }]
    default: small
  - { id: large, kind: task, action: a/label, end: true }
  - { id: small, kind: task, action: a/label }
`));
    expect(graph.nodes.map((n) => n.id)).toEqual([START_NODE, 'parts', 'total', 'verdict', 'large', 'small', END_NODE]);
    expect(graph.nodes.find((n) => n.id === 'parts')).toMatchObject({ kind: 'map', detail: 'a/sum over $.chunks' });
    expect(graph.edges.map((e) => `${e.from}-${e.kind}->${e.to}`)).toEqual([
      `${START_NODE}-next->parts`, 'parts-next->total', 'total-next->verdict', 'verdict-choice->large', 'verdict-default->small',
      `large-next->${END_NODE}`, `small-next->${END_NODE}`,
    ]);
  });

  it('adds catch edges and follows next', () => {
    expect(edges(`
name: g
stages:
  - id: risky
    kind: task
    action: a/x
    next: done
    catch: [{ errors: [whiskflow.Timeout], next: recover }]
  - { id: recover, kind: task, action: a/y }
  - { id: done, kind: succeed }
`)).toEqual([`${START_NODE}-next->risky`, 'risky-next->done', 'risky-catch->recover', 'recover-next->done', `done-next->${END_NODE}`]);
  });

  it('nests parallel branches in groups between the fork and its join node', () => {
    const graph = workflowGraph(parseWorkflow(`
name: g
stages:
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: a1, kind: task, action: a/x }, { id: a2, kind: task, action: a/x }]
      - stages:
          - id: inner
            kind: parallel
            branches: [{ stages: [{ id: deep, kind: task, action: a/x }] }]
  - { id: after, kind: task, action: a/y }
`));
    expect(graph.groups).toEqual([
      { id: 'both/branch 0', label: 'branch 1' },
      { id: 'both/branch 1', label: 'branch 2' },
      { id: 'inner/branch 0', label: 'branch 1', parent: 'both/branch 1' },
    ]);
    expect(graph.nodes.find((n) => n.id === 'deep')?.group).toBe('inner/branch 0');
    expect(graph.nodes.find((n) => n.id === 'a2')?.group).toBe('both/branch 0');
    const list = graph.edges.map((e) => `${e.from}-${e.kind}->${e.to}`);
    expect(list).toEqual(expect.arrayContaining([
      'both-branch->a1', 'a1-next->a2', `a2-next->${joinNode('both')}`, 'both-branch->inner', `inner-branch->deep`,
      `deep-next->${joinNode('inner')}`, `${joinNode('inner')}-next->${joinNode('both')}`, `${joinNode('both')}-next->after`,
    ]));
  });
});
