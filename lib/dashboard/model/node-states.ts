/**
 * The state of each node of a workflow graph in one run, from the run's stage views (the run's own,
 * plus those of its child runs: stage ids are unique in the whole workflow, so a branch's stages
 * land on their nodes), and the edges the run took. Pure; the state is given as text too, so that
 * colour is never the only way to read it.
 */
import type { RunStatus } from '../../store/run-documents';
import { END_NODE, joinNode, START_NODE, type WorkflowGraph } from './graph';

/** The parts of a stage view (lib/runs/run-view.ts) node states are computed from. */
export interface StageFacts {
  position: number;
  stageId: string;
  taskCount: number;
  completed: number;
  failed: number;
  endedAt?: number;
  /**
   * Attempts after the first, when known without the tasks (a wide stage's summary counts them
   * from its claims' ids); otherwise counted from `tasks`.
   */
  retried?: number;
  tasks: { index: number; attempts: { attempt: number }[]; outcome?: { ok: boolean; error?: string } }[];
}

export type NodeStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface NodeState {
  status: NodeStatus;
  /** How often the run entered the stage (a loop through a choice enters it again). */
  visits: number;
  taskCount: number;
  completed: number;
  failed: number;
  /** Attempts after the first, over all tasks of the latest visit. */
  retried: number;
  /** The state in words, e.g. `running: 812/1,000 done, 3 failed, 12 retried`. */
  text: string;
}

export interface RunGraphState {
  nodes: Record<string, NodeState>;
  /** `from->to` of every edge the run went along. */
  taken: string[];
}

export const edgeKey = (from: string, to: string): string => `${from}->${to}`;

const count = (value: number): string => value.toLocaleString('en-US');

export function nodeStates(graph: WorkflowGraph, stages: readonly StageFacts[], run: { status: RunStatus }, childStages: readonly StageFacts[] = []): RunGraphState {
  const kinds = new Map(graph.nodes.map((node) => [node.id, node.kind]));
  const nodes: Record<string, NodeState> = {};
  const ordered = [...stages].sort((a, b) => a.position - b.position);
  const all = [...ordered, ...childStages];
  for (const stage of all) {
    const previous = nodes[stage.stageId];
    nodes[stage.stageId] = stageState(stage, kinds.get(stage.stageId), (previous?.visits ?? 0) + 1);
  }
  // A branch of one task runs as task `i` of the parallel stage, not as a stage of its own.
  for (const stage of ordered.filter((s) => kinds.get(s.stageId) === 'parallel')) {
    const branchHeads = graph.edges.filter((edge) => edge.from === stage.stageId && edge.kind === 'branch');
    branchHeads.forEach((edge, index) => {
      const task = stage.tasks.find((t) => t.index === index);
      if (!task || nodes[edge.to]) return;
      const single: StageFacts = {
        position: stage.position, stageId: edge.to, taskCount: 1, completed: task.outcome?.ok ? 1 : 0, failed: task.outcome && !task.outcome.ok ? 1 : 0, tasks: [task],
        ...(task.outcome ? { endedAt: 0 } : {}),
      };
      nodes[edge.to] = stageState(single, 'task', 1);
    });
    const parallel = nodes[stage.stageId]!;
    if (parallel.status === 'succeeded' || parallel.status === 'failed') nodes[joinNode(stage.stageId)] = { ...parallel, text: parallel.status };
  }
  nodes[START_NODE] = plain('succeeded', 1);
  const last = ordered.at(-1);
  if (run.status !== 'running') nodes[END_NODE] = plain(run.status, 1);
  // A run that ended while a stage still counted as running did not finish it (a timeout, a failure elsewhere).
  if (run.status === 'failed' && last && nodes[last.stageId]?.status === 'running') nodes[last.stageId] = { ...nodes[last.stageId]!, status: 'failed', text: nodes[last.stageId]!.text.replace(/^running/, 'failed') };
  return { nodes, taken: takenEdges(graph, ordered, run.status) };
}

function stageState(stage: StageFacts, kind: string | undefined, visits: number): NodeState {
  const retried = stage.retried ?? stage.tasks.reduce((sum, task) => sum + Math.max(0, task.attempts.length - 1), 0);
  let status: NodeStatus;
  if (kind === 'fail') status = 'failed';
  else if (stage.failed > 0) status = 'failed';
  else if (stage.taskCount === 0 || stage.completed >= stage.taskCount) status = 'succeeded';
  else status = 'running';
  const parts: string[] = [];
  if (stage.taskCount > 1 || kind === 'map') parts.push(`${count(stage.completed)}/${count(stage.taskCount)} done`);
  if (stage.failed > 0) parts.push(`${count(stage.failed)} failed`);
  if (retried > 0) parts.push(`${count(retried)} retried`);
  if (visits > 1) parts.push(`${visits} visits`);
  return { status, visits, taskCount: stage.taskCount, completed: stage.completed, failed: stage.failed, retried, text: parts.length ? `${status}: ${parts.join(', ')}` : status };
}

function plain(status: NodeStatus, visits: number): NodeState {
  return { status, visits, taskCount: 0, completed: 0, failed: 0, retried: 0, text: status };
}

/** Consecutive stages of the run, the fork into branches that ran, and the way out at the end. */
function takenEdges(graph: WorkflowGraph, ordered: readonly StageFacts[], status: RunStatus): string[] {
  const exists = new Set(graph.edges.map((edge) => edgeKey(edge.from, edge.to)));
  const taken = new Set<string>();
  const first = ordered[0];
  if (first) taken.add(edgeKey(START_NODE, first.stageId));
  for (let i = 0; i + 1 < ordered.length; i += 1) {
    const from = ordered[i]!.stageId;
    const to = ordered[i + 1]!.stageId;
    // After a parallel stage the run leaves through its join node.
    if (exists.has(edgeKey(joinNode(from), to))) taken.add(edgeKey(joinNode(from), to));
    else taken.add(edgeKey(from, to));
  }
  for (const stage of ordered) {
    for (const edge of graph.edges) if (edge.from === stage.stageId && edge.kind === 'branch') taken.add(edgeKey(edge.from, edge.to));
  }
  const last = ordered.at(-1);
  if (last && status !== 'running') {
    for (const from of [last.stageId, joinNode(last.stageId)]) if (exists.has(edgeKey(from, END_NODE))) taken.add(edgeKey(from, END_NODE));
  }
  return [...taken].filter((key) => exists.has(key));
}
