import { parseWorkflow } from '../../../lib/model/parse';
import { END_NODE, joinNode, START_NODE, workflowGraph } from '../../../lib/dashboard/model/graph';
import { edgeKey, nodeStates, type StageFacts } from '../../../lib/dashboard/model/node-states';

const graph = workflowGraph(parseWorkflow(`
name: g
stages:
  - { id: parts, kind: map, action: a/sum, items: $.chunks }
  - id: verdict
    kind: choice
    rules: [{ when: { path: $.total, ge: 100 }, next: large }]
    default: small
  - { id: large, kind: task, action: a/label, end: true }
  - { id: small, kind: task, action: a/label }
`));

const tasks = (n: number, outcome: (i: number) => { ok: boolean } | undefined, attempts: (i: number) => number = () => 1): StageFacts['tasks'] =>
  Array.from({ length: n }, (_, index) => {
    const result = outcome(index);
    return { index, attempts: Array.from({ length: attempts(index) }, (_, a) => ({ attempt: a + 1 })), ...(result ? { outcome: result } : {}) };
  });

describe('nodeStates', () => {
  it('counts a running map\'s tasks, failures and retries, and writes the state as text', () => {
    const stages: StageFacts[] = [{
      position: 1, stageId: 'parts', taskCount: 1000, completed: 812, failed: 0,
      tasks: tasks(1000, (i) => (i < 812 ? { ok: true } : undefined), (i) => (i < 3 ? 2 : 1)),
    }];
    const state = nodeStates(graph, stages, { status: 'running' });
    expect(state.nodes.parts).toMatchObject({ status: 'running', completed: 812, taskCount: 1000, retried: 3, text: 'running: 812/1,000 done, 3 retried' });
    expect(state.nodes.verdict).toBeUndefined();
    expect(state.nodes[END_NODE]).toBeUndefined();
    expect(state.taken).toEqual([edgeKey(START_NODE, 'parts')]);
  });

  it('marks the choice branch taken and the end reached', () => {
    const stages: StageFacts[] = [
      { position: 1, stageId: 'parts', taskCount: 2, completed: 2, failed: 0, endedAt: 5, tasks: tasks(2, () => ({ ok: true })) },
      { position: 2, stageId: 'verdict', taskCount: 0, completed: 0, failed: 0, endedAt: 6, tasks: [] },
      { position: 3, stageId: 'large', taskCount: 1, completed: 1, failed: 0, endedAt: 7, tasks: tasks(1, () => ({ ok: true })) },
    ];
    const state = nodeStates(graph, stages, { status: 'succeeded' });
    expect(state.nodes.parts?.text).toBe('succeeded: 2/2 done');
    expect(state.nodes.verdict?.status).toBe('succeeded');
    expect(state.nodes.small).toBeUndefined();
    expect(state.nodes[END_NODE]?.status).toBe('succeeded');
    expect(state.taken).toEqual([edgeKey(START_NODE, 'parts'), edgeKey('parts', 'verdict'), edgeKey('verdict', 'large'), edgeKey('large', END_NODE)]);
  });

  it('fails a stage with a failed task, and the stage a failed run stopped in', () => {
    const failing: StageFacts[] = [{ position: 1, stageId: 'parts', taskCount: 3, completed: 1, failed: 1, endedAt: 9, tasks: tasks(3, (i) => (i === 0 ? { ok: true } : i === 1 ? { ok: false } : undefined)) }];
    expect(nodeStates(graph, failing, { status: 'failed' }).nodes.parts).toMatchObject({ status: 'failed', text: 'failed: 1/3 done, 1 failed' });
    const stopped: StageFacts[] = [{ position: 1, stageId: 'parts', taskCount: 3, completed: 1, failed: 0, tasks: tasks(3, (i) => (i === 0 ? { ok: true } : undefined)) }];
    expect(nodeStates(graph, stopped, { status: 'failed' }).nodes.parts?.status).toBe('failed');
    expect(nodeStates(graph, stopped, { status: 'failed' }).nodes[END_NODE]?.status).toBe('failed');
  });

  it('gives single-task branches the state of their task, and child runs\' stages their own', () => {
    const parallel = workflowGraph(parseWorkflow(`
name: p
stages:
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: one, kind: task, action: a/x }]
      - stages: [{ id: two, kind: task, action: a/x }, { id: three, kind: task, action: a/x }]
`));
    const stages: StageFacts[] = [{ position: 1, stageId: 'both', taskCount: 2, completed: 2, failed: 0, endedAt: 3, tasks: tasks(2, () => ({ ok: true })) }];
    const child: StageFacts[] = [
      { position: 1, stageId: 'two', taskCount: 1, completed: 1, failed: 0, endedAt: 1, tasks: tasks(1, () => ({ ok: true }), () => 3) },
      { position: 2, stageId: 'three', taskCount: 1, completed: 1, failed: 0, endedAt: 2, tasks: tasks(1, () => ({ ok: true })) },
    ];
    const state = nodeStates(parallel, stages, { status: 'succeeded' }, child);
    expect(state.nodes.one?.status).toBe('succeeded');
    expect(state.nodes.two).toMatchObject({ status: 'succeeded', retried: 2 });
    expect(state.nodes[joinNode('both')]?.status).toBe('succeeded');
    expect(state.taken).toEqual(expect.arrayContaining([edgeKey('both', 'one'), edgeKey('both', 'two'), edgeKey(joinNode('both'), END_NODE)]));
  });
});
