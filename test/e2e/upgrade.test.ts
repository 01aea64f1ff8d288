// Day 2 in the lab: ha-stacked is built at Kubernetes 1.29.8 from bare hosts, then the lab spec
// (1.30.4) is planned and applied as a minor upgrade: kubeadm upgrade apply on cp1, upgrade node
// on cp2 and cp3 one at a time, then the workers one at a time, each drained and uncordoned. The
// apiserver is probed through the VIP every 500 ms from this machine during the upgrade and the
// longest gap is reported. Afterwards every node runs 1.30.4, the plan is empty, and going back to
// 1.29.8 is refused with the reason. The cluster is left converged at the lab spec for the tests
// that share it (support/cluster.ts).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, ROOT } from './support/cli.js';
import { acting, ADMIN, bareLab, clusterLab, LAB_SPEC, ssh, VIP, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`upgrade e2e: ${m}`);
const FROM = '1.29.8';
const TO = '1.30.4';

let c: Cluster;
let work: string;
let oldSpec: string;

/** The lab spec at another Kubernetes version, written where its relative paths still resolve. */
function specAt(version: string): string {
  const text = readFileSync(join(ROOT, LAB_SPEC), 'utf8')
    .replaceAll('../../', `${ROOT}`)
    .replace(/^ {2}version: .*$/m, `  version: ${version}`);
  expect(text).toContain(`version: ${version}`);
  const path = join(work, `ha-stacked-${version}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** GET /readyz through the VIP from this machine (anonymous, as a load balancer's check). */
function readyz(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: VIP, port: 6443, path: '/readyz', method: 'GET', rejectUnauthorized: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Probes every 500 ms until stopped; the longest time without a successful answer. */
function probeVip(): { stop(): Promise<{ probes: number; failed: number; longestGapMs: number }> } {
  let running = true;
  let probes = 0;
  let failed = 0;
  let lastOk = Date.now();
  let longestGapMs = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const ok = await readyz();
      probes++;
      if (ok) {
        longestGapMs = Math.max(longestGapMs, Date.now() - lastOk);
        lastOk = Date.now();
      } else failed++;
      await new Promise((r) => setTimeout(r, Math.max(0, 500 - (Date.now() - started))));
    }
    longestGapMs = Math.max(longestGapMs, Date.now() - lastOk);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { probes, failed, longestGapMs };
    },
  };
}

async function nodeVersions(): Promise<Record<string, string>> {
  const out = await ssh('cp1', `${ADMIN} get nodes -o json`);
  const doc = JSON.parse(out) as { items: { metadata: { name: string }; status: { nodeInfo?: { kubeletVersion?: string } } }[] };
  return Object.fromEntries(doc.items.map((n) => [n.metadata.name, n.status.nodeInfo?.kubeletVersion ?? '?']));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hactl-upgrade-e2e-'));
  await bareLab(log);
  c = await clusterLab(log);
  oldSpec = specAt(FROM);
  const r = c.converge(oldSpec);
  log(`ha-stacked at ${FROM} from bare hosts: ${r ? `${(r.ms / 1000).toFixed(1)} s` : 'already there'}`);
}, 1_800_000);

afterAll(() => {
  c?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('upgrades from the spec', () => {
  it(`plans ${FROM} → ${TO} as kubeadm upgrades, applies it with the API answering through the VIP, and converges`, async () => {
    const before = await nodeVersions();
    log(`nodes before: ${JSON.stringify(before)}`);
    for (const v of Object.values(before)) expect(v).toBe(`v${FROM}`);

    const { plan } = c.planJson(LAB_SPEC);
    const changing = acting(plan).map((x) => x.id);
    log(`plan of the upgrade: ${changing.join(', ')}`);
    for (const id of ['upgrade-control-plane@cp1', 'upgrade-control-plane@cp2', 'upgrade-control-plane@cp3', 'upgrade-worker@w1', 'upgrade-worker@w2']) {
      expect(changing).toContain(id);
      const ch = plan.changes.find((x) => x.id === id)!;
      expect(ch.attributes.find((a) => a.name === 'kubernetes.version')).toMatchObject({ changed: true, before: { value: FROM }, after: { value: TO } });
    }
    // Never a bare package bump under a running control plane.
    expect(changing.filter((id) => id.startsWith('kube-packages@'))).toEqual([]);
    expect(plan.changes.find((x) => x.id === 'upgrade-control-plane@cp1')!.steps.join('\n')).toContain(`kubeadm upgrade apply v${TO}`);
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

    // In the background, so that the probe keeps running during the apply.
    const probe = probeVip();
    const r = await c.cli.start(['apply', '-f', LAB_SPEC, '--auto-approve', '--log-dir', join(work, 'runs')]).done;
    const seen = await probe.stop();
    log(`upgrade apply: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}; /readyz through the VIP: ${seen.probes} probes, ${seen.failed} failed, longest gap ${(seen.longestGapMs / 1000).toFixed(1)} s`);
    expectStatus(r, 0);
    // Availability, not speed: the API must never be gone for a whole minute.
    expect(seen.longestGapMs).toBeLessThan(60_000);

    const after = await nodeVersions();
    log(`nodes after: ${JSON.stringify(after)}`);
    for (const v of Object.values(after)) expect(v).toBe(`v${TO}`);
    const nodes = await ssh('cp1', `${ADMIN} get nodes --no-headers`);
    for (const row of nodes.trim().split('\n')) expect(row).toMatch(/^\S+\s+Ready\s/);
    expectStatus(c.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
  }, 1_800_000);

  it(`refuses to go back to ${FROM}, saying why, and changes nothing`, () => {
    const r = c.hactl('plan', '-f', oldSpec, '-o', 'json');
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${TO} → ${FROM} is a downgrade`);
  }, 600_000);
});
