/**
 * The run's timeline on a canvas (thousands of bars stay cheap): one bar per task attempt, one lane
 * per stage visit; a wide lane folds its tasks onto a few rows. Zoom with the buttons, the mouse
 * wheel or +/- and the arrow keys when focused; a click on a bar opens that task. The bars arrive
 * a page at a time (bars.ts): the view (`view`, `onView`) tells which pages are needed.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { BarStatus, TimelineModel } from '../model/timeline';
import { count, duration } from './format';

export const BAR_COLOURS: Record<BarStatus, string> = {
  succeeded: '#2da44e', failed: '#cf222e', retried: '#e16f24', timeout: '#8250df', running: '#d4a72c',
};
const LABEL_W = 150;
const AXIS_H = 22;

interface LaneBox { top: number; rows: number; rowH: number }

function laneBoxes(model: TimelineModel): { boxes: LaneBox[]; height: number } {
  let top = AXIS_H;
  const boxes = model.lanes.map((lane) => {
    const rows = Math.max(1, lane.rows);
    const rowH = rows > 60 ? 2 : rows > 12 ? 4 : 14;
    const box = { top, rows, rowH };
    top += Math.max(24, rows * rowH + 8);
    return box;
  });
  return { boxes, height: top + 4 };
}

export interface TimelineProps {
  model: TimelineModel;
  /** Attempts in the whole run (the summary's count); `model.bars` are those loaded so far. */
  attempts: number;
  loading: boolean;
  view: [number, number] | undefined;
  onView: (view: [number, number] | undefined) => void;
  onSelect?: (position: number, index: number) => void;
}

export function TimelineView(props: TimelineProps) {
  const { model, view, onView: setView } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [from, to] = view ?? [model.start, Math.max(model.end, model.start + 1)];
  const { boxes, height } = laneBoxes(model);

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const width = element.clientWidth || 800;
    const ratio = window.devicePixelRatio || 1;
    element.width = width * ratio;
    element.height = height * ratio;
    element.style.height = `${height}px`;
    const ctx = element.getContext('2d')!;
    ctx.scale(ratio, ratio);
    ctx.clearRect(0, 0, width, height);
    const plotW = width - LABEL_W - 8;
    const x = (t: number) => LABEL_W + ((t - from) / (to - from)) * plotW;
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#4d5561';
    for (let i = 0; i <= 5; i += 1) {
      const t = from + ((to - from) * i) / 5;
      ctx.fillText(`+${duration(t - model.start)}`, Math.min(x(t), width - 60), 14);
      ctx.fillStyle = '#e6e9ed';
      ctx.fillRect(x(t), AXIS_H - 4, 1, height);
      ctx.fillStyle = '#4d5561';
    }
    model.lanes.forEach((lane, index) => {
      const box = boxes[index]!;
      ctx.fillStyle = '#1b1f24';
      ctx.fillText(`${lane.stageId} #${lane.position}`.slice(0, 22), 4, box.top + 12);
      ctx.fillStyle = '#c9d1d9';
      ctx.fillRect(0, box.top - 3, width, 1);
    });
    for (const bar of model.bars) {
      const box = boxes[bar.lane]!;
      const end = bar.end ?? Math.max(model.end, bar.start);
      if (end < from || bar.start > to) continue;
      const left = Math.max(LABEL_W, x(bar.start));
      const barW = Math.max(1.5, Math.min(x(end), width) - left);
      ctx.fillStyle = BAR_COLOURS[bar.status];
      ctx.fillRect(left, box.top + bar.row * box.rowH, barW, box.rowH > 4 ? box.rowH - 2 : box.rowH - 0.5);
    }
  }, [model, from, to, height]);

  const zoom = (factor: number, centre = 0.5) => {
    const span = (to - from) * factor;
    const pivot = from + (to - from) * centre;
    const start = Math.max(model.start, pivot - span * centre);
    setView([start, Math.min(Math.max(model.end, model.start + 1), start + Math.max(span, 2))]);
  };
  const pan = (direction: number) => {
    const shift = (to - from) * 0.2 * direction;
    setView([from + shift, to + shift]);
  };
  const plotFraction = (clientX: number): number => {
    const rect = canvas.current!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - rect.left - LABEL_W) / (rect.width - LABEL_W - 8)));
  };
  const onClick = (event: MouseEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    const y = event.clientY - rect.top;
    const t = from + plotFraction(event.clientX) * (to - from);
    const lane = boxes.findIndex((box) => y >= box.top && y < box.top + box.rows * box.rowH);
    if (lane < 0) return;
    const row = Math.floor((y - boxes[lane]!.top) / boxes[lane]!.rowH);
    const tolerance = ((to - from) / (rect.width - LABEL_W)) * 3;
    const hit = model.bars.find((bar) => bar.lane === lane && bar.row === row && bar.start - tolerance <= t && (bar.end ?? model.end) + tolerance >= t);
    if (hit) props.onSelect?.(model.lanes[lane]!.position, hit.index);
  };

  const summary = `Timeline: ${count(props.attempts)} task attempts${model.bars.length < props.attempts ? ` (${count(model.bars.length)} drawn so far)` : ''} in ${model.lanes.length} stages over ${duration(model.end - model.start)}; `
    + model.lanes.map((lane) => `${lane.stageId}: ${lane.attempts} attempts, ${lane.retried} retried, ${lane.timeouts} timed out, ${lane.failed} failed`).join('; ');
  return (
    <div>
      <div class="timeline-tools">
        <button type="button" onClick={() => zoom(0.5)} aria-label="zoom in">Zoom in</button>
        <button type="button" onClick={() => zoom(2)} aria-label="zoom out">Zoom out</button>
        <button type="button" onClick={() => setView(undefined)}>Reset</button>
        <span>{duration(to - from)} shown</span>
        <span id="bars-loaded" aria-live="polite">{model.bars.length < props.attempts || props.loading ? `${count(model.bars.length)} of ${count(props.attempts)} attempts drawn${props.loading ? ', loading…' : ''}` : ''}</span>
      </div>
      <div class="legend" aria-hidden="true">
        {Object.entries(BAR_COLOURS).map(([status, colour]) => <span key={status} style={{ '--c': colour }}>{status}</span>)}
      </div>
      <canvas ref={canvas} class="timeline" tabIndex={0} role="img" aria-label={summary} data-bars={String(model.bars.length)} data-attempts={String(props.attempts)} data-loading={String(props.loading)} data-lanes={String(model.lanes.length)}
        data-statuses={JSON.stringify(countStatuses(model))}
        onClick={onClick}
        onWheel={(event) => { event.preventDefault(); zoom(event.deltaY < 0 ? 0.8 : 1.25, plotFraction(event.clientX)); }}
        onKeyDown={(event) => {
          const actions: Record<string, () => void> = { '+': () => zoom(0.5), '=': () => zoom(0.5), '-': () => zoom(2), ArrowLeft: () => pan(-1), ArrowRight: () => pan(1), '0': () => setView(undefined) };
          const action = actions[event.key];
          if (action) { event.preventDefault(); action(); }
        }} />
    </div>
  );
}

function countStatuses(model: TimelineModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const bar of model.bars) counts[bar.status] = (counts[bar.status] ?? 0) + 1;
  return counts;
}
