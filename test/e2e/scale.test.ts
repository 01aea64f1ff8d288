// Scale on the shared ha-stacked cluster: w2 leaves the spec, the plan shows its removal and
// nothing else (no other host names w2 anywhere), apply drains it, resets it, cleans up and deletes
// its node; then w2 comes back into the spec, the plan touches only w2 ("1 to add, 0 to change"
// elsewhere: no /etc/hosts, never haproxy), and apply joins it again.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, ROOT } from './support/cli.js';
import { acting, ADMIN, convergedCluster, LAB_SPEC, ssh, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`scale e2e: ${m}`);

let cluster: Cluster;
let work: string;
/** The lab spec without w2, its relative paths made absolute. */
let withoutW2: string;

const nodeNames = async () => (await ssh('cp1', `${ADMIN} get nodes -o name`)).trim().split('\n').sort();

beforeAll(async () => {
  cluster = await convergedCluster(log);
  work = mkdtempSync(join(tmpdir(), 'hactl-scale-e2e-'));
  withoutW2 = join(work, 'without-w2.yaml');
  const text = readFileSync(join(ROOT, LAB_SPEC), 'utf8').replaceAll('../../', ROOT);
  const kept = text.split('\n').filter((l) => !/^\s+- \{ name: w2,/.test(l));
  expect(kept.length).toBe(text.split('\n').length - 1);
  writeFileSync(withoutW2, kept.join('\n'));
}, 1_800_000);

afterAll(async () => {
  // Whatever happened, leave the whole cluster for the next test file.
  try {
    cluster?.converge();
  } finally {
    cluster?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  }
}, 1_200_000);

describe('scaling ha-stacked', () => {
  it('removes a worker that left the spec: drained, reset, cleaned up, its node deleted', async () => {
    const { plan, run } = cluster.planJson(withoutW2);
    expect(run.status).toBe(2);
    expect(plan.hosts.find((h) => h.name === 'w2')).toMatchObject({ removed: true, address: '198.18.0.17' });
    const changed = acting(plan);
    expect(changed.map((c) => c.id)).toEqual(['host-removal@w2']);
    const removal = changed.find((c) => c.id === 'host-removal@w2')!;
    expect(removal.action).toBe('delete');
    expect(removal.steps.map((s) => s.split(':')[0])).toEqual(['on cp1', 'on w2, if it can be reached', 'on w2, if it can be reached', 'on cp1']);

    const r = cluster.hactl('apply', '-f', withoutW2, '--auto-approve');
    log(`apply removing w2: ${(r.ms / 1000).toFixed(1)} s`);
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/w2: host-removal@w2: done/);
    expect(r.stdout).toMatch(/Apply complete! Resources: 0 added, 0 changed, 1 destroyed\./);
    expect(await nodeNames()).toEqual(['node/cp1', 'node/cp2', 'node/cp3', 'node/w1']);
    expect(
      (await ssh('w2', 'test ! -e /etc/kubernetes/kubelet.conf && ls -A /etc/cni/net.d | wc -l && systemctl is-enabled kubelet || true')).trim().split('\n'),
    ).toEqual(['0', 'disabled']);
    expectStatus(cluster.hactl('plan', '-f', withoutW2, '--detailed-exitcode'), 0);
  }, 900_000);

  it('adds the worker back: the plan touches only it; apply joins it', async () => {
    const { plan, run } = cluster.planJson();
    expect(run.status).toBe(2);
    const changed = acting(plan);
    const elsewhere = changed.filter((c) => c.host !== 'w2' && c.host !== '');
    expect(elsewhere.map((c) => c.id)).toEqual([]);
    expect(changed.map((c) => c.id)).toContain('join-worker@w2');
    expect(changed.some((c) => c.kind === 'lb-haproxy' || c.kind === 'lb-keepalived')).toBe(false);

    const r = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`apply adding w2: ${(r.ms / 1000).toFixed(1)} s`);
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/w2: join-worker@w2: done/);
    expect(await nodeNames()).toEqual(['node/cp1', 'node/cp2', 'node/cp3', 'node/w1', 'node/w2']);
    expectStatus(cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
  }, 900_000);
});
