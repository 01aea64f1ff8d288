// The lab's ha-external topology built by hactl from bare Debian 12 hosts (the lab's second OS;
// the other clusters run Debian 13): two load balancers with the VIP,
// three external etcd members (their own PKI, configuration, service and membership), three
// control-plane hosts and a worker. Then every node is Ready, the smoke test passed, nothing is
// left to plan and the plan shows three healthy etcd members. Drift: etcd stopped on one member is
// exactly what the plan shows (with that member unhealthy), and apply repairs it. Host loss: an
// etcd host powered off leaves quorum with two of three (kubectl through the VIP reads and
// writes), and the plan names the host unreachable and its member unhealthy. Replacement: etcd3 lost
// for good (`npm run lab -- remove`) and a bare machine under its name and address (`npm run lab --
// add`); the plan removes the dead member through a healthy one and adds the new machine afresh,
// nothing else acts, and /readyz through the VIP is probed every 500 ms from the loss to the end of
// the apply. Then the same loss while etcd2 is down: the replacement would cost quorum, and plan and
// apply refuse it with the reason. Other test files expect ha-stacked: it is brought back, bare,
// afterwards.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCDCTL } from '../../src/facts/etcd.js';
import { labUp, sshExec, startHost, stopHost } from '../lab/index.js';
import { compileCli, expectStatus, type CliPackage, type Run } from './support/cli.js';
import { ADMIN, acting, ssh, type PlanJson } from './support/cluster.js';
import { lab } from './support/lab-cli.js';
import { probeVip } from './support/vip-probe.js';

const SPEC = 'examples/lab/ha-external.yaml';
const EXTERNAL_VIP = '198.18.0.101';
const ETCD3 = '198.18.0.15';
const NODES = ['cp1', 'cp2', 'cp3', 'w1'];
const log = (m: string): void => console.error(`external e2e: ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

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

  it('etcd3 lost for good and a bare machine in its place: the dead member removed through a healthy one, etcd3 added afresh; three healthy members, the API up throughout', async () => {
    const probe = probeVip(EXTERNAL_VIP);
    const lost = Date.now();
    await lab('remove', 'etcd3');
    expect(await lab('add', 'etcd3', '--systemd', '--address', ETCD3)).toBe(`etcd3\t${ETCD3}\tsystemd\n`);
    log(`etcd3 lost for good and a bare machine in its place: ${secs(Date.now() - lost)}`);

    const planned = await pkg.start(['plan', '-f', SPEC, '-o', 'json', '--detailed-exitcode']).done;
    expect(planned.status, planned.stderr).toBe(2);
    const plan = JSON.parse(planned.stdout) as ExternalPlan;
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(healthyMembers(plan)).toEqual(['etcd1', 'etcd2']);
    const etcd3 = plan.changes.find((c) => c.id === 'etcd@etcd3')!;
    const membership = etcd3.steps.filter((st) => st.includes('etcd member'));
    expect(membership).toEqual([
      expect.stringMatching(/^on etcd[12]: remove the old etcd member etcd3 \([0-9a-f]+\): etcd3 has no etcd data/),
      expect.stringMatching(/^on etcd[12]: add etcd3 \(https:\/\/198\.18\.0\.15:2380\) as an etcd member/),
    ]);
    expect(new Set(acting(plan).map((c) => c.host))).toEqual(new Set(['etcd3']));

    const r = await pkg.start(['apply', '-f', SPEC, '--auto-approve']).done;
    const seen = await probe.stop();
    log(
      `etcd3 replaced: apply ${secs(r.ms)}, exit ${r.status}; ${secs(Date.now() - lost)} from the loss; /readyz through the VIP: ${seen.probes} probes, ${seen.failed} failed, longest gap ${secs(seen.longestGapMs)}`,
    );
    expectStatus(r, 0);

    const members = (await ssh('etcd1', `${ETCDCTL} member list -w simple`)).trim().split('\n');
    log(`members:\n${members.join('\n')}`);
    expect(members.map((l) => l.split(', ')[2]).sort()).toEqual(['etcd1', 'etcd2', 'etcd3']);
    expect(members.every((l) => l.split(', ')[1] === 'started')).toBe(true);
    const health = JSON.parse(await ssh('etcd1', `${ETCDCTL} endpoint health --cluster -w json`)) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
    expect(healthyMembers(planJson(0))).toEqual(['etcd1', 'etcd2', 'etcd3']);
    expect(seen.longestGapMs).toBeLessThan(5_000);
  }, 600_000);

  it('etcd3 lost again while etcd2 is down: replacing it would lose quorum, so plan and apply refuse with the reason and nothing is touched', async () => {
    // The last test of the file: afterAll brings up fresh ha-stacked hosts, so nothing is restored here.
    await ssh('etcd2', 'systemctl stop etcd');
    await lab('remove', 'etcd3');
    await lab('add', 'etcd3', '--systemd', '--address', ETCD3);
    const before = (await ssh('etcd1', `${ETCDCTL} member list -w simple`)).trim();

    const planned = await pkg.start(['plan', '-f', SPEC, '-o', 'json', '--detailed-exitcode']).done;
    log(`plan with etcd2 down and etcd3 reinstalled: ${secs(planned.ms)}, exit ${planned.status}`);
    expect(planned.status, planned.stderr).toBe(1);
    const plan = JSON.parse(planned.stdout) as ExternalPlan;
    // Without a quorum no member reports healthy (or, where the list cannot be read, the
    // membership is unknown), and a member without data can only be added through a quorum.
    // Whichever the plan saw, the refusal says why.
    expect(healthyMembers(plan).length).toBeLessThan(2);
    const why =
      /etcd member etcd3 (cannot be added: no member of the spec's etcd hosts is healthy to add it from|cannot be added: etcd's membership is unknown \(.+\), and etcd3 has no etcd data while the cluster runs|\([0-9a-f]+\) of the machine etcd3 replaces cannot be removed: the cluster has no quorum \(1 of 3 members healthy\)|cannot be added: with it the cluster has 3 members and needs 2 healthy, but only 1 are)/;
    const refusal = plan.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    log(`refused: ${refusal.join(' | ')}`);
    expect(refusal).toContainEqual(expect.stringMatching(why));

    const r = await pkg.start(['apply', '-f', SPEC, '--auto-approve']).done;
    log(`apply refused: ${secs(r.ms)}, exit ${r.status}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('hactl will not apply:');
    expect(r.stderr).toMatch(why);
    // Nothing ran: the membership is as it was, and the new machine is still bare.
    expect((await ssh('etcd1', `${ETCDCTL} member list -w simple`)).trim()).toBe(before);
    expect((await sshExec('etcd3', 'dpkg-query -W etcd-server', { timeoutMs: 30_000 })).code).not.toBe(0);
  }, 600_000);
});
