/**
 * The workflow drawn as SVG: stages as boxes coloured by state, with the state written inside too;
 * edges the run took drawn thick. Nodes are focusable (Tab) and carry their state as an accessible
 * name; Enter on a node calls `onSelect` (the run page lists that stage's tasks).
 */
import { useMemo } from 'preact/hooks';
import type { WorkflowGraph } from '../model/graph';
import { edgeKey, type RunGraphState } from '../model/node-states';
import { layoutGraph } from './graph-layout';

const FILL: Record<string, [string, string]> = {
  succeeded: ['#dafbe1', '#1a7f37'], failed: ['#ffebe9', '#b3261e'], running: ['#fff4d6', '#8a5300'], pending: ['#f2f4f7', '#57606a'], cancelled: ['#f2f4f7', '#57606a'],
};

export function GraphView(props: { graph: WorkflowGraph; state?: RunGraphState; onSelect?: (stageId: string) => void }) {
  // Every live read brings a new (equal) graph object: lay out again only when the graph itself changed.
  const shape = JSON.stringify(props.graph);
  const layout = useMemo(() => layoutGraph(props.graph), [shape]);
  const taken = new Set(props.state?.taken ?? []);
  return (
    <svg class="graph" role="group" aria-label="workflow graph" viewBox={`0 0 ${layout.width} ${layout.height}`} width={layout.width} height={layout.height}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a" />
        </marker>
      </defs>
      {layout.groups.map((group) => (
        <g class="group" key={group.id}>
          <rect x={group.x - group.width / 2} y={group.y - group.height / 2} width={group.width} height={group.height} rx="6" />
          <text x={group.x - group.width / 2 + 6} y={group.y - group.height / 2 + 13}>{group.label}</text>
        </g>
      ))}
      {layout.edges.map((edge, index) => {
        const isTaken = taken.has(edgeKey(edge.from, edge.to));
        return (
          <g key={index} class={`edge ${edge.kind}${isTaken ? ' taken' : ''}`} data-from={edge.from} data-to={edge.to} data-kind={edge.kind} data-taken={String(isTaken)}>
            <path d={`M ${edge.points.map((p) => `${p.x} ${p.y}`).join(' L ')}`} marker-end="url(#arrow)" />
            {edge.label && edge.labelAt ? <text x={edge.labelAt.x} y={edge.labelAt.y} text-anchor="middle">{edge.label}{isTaken ? ' (taken)' : ''}</text> : null}
          </g>
        );
      })}
      {layout.nodes.map((node) => {
        const state = props.state?.nodes[node.id];
        const status = state?.status ?? (props.state ? 'pending' : undefined);
        const [fill, stroke] = FILL[status ?? 'pending']!;
        const marker = node.kind === 'start' || node.kind === 'end' || node.kind === 'join';
        const stateText = state?.text ?? status ?? '';
        const name = `${node.label} (${node.kind})${stateText ? `: ${stateText}` : ''}`;
        return (
          <g class="node" key={node.id} data-node-id={node.id} data-kind={node.kind} data-status={status ?? ''} data-state={stateText}
            tabIndex={marker ? -1 : 0} role="button" aria-label={name}
            onClick={() => props.onSelect?.(node.id)} onKeyDown={(event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); props.onSelect?.(node.id); } }}>
            <title>{name}</title>
            <rect x={node.x - node.width / 2} y={node.y - node.height / 2} width={node.width} height={node.height} rx={marker ? 14 : 6}
              fill={props.state ? fill : '#ffffff'} stroke={props.state ? stroke : '#57606a'} />
            <text x={node.x} y={node.y + (marker ? 4 : -12)} text-anchor="middle" font-weight="600">{node.label}</text>
            {marker ? null : <text x={node.x} y={node.y + 4} text-anchor="middle" fill="#4d5561">{truncate(node.detail ?? node.kind, 30)}</text>}
            {marker || !stateText ? null : <text x={node.x} y={node.y + 20} text-anchor="middle">{truncate(stateText, 32)}</text>}
          </g>
        );
      })}
    </svg>
  );
}

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
