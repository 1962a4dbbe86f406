/**
 * A workflow definition as a graph to draw: one node per stage, edges for where a run can go next
 * (`next`, a choice's rules and default, `catch`), a parallel stage's branches as groups of their
 * own nodes between the parallel stage (where they fork) and its join node (where they meet).
 * Pure: the browser lays it out (dagre) and colours it from the run's node states (node-states.ts).
 */
import type { Stage, StageKind, Workflow } from '../../model/workflow';

/** Where the run goes after the last stage of the top-level scope. */
export const END_NODE = '$end';
export const START_NODE = '$start';

export interface GraphNode {
  id: string;
  /** `start`/`end`/`join` are drawn as small markers: they are not stages. */
  kind: StageKind | 'start' | 'end' | 'join';
  label: string;
  /** Shown under the label: the action, a map's items, a choice's rule count. */
  detail?: string;
  /** The group it is drawn in: a branch of a parallel stage (`<parallelId>/branch <i>`). */
  group?: string;
}

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'branch';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface GraphGroup {
  id: string;
  label: string;
  /** The enclosing group: branches nest in branches of outer parallels. */
  parent?: string;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
}

/** The join node of parallel stage `id`. */
export const joinNode = (id: string): string => `${id}$join`;
export const branchGroup = (parallelId: string, index: number): string => `${parallelId}/branch ${index}`;

export function workflowGraph(workflow: Workflow): WorkflowGraph {
  const graph: WorkflowGraph = { nodes: [{ id: START_NODE, kind: 'start', label: 'start' }], edges: [], groups: [] };
  const first = workflow.stages[0];
  graph.edges.push({ from: START_NODE, to: first ? first.id : END_NODE, kind: 'next' });
  addScope(graph, workflow.stages, END_NODE, undefined);
  graph.nodes.push({ id: END_NODE, kind: 'end', label: 'end' });
  return graph;
}

/** Adds the stages of one scope; `exit` is where the scope's last (or `end: true`) stages lead. */
function addScope(graph: WorkflowGraph, stages: readonly Stage[], exit: string, group: string | undefined): void {
  stages.forEach((stage, position) => {
    graph.nodes.push({ id: stage.id, kind: stage.kind, label: stage.id, ...detailOf(stage), ...(group ? { group } : {}) });
    const following = stage.end ? exit : stage.next ?? stages[position + 1]?.id ?? exit;
    switch (stage.kind) {
      case 'choice':
        stage.rules.forEach((rule, index) => graph.edges.push({ from: stage.id, to: rule.next, kind: 'choice', label: `rule ${index + 1}` }));
        graph.edges.push({ from: stage.id, to: stage.default ?? END_NODE, kind: 'default', label: stage.default ? 'default' : 'no match: fails' });
        return;
      case 'succeed':
      case 'fail':
        graph.edges.push({ from: stage.id, to: exit, kind: 'next' });
        return;
      case 'parallel': {
        const join = joinNode(stage.id);
        stage.branches.forEach((branch, index) => {
          const id = branchGroup(stage.id, index);
          graph.groups.push({ id, label: `branch ${index + 1}`, ...(group ? { parent: group } : {}) });
          const head = branch.stages[0];
          graph.edges.push({ from: stage.id, to: head ? head.id : join, kind: 'branch', label: `branch ${index + 1}` });
          addScope(graph, branch.stages, join, id);
        });
        graph.nodes.push({ id: join, kind: 'join', label: `${stage.id} joined`, ...(group ? { group } : {}) });
        graph.edges.push({ from: join, to: following, kind: 'next' });
        break;
      }
      default:
        graph.edges.push({ from: stage.id, to: following, kind: 'next' });
    }
    for (const rule of ('catch' in stage ? stage.catch : undefined) ?? []) {
      graph.edges.push({ from: stage.id, to: rule.next, kind: 'catch', label: rule.errors ? `catch ${rule.errors.join(', ')}` : 'catch' });
    }
  });
}

function detailOf(stage: Stage): { detail?: string } {
  switch (stage.kind) {
    case 'task':
    case 'reduce':
      return { detail: stage.action };
    case 'map':
      return { detail: `${stage.action} over ${stage.items}` };
    case 'choice':
      return { detail: `${stage.rules.length} rule${stage.rules.length === 1 ? '' : 's'}` };
    case 'parallel':
      return { detail: `${stage.branches.length} branches` };
    case 'fail':
      return { detail: stage.error };
    case 'wait':
      return { detail: stage.until !== undefined ? `until ${stage.until}` : `${stage.seconds} s` };
    default:
      return {};
  }
}
