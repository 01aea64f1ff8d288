// Host loss on the shared ha-stacked cluster: the load balancer holding the VIP powers off and
// the VIP moves to the other one (the failover time is measured and printed); the first
// control-plane host powers off and the cluster carries on through the VIP (kubectl, etcd quorum
// for writes, leader leases moving to survivors) while `hactl plan` still runs and names the dead
// host plainly. Hosts are started again afterwards and the cluster left converged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshExec, startHost, stopHost } from '../lab/index.js';
import { ADMIN, convergedCluster, LAB_SPEC, ssh, VIP, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`host loss e2e: ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let cluster: Cluster;
const stopped = new Set<string>();

async function holdsVip(lb: string): Promise<boolean> {
  const r = await sshExec(lb, 'ip -4 -o addr show dev eth0', { timeoutMs: 10_000 });
  return r.code === 0 && r.stdout.includes(`${VIP}/`);
}

/** Polls `cmd` on `host` until it exits 0; the time it took, or undefined after `timeoutMs`. */
async function until(host: string, cmd: string, timeoutMs: number, everyMs = 250): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await sshExec(host, cmd, { timeoutMs: 10_000 })).code === 0) return Date.now() - started;
    await sleep(everyMs);
  }
  return undefined;
}

const leaseHolder = async (lease: string) =>
  (await ssh('cp2', `${ADMIN} -n kube-system get lease ${lease} -o jsonpath='{.spec.holderIdentity}'`)).trim().replace(/_.*$/, '');

beforeAll(async () => {
  cluster = await convergedCluster(log);
}, 1_800_000);

afterAll(async () => {
  try {
    for (const h of stopped) await startHost(h);
    // cp1 back: its kubelet restarts the static pods and etcd catches up; then the cluster converges.
    await until('cp1', `${ADMIN} get --raw /readyz`, 180_000, 2_000);
    if (cluster) cluster.converge();
  } finally {
    cluster?.remove();
  }
}, 1_200_000);

describe('host loss on ha-stacked', () => {
  it('the VIP moves to the other load balancer when its holder powers off', async () => {
    const holder = (await holdsVip('lb1')) ? 'lb1' : 'lb2';
    const other = holder === 'lb1' ? 'lb2' : 'lb1';
    expect(await holdsVip(holder)).toBe(true);
    expect(await holdsVip(other)).toBe(false);

    const t0 = Date.now();
    stopped.add(holder);
    await stopHost(holder);
    const stoppedAfter = Date.now() - t0;
    // The apiserver through the VIP, asked from a control-plane host (admin.conf points at the VIP).
    const answered = await until('cp2', `${ADMIN} --request-timeout=2s get --raw /readyz`, 60_000);
    expect(answered, 'the apiserver did not answer through the VIP within 60 s').toBeDefined();
    const failoverMs = Date.now() - t0;
    expect(await holdsVip(other)).toBe(true);
    log(
      `VIP failover ${holder} -> ${other}: ${(failoverMs / 1000).toFixed(1)} s from poweroff to /readyz through the VIP (${(stoppedAfter / 1000).toFixed(1)} s of it until the host was gone)`,
    );

    await startHost(holder);
    stopped.delete(holder);
    expect(await until(holder, 'systemctl is-active keepalived haproxy', 60_000, 1_000)).toBeDefined();
  }, 300_000);

  it('with cp1 powered off: kubectl through the VIP, etcd writes, the leases move, plan names cp1 unreachable', async () => {
    stopped.add('cp1');
    await stopHost('cp1');

    // Reads and writes through the VIP (a write needs etcd quorum: two of three members). Until
    // haproxy's health checks mark cp1 down, a request sent there times out: each is retried.
    expect(await until('cp2', `${ADMIN} --request-timeout=5s get nodes`, 60_000, 1_000)).toBeDefined();
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: hactl-host-loss, namespace: default }\ndata: { at: "${Date.now()}" }\n`;
    expect(await until('cp2', `printf '%s' '${cm}' | ${ADMIN} --request-timeout=5s apply -f -`, 60_000, 1_000)).toBeDefined();
    expect(await until('cp2', `${ADMIN} --request-timeout=5s -n default delete configmap hactl-host-loss`, 60_000, 1_000)).toBeDefined();

    // The leader-election leases end up on surviving hosts (15 s lease duration).
    const moved = async () => !['cp1', ''].includes(await leaseHolder('kube-scheduler')) && !['cp1', ''].includes(await leaseHolder('kube-controller-manager'));
    const started = Date.now();
    while (!(await moved()) && Date.now() - started < 90_000) await sleep(2_000);
    expect(await moved()).toBe(true);
    log(
      `leases on ${await leaseHolder('kube-scheduler')} (scheduler), ${await leaseHolder('kube-controller-manager')} (controller-manager) ${((Date.now() - started) / 1000).toFixed(1)} s after cp1 was gone`,
    );

    // plan still runs: cp1 is named unreachable with the reason, the other hosts are observed.
    const human = cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode');
    log(`plan with cp1 down: ${(human.ms / 1000).toFixed(1)} s, exit ${human.status}`);
    expect(human.status).toBe(1);
    // Said once, on stderr; the plan on stdout says it is incomplete.
    expect(human.stderr).toMatch(/host cp1 \(198\.18\.0\.13\) was not observed: \S/);
    expect(human.stdout).toMatch(/Plan incomplete: 1 of \d+ hosts was not observed \(cp1\)/);
    // The others are observed: their resources are planned (no change on them).
    expect(human.stderr).not.toMatch(/host (cp2|cp3|lb1|lb2|w1|w2) .* was not observed/);
    const json = cluster.hactl('plan', '-f', LAB_SPEC, '-o', 'json');
    const plan = JSON.parse(json.stdout) as { hosts: { name: string; unreachable?: string; factsDigest?: string }[] };
    expect(plan.hosts.find((h) => h.name === 'cp1')?.unreachable).toMatch(/\S/);
    for (const h of plan.hosts.filter((x) => x.name !== 'cp1')) expect(h.factsDigest, h.name).toBeDefined();
  }, 600_000);
});
