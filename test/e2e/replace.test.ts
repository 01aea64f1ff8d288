// Replacing lost hosts on the shared ha-stacked cluster, from the spec. Each host is lost for good
// (`npm run lab -- remove`: its disk, processes and network gone) and a bare machine takes its
// name and address (`npm run lab -- add --address`, a reinstalled machine with a new host key).
// The spec does not change: hactl finds the new machine bare while the cluster still holds the
// old one's records, and plans the replacement.
//   - cp1, the host that ran `kubeadm init`: its etcd member is removed through cp2 (a healthy
//     member) and its Node deleted, then the new cp1 joins as a control-plane host with a token and
//     certificate key made on cp2. Afterwards etcd has three healthy members.
//   - lb1, a load balancer: haproxy and keepalived set up again; the VIP answers throughout (it
//     moves to lb2 at the loss when lb1 held it: that failover is part of the measured gap).
// The apiserver is probed through the VIP every 500 ms from this machine from before the loss to
// the end of the apply; the longest gap, each replacement's time and the file's time are printed.
// Afterwards the next plan is empty, and the lab holds the same names and addresses as before.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabState, sshExec } from '../lab/index.js';
import { expectStatus, ROOT } from './support/cli.js';
import { ADMIN, convergedCluster, LAB_SPEC, ssh, VIP, type Cluster, type PlanJson } from './support/cluster.js';
import { probeVip } from './support/vip-probe.js';

const log = (m: string): void => console.error(`replace e2e: ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let cluster: Cluster;
let fileStarted = 0;
/** Where each replaced host lived, so that a failed run can put a bare machine back for the next file. */
const ADDRESSES: Record<string, string> = { cp1: '198.18.0.13', lb1: '198.18.0.11' };

/**
 * `npm run lab -- ARGS` (as a user runs it), in the background so that the VIP probe keeps running;
 * the lab lock is this run's, so it passes.
 */
async function lab(...args: string[]): Promise<string> {
  const r = await promisify(execFile)(process.execPath, [`${ROOT}node_modules/tsx/dist/cli.mjs`, 'test/lab/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r.stdout;
}

/** Loses `name` for good and puts a bare machine at its address under its name. */
async function reinstall(name: string): Promise<void> {
  const started = Date.now();
  await lab('remove', name);
  expect(readLabState()?.hosts.map((h) => h.name)).not.toContain(name);
  const removed = Date.now();
  expect(await lab('add', name, '--systemd', '--address', ADDRESSES[name]!)).toBe(`${name}\t${ADDRESSES[name]!}\tsystemd\n`);
  log(`${name} lost for good in ${secs(removed - started)}, a bare machine in its place ${secs(Date.now() - removed)} later`);
}

/** The Ready condition of a node as cp2 reads it (`True`, `False`, `Unknown`, or `` when there is no such node). */
async function readyOf(name: string): Promise<string> {
  const r = await sshExec('cp2', `${ADMIN} --request-timeout=5s get nodes -o json`, { timeoutMs: 30_000 });
  if (r.code !== 0) return '?';
  const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
  return list.items.find((n) => n.metadata.name === name)?.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await ok())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${secs(timeoutMs)}`);
    await sleep(1_000);
  }
  return Date.now() - started;
}

const ETCDCTL =
  'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key';

async function holdsVip(lb: string): Promise<boolean> {
  const r = await sshExec(lb, 'ip -4 -o addr show dev eth0', { timeoutMs: 10_000 });
  return r.code === 0 && r.stdout.includes(`${VIP}/`);
}

/** `plan -o json` of the lab spec, in the background so that the VIP probe keeps running. */
async function planInBackground(): Promise<PlanJson> {
  const r = await cluster.cli.start(['plan', '-f', LAB_SPEC, '-o', 'json', '--detailed-exitcode']).done;
  if (r.status !== 0 && r.status !== 2) throw new Error(`plan failed (${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as PlanJson;
}

/** Applies the lab spec in the background while the VIP is probed; the apply's run and the probe's figures. */
async function applyWhileProbing(probe: ReturnType<typeof probeVip>) {
  const r = await cluster.cli.start(['apply', '-f', LAB_SPEC, '--auto-approve', '--log-dir', `${cluster.cli.dir}/runs`]).done;
  const seen = await probe.stop();
  return { r, seen };
}

beforeAll(async () => {
  fileStarted = Date.now();
  cluster = await convergedCluster(log);
}, 1_800_000);

afterAll(async () => {
  try {
    // A run that stopped half-way leaves the next file bare machines under the lab's names.
    const names = new Set(readLabState()?.hosts.map((h) => h.name));
    for (const name of Object.keys(ADDRESSES)) if (!names.has(name)) await lab('add', name, '--address', ADDRESSES[name]!);
  } finally {
    cluster?.remove();
    log(`file: ${secs(Date.now() - fileStarted)} in all (the shared cluster's convergence included)`);
  }
}, 600_000);

describe('replacing lost hosts on ha-stacked', () => {
  it('cp1, the kubeadm init host, lost and reinstalled: member and node removed through cp2, cp1 joins again; three healthy members, the API up throughout', async () => {
    const probe = probeVip();
    const lost = Date.now();
    await reinstall('cp1');
    // The old node must read NotReady: a Ready node of the name would mean another machine runs as cp1.
    const notReady = await until('node cp1 NotReady', async () => (await readyOf('cp1')) !== 'True', 120_000);
    log(`node cp1 NotReady ${secs(notReady)} later`);

    const plan = await planInBackground();
    const errors = plan.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([]);
    const removal = plan.changes.find((c) => c.id === 'host-removal@cp1')!;
    expect(removal.steps).toEqual([
      expect.stringMatching(/^on cp2: remove etcd member cp1 \([0-9a-f]+\) of cp1 if it is still listed/),
      'on cp2: delete node cp1 from the cluster and check it is gone',
    ]);
    const init = plan.changes.find((c) => c.id === 'kubeadm-init@cp1')!;
    expect(init.steps.join('\n')).not.toContain('kubeadm init --config');
    expect(init.steps.some((s) => s.startsWith('on cp2: create a bootstrap token') && s.includes('re-upload the control-plane certificates'))).toBe(true);
    // Only the new machine changes (and the cluster's records of the old one).
    expect(new Set(actingHosts(plan))).toEqual(new Set(['cp1']));

    const { r, seen } = await applyWhileProbing(probe);
    log(
      `cp1 replaced: apply ${secs(r.ms)}, exit ${r.status}; ${secs(Date.now() - lost)} from the loss; /readyz through the VIP: ${seen.probes} probes, ${seen.failed} failed, longest gap ${secs(seen.longestGapMs)}`,
    );
    expectStatus(r, 0);
    expect(r.stdout).toMatch(/host-removal@cp1/);

    const members = (await ssh('cp2', `${ETCDCTL} member list -w simple`)).trim().split('\n');
    expect(members.map((l) => l.split(', ')[2]).sort()).toEqual(['cp1', 'cp2', 'cp3']);
    expect(members.every((l) => l.split(', ')[1] === 'started')).toBe(true);
    const health = await ssh('cp2', `${ETCDCTL} endpoint health --cluster -w json`);
    expect((JSON.parse(health) as { health: boolean }[]).map((h) => h.health)).toEqual([true, true, true]);
    expect(await readyOf('cp1')).toBe('True');
    expectStatus(cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
    expect(seen.longestGapMs).toBeLessThan(60_000);
  }, 900_000);

  it('lb1, a load balancer, lost and reinstalled: haproxy and keepalived set up again, the VIP kept throughout', async () => {
    // The loss of the VIP's holder is a failover (host-loss.test.ts measures it); the VIP is on lb2 for this one.
    const holder = (await holdsVip('lb1')) ? 'lb1' : 'lb2';
    log(`VIP on ${holder} before the loss`);
    const probe = probeVip();
    const lost = Date.now();
    await reinstall('lb1');
    await until('VIP on lb2', () => holdsVip('lb2'), 60_000);
    const plan = await planInBackground();
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(new Set(actingHosts(plan))).toEqual(new Set(['lb1']));
    expect(plan.changes.filter((c) => c.kind === 'host-removal')).toEqual([]);

    const { r, seen } = await applyWhileProbing(probe);
    log(
      `lb1 replaced: apply ${secs(r.ms)}, exit ${r.status}; ${secs(Date.now() - lost)} from the loss; /readyz through the VIP: ${seen.probes} probes, ${seen.failed} failed, longest gap ${secs(seen.longestGapMs)}`,
    );
    expectStatus(r, 0);
    expect((await ssh('lb1', 'systemctl is-active haproxy keepalived')).trim().split('\n')).toEqual(['active', 'active']);
    expect((await holdsVip('lb1')) || (await holdsVip('lb2'))).toBe(true);
    expectStatus(cluster.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
    expect(seen.longestGapMs).toBeLessThan(holder === 'lb1' ? 15_000 : 5_000);
  }, 600_000);
});

function actingHosts(plan: PlanJson): string[] {
  return plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read').map((c) => c.host);
}
