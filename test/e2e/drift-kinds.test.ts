// Drift, one row per resource kind with state on a host: one thing changed by hand over SSH, and
// the plan (-o json) shows exactly that resource and attribute or file changed, besides the rows
// before it, and nothing else. The changes accumulate (one plan per row, one apply for all: an
// apply of the whole cluster takes a minute here); then apply repairs every one and the next plan
// is empty (--detailed-exitcode 0). On the shared converged ha-stacked cluster (support/cluster.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from './support/cli.js';
import { acting, ADMIN, convergedCluster, LAB_SPEC, ssh, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`drift e2e: ${m}`);

interface DriftRow {
  kind: string;
  /** Where the change is made by hand. */
  on: string;
  /** The change, run over SSH. */
  change: string;
  /** The one resource the plan must change. */
  resource: string;
  /** Its attributes that change (names), exactly. */
  attributes?: string[];
  /** Its files that change (paths), exactly. */
  files?: string[];
}

const rows: DriftRow[] = [
  { kind: 'os-prep: a sysctl', on: 'w1', change: 'sysctl -q -w net.ipv4.ip_forward=0', resource: 'os-prep@w1', attributes: ['sysctl.net.ipv4.ip_forward'] },
  {
    kind: 'os-prep: /etc/hosts',
    on: 'cp2',
    change: "sed -i 's/^198.18.0.14 cp2$/198.18.0.14 cp2 by-hand/' /etc/hosts",
    resource: 'os-prep@cp2',
    files: ['/etc/hosts'],
  },
  {
    kind: 'containerd: its config file',
    on: 'w2',
    change: "printf '# by hand\\n' >> /etc/containerd/config.toml",
    resource: 'containerd@w2',
    files: ['/etc/containerd/config.toml'],
  },
  {
    kind: 'package-sources: a sources file',
    on: 'cp3',
    change: "sed -i 's|^deb |deb [arch=amd64] |' /etc/apt/sources.list.d/hactl-os.list",
    resource: 'package-sources@cp3',
    files: ['/etc/apt/sources.list.d/hactl-os.list'],
  },
  {
    kind: 'lb-haproxy: a backend gone',
    on: 'lb2',
    change: "sed -i '/server cp3 /d' /etc/haproxy/haproxy.cfg",
    resource: 'lb-haproxy@lb2',
    files: ['/etc/haproxy/haproxy.cfg'],
  },
  { kind: 'lb-haproxy: the service stopped', on: 'lb2', change: 'systemctl stop haproxy', resource: 'lb-haproxy@lb2', attributes: ['service.haproxy.active'] },
  {
    kind: 'lb-keepalived: its config',
    on: 'lb2',
    change: "sed -i 's/priority [0-9]*/priority 7/' /etc/keepalived/keepalived.conf",
    resource: 'lb-keepalived@lb2',
    files: ['/etc/keepalived/keepalived.conf'],
  },
  {
    kind: 'kube-packages: a package no longer held',
    on: 'w1',
    change: 'apt-mark unhold kubectl >/dev/null',
    resource: 'kube-packages@w1',
    attributes: ['package.kubectl.held'],
  },
  {
    kind: 'kube-packages: a package removed',
    on: 'w2',
    change: 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q --allow-change-held-packages kubectl >/dev/null',
    resource: 'kube-packages@w2',
    attributes: ['package.kubectl.version', 'package.kubectl.held'],
  },
  {
    kind: 'node-config: a node label',
    on: 'cp1',
    change: `${ADMIN} label node w1 hactl.io/lab-pool=by-hand --overwrite`,
    resource: 'node-config@w1',
    attributes: ['label.hactl.io/lab-pool'],
  },
  {
    kind: "cni: the manifest's DaemonSet deleted",
    on: 'cp1',
    change: `${ADMIN} -n kube-system delete daemonset lab-cni`,
    resource: 'cni',
    attributes: ['cni.daemonsets'],
  },
];

let cluster: Cluster;

beforeAll(async () => {
  cluster = await convergedCluster(log);
}, 1_800_000);

afterAll(() => cluster?.remove());

/** What the plan must change after rows[0..n]: resource -> changed attribute names and file paths. */
function expected(n: number): Map<string, { attributes: Set<string>; files: Set<string> }> {
  const out = new Map<string, { attributes: Set<string>; files: Set<string> }>();
  for (const row of rows.slice(0, n + 1)) {
    const e = out.get(row.resource) ?? { attributes: new Set<string>(), files: new Set<string>() };
    row.attributes?.forEach((a) => e.attributes.add(a));
    row.files?.forEach((f) => e.files.add(f));
    out.set(row.resource, e);
  }
  return out;
}

describe('drift on a converged ha-stacked cluster', () => {
  const done: string[] = [];
  it.each(rows.map((row, i) => ({ ...row, i })))(
    '$kind: the plan shows exactly that (and the rows before)',
    async (row) => {
      await ssh(row.on, row.change);
      done.push(row.kind);
      const { plan, run } = cluster.planJson();
      expect(run.status).toBe(2);
      const want = expected(row.i);
      const changed = acting(plan);
      expect(changed.map((c) => c.id).sort()).toEqual([...want.keys()].sort());
      for (const c of changed) {
        const w = want.get(c.id)!;
        expect(
          c.attributes
            .filter((a) => a.changed)
            .map((a) => a.name)
            .sort(),
          c.id,
        ).toEqual([...w.attributes].sort());
        expect(
          c.files
            .filter((f) => f.action !== 'no-op')
            .map((f) => f.path)
            .sort(),
          c.id,
        ).toEqual([...w.files].sort());
      }
      expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    },
    300_000,
  );

  it('apply repairs all of them; the next plan is empty', () => {
    const apply = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`apply repairing ${rows.length} drifts: ${(apply.ms / 1000).toFixed(1)} s`);
    expectStatus(apply, 0);
    for (const id of new Set(rows.map((r) => r.resource))) expect(apply.stdout).toMatch(new RegExp(`: ${id.replace(/[@.]/g, '\\$&')}: done`));
    const plan = cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode');
    expectStatus(plan, 0);
    const noop = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`no-op plan ${(plan.ms / 1000).toFixed(1)} s, no-op apply ${(noop.ms / 1000).toFixed(1)} s`);
    expectStatus(noop, 0);
    expect(noop.stdout).toContain('Nothing to apply.');
    expect(done).toEqual(rows.map((r) => r.kind));
  }, 900_000);
});
