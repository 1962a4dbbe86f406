/**
 * Lays out a workflow graph with dagre (top to bottom, branches as nested clusters): node boxes,
 * cluster boxes and edge polylines in SVG coordinates.
 */
import * as dagre from '@dagrejs/dagre';
import type { GraphEdge, GraphNode, WorkflowGraph } from '../model/graph';

export interface PlacedNode extends GraphNode { x: number; y: number; width: number; height: number }
export interface PlacedGroup { id: string; label: string; x: number; y: number; width: number; height: number }
export interface PlacedEdge extends GraphEdge { points: { x: number; y: number }[]; labelAt?: { x: number; y: number } }
export interface Layout { width: number; height: number; nodes: PlacedNode[]; groups: PlacedGroup[]; edges: PlacedEdge[] }

const MARKER_KINDS = new Set(['start', 'end', 'join']);

export function layoutGraph(graph: WorkflowGraph): Layout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const group of graph.groups) {
    g.setNode(group.id, { label: group.label, paddingTop: 22 });
    if (group.parent) g.setParent(group.id, group.parent);
  }
  for (const node of graph.nodes) {
    const small = MARKER_KINDS.has(node.kind);
    g.setNode(node.id, { width: small ? 96 : 200, height: small ? 28 : 62 });
    if (node.group) g.setParent(node.id, node.group);
  }
  graph.edges.forEach((edge, index) => {
    g.setEdge(edge.from, edge.to, edge.label ? { label: edge.label, width: edge.label.length * 6.2, height: 14, labelpos: 'c' } : {}, `e${index}`);
  });
  dagre.layout(g);
  const nodes = graph.nodes.map((node): PlacedNode => {
    const placed = g.node(node.id) as { x: number; y: number; width: number; height: number };
    return { ...node, x: placed.x, y: placed.y, width: placed.width, height: placed.height };
  });
  const groups = graph.groups.map((group): PlacedGroup => {
    const placed = g.node(group.id) as { x: number; y: number; width: number; height: number };
    return { id: group.id, label: group.label, x: placed.x, y: placed.y, width: placed.width, height: placed.height };
  });
  const edges = graph.edges.map((edge, index): PlacedEdge => {
    const placed = g.edge({ v: edge.from, w: edge.to, name: `e${index}` }) as { points: { x: number; y: number }[]; x?: number; y?: number };
    return { ...edge, points: placed.points, ...(placed.x !== undefined && placed.y !== undefined ? { labelAt: { x: placed.x, y: placed.y } } : {}) };
  });
  const size = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(size.width ?? 400), height: Math.ceil(size.height ?? 200), nodes, groups, edges };
}
