// The status page of `hactl drift --listen`, from the fixture run: what it shows, that everything
// observed is escaped, that it names nothing outside the server, and that no secret reaches it.
import { describe, expect, it } from 'vitest';
import { escapeHtml, markDrifted, renderStatusPage, STATUS_PAGE_ASSETS } from '../../src/drift/status-page.js';
import { renderMarkdown } from '../../src/views/markdown.js';
import { fixtureRun, HOSTILE_PATH, SECRETS } from './run-fixture.js';

const HISTORY = [
  { finishedAt: '2026-11-22T07:45:00.000Z', outcome: 'in-sync' as const, durationMs: 2900, drifted: 0, unreachable: 0, digest: 'ab'.repeat(32) },
  { finishedAt: '2026-11-22T07:50:00.000Z', outcome: 'failed' as const, durationMs: 10, error: 'cluster.yaml: invalid (1 error) <x>' },
  { finishedAt: '2026-11-22T08:00:03.250Z', outcome: 'drift' as const, durationMs: 3250, drifted: 24, unreachable: 1, digest: 'cd'.repeat(32) },
];

function page(): string {
  return renderStatusPage({ run: fixtureRun(), history: HISTORY, version: '9.9.9', schedule: 'every 15m' });
}

/** The text a person reads without JavaScript: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<script[^>]*>[\s\S]*?<\/script>/g, '')
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('status page', () => {
  it('shows hosts and roles, the VIP holder, etcd, leases, certificates, the snapshot, the drift and the history as text', () => {
    const text = visibleText(page()).replace(/\s+/g, ' ');
    for (const s of [
      'hactl drift: fixture',
      'Checking every 15m. hactl 9.9.9.',
      'drift : Drift: 24 resources differ from the spec',
      'lb1 VIP 10.0.0.5 lb',
      'cp1 10.0.0.11 control-plane yes',
      'worker1 10.0.0.21 worker no : connect ECONNREFUSED 10.0.0.21:22',
      'VIP 10.0.0.10 (keepalived-haproxy): held by lb1',
      'etcd: 3 members, 2 healthy (as cp1 reports it)',
      'cp3<b> a3 https://10.0.0.13:2380: unhealthy (context deadline exceeded <i>)',
      'kube-scheduler cp2',
      'kube-controller-manager cp1',
      'fixture-20261121T080000Z in /var/backups/hactl: taken 2026-11-21T08:00:00.000Z (24.0 h before the last run) from cp2, revision 4711.',
      `cp1 ${HOSTILE_PATH} 2026-12-01T00:00:00.000Z 8 days`,
      'cp1 /etc/kubernetes/pki/apiserver.crt 2027-11-22T08:00:00.000Z 364 days',
      'containerd@cp1 containerd cp1 create',
      '2026-11-22T07:50:00.000Z failed 0.0 cluster.yaml: invalid (1 error) <x>',
      '2026-11-22T07:45:00.000Z in-sync 0 0 2.9 abababababab',
      'flowchart TD',
    ])
      expect(text).toContain(s);
    expect(text).toContain(`3 certificates on 1 host; the first to expire: ${HOSTILE_PATH} on cp1 (8 days left)`);
    // Sections in the order a person on call reads them.
    const order = [
      'Hosts',
      'Control-plane endpoint',
      'Leader leases',
      'etcd',
      'Last etcd snapshot',
      'Drifted resources',
      'Resource graph',
      'Recent runs',
      'Certificates',
      'Last plan',
    ];
    const at = order.map((h) => page().indexOf(`>${h}</h2>`));
    expect(at.every((p) => p > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('marks the drifted resources in the graph for mermaid to colour', () => {
    const graph =
      'flowchart TD\n  subgraph host_cp1["cp1"]\n    os_prep_cp1["os-prep@cp1"]\n    containerd_cp1["containerd@cp1"]\n  end\n  cni["cni"]\n  os_prep_cp1 --> containerd_cp1\n';
    expect(markDrifted(graph, ['os-prep@cp1', 'cni', 'gone@cp9'])).toBe(
      `${graph}  classDef drifted fill:#ffebe9,stroke:#cf222e,stroke-width:2px\n  class os_prep_cp1,cni drifted\n`,
    );
    expect(markDrifted(graph, [])).toBe(graph);
    expect(page()).toMatch(/\n {2}class containerd_cp1,kube_packages_cp1,.*,cni drifted\n/);
  });

  it('carries the last plan as the markdown view renders it', () => {
    const run = fixtureRun();
    const html = renderStatusPage({ run, history: [], version: '9.9.9', schedule: 'every 15m' });
    expect(html).toContain(`<pre id="plan-markdown">${escapeHtml(renderMarkdown(run.plan))}</pre>`);
  });

  it('escapes everything observed: no tag of a host reaches the page', () => {
    const html = page();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toMatch(/<b>|<i>|<x>/);
    expect(html).toContain('/etc/kubernetes/pki/&lt;script&gt;alert(1)&lt;/script&gt;.crt');
    // The only elements are the page's own.
    const tags = new Set([...html.matchAll(/<([a-z0-9]+)[\s>]/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(
      [
        'body',
        'br',
        'code',
        'details',
        'div',
        'h1',
        'h2',
        'head',
        'html',
        'li',
        'meta',
        'p',
        'pre',
        'script',
        'section',
        'span',
        'strong',
        'style',
        'summary',
        'table',
        'tbody',
        'td',
        'th',
        'thead',
        'title',
        'tr',
        'ul',
      ].filter((t) => tags.has(t)),
    );
  });

  it("loads nothing from elsewhere: its only scripts are the server's own", () => {
    const html = page();
    const refs = [...html.matchAll(/\b(?:src|href|action)\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual([STATUS_PAGE_ASSETS.mermaid, STATUS_PAGE_ASSETS.script]);
    expect(html).not.toMatch(/url\(|@import|<link|<img|<iframe/);
  });

  it('carries no secret of the spec', () => {
    const html = page();
    for (const s of SECRETS) {
      expect(html).not.toContain(s);
      expect(html).not.toContain(escapeHtml(s));
    }
  });

  it('says what it knows before the first check and after a failed first check', () => {
    expect(visibleText(renderStatusPage({ history: [], version: '9.9.9', schedule: 'every 15m' }))).toContain('The first check is running.');
    const failed = renderStatusPage({ history: [HISTORY[1]!], version: '9.9.9', schedule: 'every 15m' });
    expect(visibleText(failed)).toContain('The first check failed: cluster.yaml: invalid (1 error) <x>');
    expect(failed).not.toContain('<x>');
  });
});
