// The status page of `hactl drift --listen` (`/`): the last run (src/drift/status.ts) as one HTML
// document that reads without JavaScript. The only scripts are the page's own (mermaid, shipped
// inside hactl, draws the resource graph from the text it finds in the page); nothing is fetched
// from anywhere else. Every value that comes from a host, the spec or a run is escaped.

import { driftHeadline } from './render.js';
import type { DriftRun, RunRecord } from './status.js';
import { MERMAID_MAX_EDGES } from '../graph/render.js';
import { etcdLines } from '../views/common.js';
import { renderMarkdown } from '../views/markdown.js';

/** The asset paths the page loads; the server serves exactly these. */
export const STATUS_PAGE_ASSETS = { mermaid: '/assets/mermaid.min.js', script: '/assets/status-page.js' } as const;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const e = escapeHtml;

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const th = head.map((h) => `<th>${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const DAY_SECONDS = 86_400;

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

function daysLeft(notAfter: string, at: string): string {
  const days = Math.floor((Date.parse(notAfter) - Date.parse(at)) / 1000 / DAY_SECONDS);
  return days < 0 ? `expired ${-days} days ago` : `${days} days`;
}

/**
 * The graph's mermaid source with the drifted resources marked (a class mermaid colours). The
 * nodes are found by their labels, which are the resource ids (src/graph/render.ts).
 */
export function markDrifted(graph: string, drifted: readonly string[]): string {
  const want = new Set(drifted);
  const nodes = [...graph.matchAll(/^\s*([A-Za-z0-9_]+)\["([^"]*)"\]$/gm)].filter((m) => want.has(m[2]!)).map((m) => m[1]!);
  if (nodes.length === 0) return graph;
  return `${graph.replace(/\n$/, '')}\n  classDef drifted fill:#ffebe9,stroke:#cf222e,stroke-width:2px\n  class ${nodes.join(',')} drifted\n`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${e(title)}</h2>\n${body}\n</section>`;
}

function clusterSections(run: DriftRun): string[] {
  const { status, report } = run;
  const vipHolders = new Set(status.vip?.holders ?? []);
  const hosts = table(
    ['host', 'address', 'roles', 'observed'],
    status.hosts.map((h) => [
      e(h.name) + (vipHolders.has(h.name) ? ' <span class="tag">VIP</span>' : ''),
      e(h.address),
      e(h.roles.join(', ')),
      h.reachable ? '<span class="ok">yes</span>' : `<span class="bad">no</span>: ${e(h.reason ?? '')}`,
    ]),
  );
  const vip =
    status.vip === undefined
      ? `<p>The endpoint ${e(status.endpoint.host)}:${status.endpoint.port} is not a VIP hactl places (load balancer: ${e(status.loadBalancer)}).</p>`
      : `<p>VIP ${e(status.vip.address)} (${e(status.loadBalancer)}): ${
          status.vip.holders.length === 0
            ? '<span class="bad">held by no observed host</span>'
            : status.vip.holders.length > 1
              ? `<span class="bad">held by ${status.vip.holders.length} hosts at once: ${e(status.vip.holders.join(', '))}</span>`
              : `held by <strong>${e(status.vip.holders[0]!)}</strong>`
        }</p>`;
  const leases = table(
    ['lease', 'holder'],
    [
      ['kube-scheduler', e(status.leaseHolders.scheduler ?? 'unknown')],
      ['kube-controller-manager', e(status.leaseHolders.controllerManager ?? 'unknown')],
    ],
  );
  let etcd: string;
  if (status.etcd === undefined) etcd = '<p>No etcd member runs yet.</p>';
  else {
    const l = etcdLines(status.etcd);
    etcd = `<p>${e(l.headline)}</p>` + (l.members.length > 0 ? `<ul>${l.members.map((m) => `<li>${e(m)}</li>`).join('')}</ul>` : '');
  }
  let snapshot: string;
  if (status.snapshot === undefined)
    snapshot =
      '<p>Unknown: run with <code>--snapshots DIR</code> (the directory <code>hactl etcd snapshot --out</code> writes to) to see the newest snapshot.</p>';
  else if ('unknown' in status.snapshot) snapshot = `<p class="bad">${e(status.snapshot.unknown)}</p>`;
  else if (status.snapshot.latest === undefined) snapshot = `<p class="bad">No snapshot of ${e(status.cluster)} in ${e(status.snapshot.dir)}.</p>`;
  else {
    const s = status.snapshot.latest;
    const hours = (Date.parse(report.finishedAt) - Date.parse(s.created)) / 3_600_000;
    snapshot = `<p>${e(s.name)} in ${e(status.snapshot.dir)}: taken ${e(s.created)} (${hours.toFixed(1)} h before the last run) from ${e(s.member)}, revision ${s.revision}.</p>`;
  }
  return [
    section('hosts', 'Hosts', hosts),
    '<div class="grid">',
    section('vip', 'Control-plane endpoint', vip),
    section('leases', 'Leader leases', leases),
    section('etcd', 'etcd', etcd),
    section('snapshot', 'Last etcd snapshot', snapshot),
    '</div>',
  ];
}

function certificateSection(run: DriftRun): string {
  const { status, report } = run;
  // Soonest first; unreadable ones last. Folded: a cluster has a few dozen.
  const byExpiry = [...status.certificates].sort((a, b) =>
    a.notAfter === undefined ? 1 : b.notAfter === undefined ? -1 : Date.parse(a.notAfter) - Date.parse(b.notAfter),
  );
  const first = byExpiry[0];
  const certSummary =
    first === undefined
      ? 'no certificate read'
      : `${plural(byExpiry.length, 'certificate')} on ${plural(new Set(byExpiry.map((c) => c.host)).size, 'host')}` +
        (first.notAfter !== undefined ? `; the first to expire: ${first.path} on ${first.host} (${daysLeft(first.notAfter, report.finishedAt)} left)` : '');
  const certTable = table(
    ['host', 'certificate', 'expires', 'left'],
    byExpiry.map((c) => [e(c.host), e(c.path), e(c.notAfter ?? c.error ?? ''), c.notAfter === undefined ? '' : e(daysLeft(c.notAfter, report.finishedAt))]),
  );
  return section('certificates', 'Certificates', `<details><summary>${e(certSummary)}</summary>\n${certTable}\n</details>`);
}

function historySection(history: readonly RunRecord[]): string {
  const rows = [...history]
    .reverse()
    .map((r) => [
      e(r.finishedAt),
      `<span class="${r.outcome === 'in-sync' ? 'ok' : 'bad'}">${e(r.outcome)}</span>`,
      r.drifted === undefined ? '' : String(r.drifted),
      r.unreachable === undefined ? '' : String(r.unreachable),
      (r.durationMs / 1000).toFixed(1),
      e(r.error ?? (r.digest !== undefined ? r.digest.slice(0, 12) : '')),
    ]);
  return section('history', 'Recent runs', table(['finished', 'outcome', 'drifted', 'unreachable', 'seconds', 'drift digest / error'], rows));
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#1b1f24;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .6em;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa}pre{background:#f6f8fa;padding:.8em;overflow:auto;font-size:12px}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}.tag{background:#ddf4ff;border-radius:3px;padding:0 .3em;font-size:.85em}
.status{font-size:1.1em;padding:.5em .8em;border-radius:4px;background:#f6f8fa}.status.drift,.status.error,.status.failed{background:#ffebe9}.status.in-sync{background:#dafbe1}
.none{color:#57606a}.graph{overflow:auto;max-height:60vh;border:1px solid #d0d7de}.graph pre.mermaid{background:#fff;margin:0;overflow:visible;width:max-content}summary{cursor:pointer}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(28em,1fr));gap:0 2em}
`;

export interface StatusPageInput {
  /** Absent until the first check has finished. */
  run?: DriftRun;
  history: readonly RunRecord[];
  /** hactl's version, for the footer. */
  version: string;
  /** When the watch checks, in words ("every 15m"). */
  schedule: string;
}

export function renderStatusPage(input: StatusPageInput): string {
  const { run } = input;
  const last = input.history[input.history.length - 1];
  const title = run !== undefined ? `hactl drift: ${run.status.cluster}` : 'hactl drift';
  const body: string[] = [`<h1>${e(title)}</h1>`, `<p>Checking ${e(input.schedule)}. hactl ${e(input.version)}.</p>`];
  if (run === undefined) {
    body.push(`<p class="status">${last?.outcome === 'failed' ? `The first check failed: ${e(last.error ?? '')}` : 'The first check is running.'}</p>`);
    body.push(historySection(input.history));
  } else {
    const r = run.report;
    const outcome = last?.outcome === 'failed' ? 'failed' : r.status;
    body.push(
      `<p class="status ${e(outcome)}" id="headline"><strong>${e(outcome)}</strong>: ${e(driftHeadline(r))}<br>Last report: ${e(r.finishedAt)}, took ${(r.durationMs / 1000).toFixed(1)} s.${
        last?.outcome === 'failed' ? ` <span class="bad">The latest check failed (${e(last.finishedAt)}): ${e(last.error ?? '')}</span>` : ''
      }</p>`,
    );
    body.push(...clusterSections(run));
    body.push(
      section(
        'drift',
        'Drifted resources',
        table(
          ['resource', 'kind', 'host', 'apply would', 'why'],
          r.drifted.map((d) => [e(d.id), e(d.kind), e(d.host), e(d.action), e(d.reason ?? '')]),
        ),
      ),
    );
    const edges = run.graph.split('\n').filter((l) => l.includes(' --> ')).length;
    body.push(
      section(
        'graph',
        'Resource graph',
        '<p>Drifted resources in red. Without JavaScript, the mermaid source.</p>\n' +
          `<div class="graph"><pre class="mermaid" data-max-edges="${Math.max(edges, MERMAID_MAX_EDGES)}">${e(
            markDrifted(
              run.graph,
              r.drifted.map((d) => d.id),
            ),
          )}</pre></div>`,
      ),
    );
    body.push(historySection(input.history));
    body.push(certificateSection(run));
    body.push(section('plan', 'Last plan', `<pre id="plan-markdown">${e(renderMarkdown(run.plan))}</pre>`));
  }
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    ...body,
    `<script src="${STATUS_PAGE_ASSETS.mermaid}"></script>`,
    `<script src="${STATUS_PAGE_ASSETS.script}"></script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/**
 * The page's own script (served, not inline, so the page's Content-Security-Policy allows scripts
 * from the server alone): mermaid draws each `pre.mermaid` in place; `strict` keeps labels as text.
 */
export const STATUS_PAGE_SCRIPT = `(function () {
  var blocks = document.querySelectorAll('pre.mermaid');
  if (blocks.length === 0 || typeof mermaid === 'undefined') return;
  var maxEdges = 500;
  blocks.forEach(function (b) { maxEdges = Math.max(maxEdges, Number(b.getAttribute('data-max-edges')) || 0); });
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', maxEdges: maxEdges, flowchart: { useMaxWidth: false } });
  mermaid.run({ querySelector: 'pre.mermaid' }).then(function () {
    // The graph is larger than the page: it opens at the first drifted resource.
    var node = document.querySelector('.graph g.node.drifted');
    var box = node && node.closest('.graph');
    if (node && box) {
      var n = node.getBoundingClientRect();
      var b = box.getBoundingClientRect();
      box.scrollLeft += n.left - b.left - (b.width - n.width) / 2;
      box.scrollTop += n.top - b.top - (b.height - n.height) / 2;
    }
    document.body.setAttribute('data-graph', 'rendered');
  }, function (err) {
    document.body.setAttribute('data-graph', 'failed');
    var p = document.createElement('p');
    p.className = 'bad';
    p.textContent = 'The graph could not be drawn: ' + (err && err.message ? err.message : String(err));
    document.getElementById('graph').appendChild(p);
  });
})();
`;
