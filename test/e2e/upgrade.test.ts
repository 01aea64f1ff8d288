// Day 2 in the lab: ha-stacked is built on Debian 13 at Kubernetes 1.35 from bare hosts, then
// upgraded across two minors, 1.35 → 1.36 → 1.37 (the lab spec), by planning and applying the spec
// at each version: every host's Kubernetes package source is switched to the new minor's
// repository (pkgs.k8s.io layout, signed) before its packages change; an etcd snapshot is taken
// first; kubeadm upgrade apply runs on cp1 and upgrade node on cp2 and cp3 one at a time behind the
// /readyz gate, then the workers one at a time, each drained and uncordoned. The apiserver is
// probed through the VIP every 500 ms from this machine during each upgrade and the longest gap
// is printed. Afterwards every node runs the new version, the hosts' kubeadm configuration is
// v1beta4, the plan is empty, and going back a minor is refused with the reason. This cluster runs
// containerd 2.x from the mirror's containerd-2/ repository (the lab spec plus that source); the
// next file (external.test.ts) starts from fresh hosts.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERD_2_REPO } from '../lab/index.js';
import { expectStatus, ROOT } from './support/cli.js';
import { acting, ADMIN, bareLab, clusterLab, LAB_SPEC, specHosts, ssh, type Cluster } from './support/cluster.js';
import { probeVip } from './support/vip-probe.js';

const log = (m: string): void => console.error(`upgrade e2e: ${m}`);
/** The versions the cluster goes through: built at the first, upgraded to each next (the last is the lab spec's). */
const VERSIONS = ['1.35.9', '1.36.4', '1.37.2'] as const;
const FROM = VERSIONS[0];
const minorOf = (v: string): string => v.split('.').slice(0, 2).join('.');

let c: Cluster;
let work: string;
const specs = new Map<string, string>();

const DEBIAN_SOURCE = '      - { uri: "http://198.18.0.1:8765/", suite: debian/, trusted: true }\n';

/**
 * The lab spec at another Kubernetes version, written where its relative paths still resolve, with
 * the mirror's containerd 2.x repository among the OS sources: this cluster runs containerd 2.x
 * (config version 3) while the others run Debian 13's 1.7.
 */
function specAt(version: string): string {
  const lab = readFileSync(join(ROOT, LAB_SPEC), 'utf8');
  expect(lab).toContain(DEBIAN_SOURCE);
  const text = lab
    .replaceAll('../../', `${ROOT}`)
    .replace(/^ {2}version: .*$/m, `  version: ${version}`)
    .replace(DEBIAN_SOURCE, `${DEBIAN_SOURCE}      - { uri: "http://198.18.0.1:8765/", suite: ${CONTAINERD_2_REPO}/, trusted: true }\n`);
  expect(text).toContain(`version: ${version}`);
  expect(text).toContain(`suite: ${CONTAINERD_2_REPO}/`);
  const path = join(work, `ha-stacked-${version}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** The Kubernetes package sources of a host (apt lines naming a per-minor repository). */
async function kubernetesSources(host: string): Promise<string[]> {
  const out = await ssh(host, "grep -rhs 'core:/stable:' /etc/apt/sources.list /etc/apt/sources.list.d/ || true");
  return out.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

async function nodeVersions(): Promise<Record<string, string>> {
  const out = await ssh('cp1', `${ADMIN} get nodes -o json`);
  const doc = JSON.parse(out) as { items: { metadata: { name: string }; status: { nodeInfo?: { kubeletVersion?: string } } }[] };
  return Object.fromEntries(doc.items.map((n) => [n.metadata.name, n.status.nodeInfo?.kubeletVersion ?? '?']));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hactl-upgrade-e2e-'));
  for (const v of VERSIONS) specs.set(v, specAt(v));
  await bareLab(log);
  c = await clusterLab(log);
  const r = c.converge(specs.get(FROM));
  log(`ha-stacked at ${FROM} from bare hosts: ${r ? `${(r.ms / 1000).toFixed(1)} s` : 'already there'}`);
}, 1_800_000);

afterAll(() => {
  c?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('upgrades across minors from the spec', () => {
  it('runs containerd 2.x from the mirror, configured with config version 3, on every host of the cluster', async () => {
    for (const h of specHosts().filter((x) => !x.startsWith('lb'))) {
      expect(await ssh(h, 'containerd --version'), h).toMatch(/^containerd \S+ v?2\.\d+\.\d+/);
      expect(await ssh(h, "grep -E '^version *= *' /etc/containerd/config.toml"), h).toMatch(/^version *= *3$/m);
      expect((await ssh(h, 'systemctl is-active containerd')).trim(), h).toBe('active');
    }
  });

  for (let i = 1; i < VERSIONS.length; i++) {
    const from = VERSIONS[i - 1]!;
    const to = VERSIONS[i]!;
    it(`plans ${from} → ${to} as a repository switch and kubeadm upgrades, applies it with the API answering through the VIP, and converges`, async () => {
      const spec = specs.get(to)!;
      const before = await nodeVersions();
      for (const v of Object.values(before)) expect(v).toBe(`v${from}`);
      const hosts = specHosts();
      for (const h of hosts) {
        const sources = await kubernetesSources(h);
        expect(sources.join('\n'), h).toContain(`core:/stable:/v${minorOf(from)}/deb/`);
      }

      const { plan } = c.planJson(spec);
      const changing = acting(plan).map((x) => x.id);
      log(`plan of ${from} → ${to}: ${changing.join(', ')}`);
      for (const id of ['upgrade-control-plane@cp1', 'upgrade-control-plane@cp2', 'upgrade-control-plane@cp3', 'upgrade-worker@w1', 'upgrade-worker@w2']) {
        expect(changing).toContain(id);
        const ch = plan.changes.find((x) => x.id === id)!;
        expect(ch.attributes.find((a) => a.name === 'kubernetes.version')).toMatchObject({ changed: true, before: { value: from }, after: { value: to } });
      }
      // Never a bare package bump under a running control plane.
      expect(changing.filter((id) => id.startsWith('kube-packages@'))).toEqual([]);
      const cp1Steps = plan.changes.find((x) => x.id === 'upgrade-control-plane@cp1')!.steps.join('\n');
      expect(cp1Steps).toContain('kubeadm upgrade apply');
      expect(cp1Steps).toContain('etcd snapshot');
      // The new minor's repository is in the plan (the switch happens before packages change).
      expect(JSON.stringify(plan)).toContain(`core:/stable:/v${minorOf(to)}/deb/`);
      expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

      // In the background, so that the probe keeps running during the apply.
      const probe = probeVip();
      const r = await c.cli.start(['apply', '-f', spec, '--auto-approve', '--log-dir', join(work, `runs-${to}`)]).done;
      const seen = await probe.stop();
      log(
        `upgrade ${from} → ${to}: apply ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}; /readyz through the VIP: ${seen.probes} probes, ` +
          `${seen.failed} failed, longest gap ${(seen.longestGapMs / 1000).toFixed(1)} s`,
      );
      expectStatus(r, 0);
      // Availability, not speed: the API must never be gone for a whole minute.
      expect(seen.longestGapMs).toBeLessThan(60_000);

      const after = await nodeVersions();
      log(`nodes after: ${JSON.stringify(after)}`);
      for (const v of Object.values(after)) expect(v).toBe(`v${to}`);
      const nodes = await ssh('cp1', `${ADMIN} get nodes --no-headers`);
      for (const row of nodes.trim().split('\n')) expect(row).toMatch(/^\S+\s+Ready\s/);
      // Every host now takes its Kubernetes packages from the new minor's repository only.
      for (const h of hosts) {
        const sources = (await kubernetesSources(h)).join('\n');
        expect(sources, h).toContain(`core:/stable:/v${minorOf(to)}/deb/`);
        expect(sources, h).not.toContain(`core:/stable:/v${minorOf(from)}/deb/`);
      }
      // The etcd snapshot taken before the upgrade, on the first control-plane host.
      expect(await ssh('cp1', 'ls /var/lib/hactl/etcd-snapshots/')).toContain(`to-v${to}`);
      // kubeadm's configuration on the hosts and in the cluster is v1beta4.
      for (const cp of ['cp1', 'cp2', 'cp3']) {
        const versions = await ssh(cp, "grep -hs '^apiVersion: kubeadm.k8s.io/' /etc/kubernetes/kubeadm*.yaml || true");
        expect(versions.trim().split('\n').filter(Boolean).length, cp).toBeGreaterThan(0);
        for (const line of versions.trim().split('\n')) expect(line, cp).toBe('apiVersion: kubeadm.k8s.io/v1beta4');
      }
      expect(await ssh('cp1', `${ADMIN} -n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}'`)).toContain(
        'apiVersion: kubeadm.k8s.io/v1beta4',
      );
      expectStatus(c.hactl('plan', '-f', spec, '--detailed-exitcode'), 0);
    }, 1_800_000);
  }

  it(`refuses to go back a minor, saying why, and changes nothing`, () => {
    const back = VERSIONS[VERSIONS.length - 2]!;
    const to = VERSIONS[VERSIONS.length - 1]!;
    const r = c.hactl('plan', '-f', specs.get(back)!, '-o', 'json');
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${to} → ${back} is a downgrade`);
  }, 600_000);
});
