// The lab's ha-external topology built by hactl from bare Debian 12 hosts (the lab's second OS;
// the other clusters run Debian 13): two load balancers with the VIP,
// three external etcd members (their own PKI, configuration, service and membership), three
// control-plane hosts and a worker. Then every node is Ready, the smoke test passed, nothing is
// left to plan and the plan shows three healthy etcd members. Drift: etcd stopped on one member is
// exactly what the plan shows (with that member unhealthy), and apply repairs it. Host loss: an
// etcd host powered off leaves quorum with two of three (kubectl through the VIP reads and
// writes), and the plan names the host unreachable and its member unhealthy. Other test files
// expect ha-stacked: it is brought back, bare, afterwards.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUp, sshExec, startHost, stopHost } from '../lab/index.js';
import { compileCli, expectStatus, type CliPackage, type Run } from './support/cli.js';
import { ADMIN, acting, ssh, type PlanJson } from './support/cluster.js';

const SPEC = 'examples/lab/ha-external.yaml';
const NODES = ['cp1', 'cp2', 'cp3', 'w1'];
const log = (m: string): void => console.error(`external e2e: ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface EtcdView {
  observedFrom?: string;
  unknown?: string;
  members: { name: string; id: string; started: boolean; healthy: boolean; leader: boolean; error?: string }[];
}
type ExternalPlan = PlanJson & { cluster?: { etcd?: EtcdView } };

let pkg: CliPackage;
const stopped = new Set<string>();

function hactl(...args: string[]): Run {
  return pkg.run(args);
}

function planJson(status: number): ExternalPlan {
  const r = hactl('plan', '-f', SPEC, '-o', 'json', '--detailed-exitcode');
  log(`plan: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
  expectStatus(r, status);
  return JSON.parse(r.stdout) as ExternalPlan;
}

/** Polls until `check` holds (or fails after `timeoutMs`). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}`);
    await sleep(everyMs);
  }
}

const healthyMembers = (p: ExternalPlan) =>
  (p.cluster?.etcd?.members ?? [])
    .filter((m) => m.healthy)
    .map((m) => m.name)
    .sort();

beforeAll(async () => {
  pkg = compileCli(['apply', 'plan', 'validate'], 'hactl-external-cli-');
  // Bare hosts of the other topology and the other OS (the global setup brought up ha-stacked on Debian 13).
  const started = Date.now();
  await labUp({ topology: 'ha-external', os: 'debian-12', fresh: true, log });
  log(`ha-external on Debian 12 up: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(async () => {
  try {
    for (const h of stopped) await startHost(h);
  } finally {
    pkg?.remove();
    // The other test files expect bare ha-stacked hosts.
    await labUp({ topology: 'ha-stacked', fresh: true, log });
  }
}, 900_000);

describe('ha-external built by hactl', () => {
  it('from bare hosts: every node Ready, smoke test passed, nothing left to plan, three healthy etcd members', async () => {
    for (const h of ['lb1', 'etcd1', 'cp1', 'w1']) expect((await ssh(h, '. /etc/os-release; echo "$VERSION_ID $VERSION_CODENAME"')).trim()).toBe('12 bookworm');
    expectStatus(hactl('validate', '-f', SPEC), 0);
    const r = hactl('apply', '-f', SPEC, '--auto-approve');
    log(`apply from bare hosts: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added, \d+ changed, 0 destroyed\./);
    for (const id of ['etcd-pki', 'etcd@etcd1', 'etcd@etcd2', 'etcd@etcd3', 'kubeadm-init@cp1', 'join-control-plane@cp3', 'join-worker@w1', 'smoke-test']) {
      expect(r.stdout).toMatch(new RegExp(`: ${id.replace(/[@.]/g, '\\$&')}: done`));
    }

    // The last node to join turns Ready once the CNI DaemonSet's pod has written its config there.
    await ssh('cp1', `${ADMIN} wait --for=condition=Ready node --all --timeout=90s`, 120_000);
    const nodes = await ssh('cp1', `${ADMIN} get nodes --no-headers`, 60_000);
    log(`nodes:\n${nodes.trim()}`);
    const rows = nodes
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((c) => c[0]).sort()).toEqual(NODES);
    for (const c of rows) expect(`${c[0]} ${c[1]}`).toBe(`${c[0]} Ready`);
    // The apiservers use the external members, not a stacked one.
    expect(await ssh('cp1', 'ls /etc/kubernetes/manifests')).not.toMatch(/etcd\.yaml/);

    const plan = planJson(0);
    const etcd = plan.cluster?.etcd;
    expect(etcd?.unknown).toBeUndefined();
    expect(etcd?.members.map((m) => m.name).sort()).toEqual(['etcd1', 'etcd2', 'etcd3']);
    expect(healthyMembers(plan)).toEqual(['etcd1', 'etcd2', 'etcd3']);
    expect(etcd?.members.filter((m) => m.leader)).toHaveLength(1);
  }, 1_800_000);

  it('etcd stopped on etcd2: the plan shows exactly that and the member unhealthy; apply repairs it', async () => {
    await ssh('etcd2', 'systemctl stop etcd');
    const plan = planJson(2);
    expect(acting(plan).map((c) => c.id)).toEqual(['etcd@etcd2']);
    const change = acting(plan)[0]!;
    expect(change.attributes.filter((a) => a.changed).map((a) => a.name)).toEqual(['service.etcd.active']);
    expect(change.steps).toEqual(['start etcd (not running)']);
    expect(healthyMembers(plan)).toEqual(['etcd1', 'etcd3']);
    const etcd2 = plan.cluster!.etcd!.members.find((m) => m.name === 'etcd2')!;
    expect(etcd2.started).toBe(true);
    expect(etcd2.error).toBeDefined();

    const r = hactl('apply', '-f', SPEC, '--auto-approve');
    log(`apply (start etcd on etcd2): ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/Apply complete! Resources: 0 added, 1 changed, 0 destroyed\./);
    expect(healthyMembers(planJson(0))).toEqual(['etcd1', 'etcd2', 'etcd3']);
  }, 600_000);

  it('etcd3 powered off: kubectl through the VIP reads and writes (quorum 2 of 3); the plan names etcd3 unreachable and its member unhealthy', async () => {
    stopped.add('etcd3');
    await stopHost('etcd3');

    await ssh('cp2', `${ADMIN} --request-timeout=10s get nodes`);
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: hactl-etcd-loss, namespace: default }\ndata: { at: "${Date.now()}" }\n`;
    await ssh('cp2', `printf '%s' '${cm}' | ${ADMIN} --request-timeout=10s apply -f -`);

    const plan = planJson(1);
    expect(plan.hosts.find((h) => h.name === 'etcd3')?.unreachable).toBeDefined();
    expect(plan.diagnostics.some((d) => d.severity === 'error' && d.host === 'etcd3')).toBe(true);
    expect(healthyMembers(plan)).toEqual(['etcd1', 'etcd2']);
    const etcd3 = plan.cluster!.etcd!.members.find((m) => m.name === 'etcd3')!;
    expect(etcd3.healthy).toBe(false);
    expect(etcd3.error).toBeDefined();

    await startHost('etcd3');
    stopped.delete('etcd3');
    // etcd is enabled: it starts at boot and catches up with the other two.
    await until('etcd3 healthy again', async () => (await sshExec('etcd3', 'systemctl is-active etcd', { timeoutMs: 10_000 })).code === 0, 120_000);
    let after: ExternalPlan | undefined;
    await until(
      'three healthy members in the plan',
      async () => {
        const r = hactl('plan', '-f', SPEC, '-o', 'json', '--detailed-exitcode');
        if (r.status !== 0) return false;
        after = JSON.parse(r.stdout) as ExternalPlan;
        return healthyMembers(after).length === 3;
      },
      120_000,
      5_000,
    );
    expect(healthyMembers(after!)).toEqual(['etcd1', 'etcd2', 'etcd3']);
  }, 600_000);
});
