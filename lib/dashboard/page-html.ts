/**
 * The one HTML page every dashboard route answers with: the browser bundle (served by the platform
 * itself, no CDN) reads the location and draws the runs, a run or a workflow. Colours meet WCAG AA
 * contrast on their backgrounds; every state is also written as text.
 */
export const DASHBOARD_CSS = `
:root { --fg: #1b1f24; --muted: #4d5561; --bg: #ffffff; --line: #c9d1d9; --accent: #0b57d0;
  --ok: #1a7f37; --ok-bg: #dafbe1; --fail: #b3261e; --fail-bg: #ffebe9; --run: #8a5300; --run-bg: #fff4d6; --pend: #57606a; --pend-bg: #f2f4f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; gap: 1.5rem; align-items: baseline; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header.top a.brand { font-weight: 700; color: var(--fg); text-decoration: none; font-size: 1.1rem; }
main { padding: 1rem 1.2rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
h1 { font-size: 1.3rem; margin: .2rem 0 .8rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
tbody tr:hover, tbody tr:focus-within { background: #f6f8fa; }
.filters { display: flex; gap: .8rem; flex-wrap: wrap; align-items: end; margin-bottom: .8rem; }
.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; padding: .25rem .45rem; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); }
button { cursor: pointer; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 10px; font-size: .85rem; font-weight: 600; border: 1px solid currentColor; }
.s-succeeded { color: var(--ok); background: var(--ok-bg); } .s-failed { color: var(--fail); background: var(--fail-bg); }
.s-running { color: var(--run); background: var(--run-bg); } .s-pending { color: var(--pend); background: var(--pend-bg); } .s-cancelled { color: var(--pend); background: var(--pend-bg); }
.meta { display: flex; gap: 1.4rem; flex-wrap: wrap; color: var(--muted); margin-bottom: .6rem; }
.panels { display: grid; grid-template-columns: minmax(0, 1fr) minmax(300px, 34%); gap: 1rem; }
@media (max-width: 900px) { .panels { grid-template-columns: 1fr; } }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; overflow: auto; margin-bottom: 1rem; }
pre { background: #f6f8fa; padding: .5rem; border-radius: 4px; overflow: auto; max-height: 22rem; margin: .3rem 0; font-size: 12.5px; }
svg.graph { max-width: 100%; height: auto; }
svg.graph .node rect { stroke-width: 2; }
svg.graph .node text { font-size: 12px; fill: var(--fg); }
svg.graph .node:focus { outline: none; } svg.graph .node:focus rect { stroke-width: 4; stroke: var(--accent); }
svg.graph .edge path { fill: none; stroke: #8c959f; stroke-width: 1.5; }
svg.graph .edge.taken path { stroke: var(--accent); stroke-width: 3; }
svg.graph .edge.catch path { stroke-dasharray: 5 4; }
svg.graph .edge text { font-size: 11px; fill: var(--muted); }
svg.graph .group rect { fill: #f6f8fa; stroke: var(--line); stroke-dasharray: 4 3; }
svg.graph .group text { font-size: 11px; fill: var(--muted); }
.timeline-tools { display: flex; gap: .5rem; align-items: center; margin: .3rem 0; }
canvas.timeline { width: 100%; border: 1px solid var(--line); border-radius: 4px; display: block; }
.legend { display: flex; gap: .8rem; flex-wrap: wrap; font-size: .85rem; margin: .3rem 0; }
.legend span::before { content: ""; display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; background: var(--c); }
.error { color: var(--fail); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** `base`: the URL path the browser sees the dashboard at (`/dashboard`, or a web action's URL). */
export function pageHtml(options: { live: boolean; base: string }): string {
  const base = escapeAttribute(options.base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>whiskflow runs</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body data-live="${options.live ? 'events' : 'poll'}" data-base="${base}">
<header class="top"><a class="brand" href="${base}">whiskflow</a><nav aria-label="main"><a href="${base}">Runs</a></nav></header>
<main id="app"><noscript>The dashboard needs JavaScript; the same data is at ${base}/api/runs.</noscript></main>
<script src="${base}/assets/app.js"></script>
</body>
</html>`;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
