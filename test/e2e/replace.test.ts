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
//   - w2, a worker, replaced by a new machine under a new name and address (w3): the spec's copy
//     names w3 in w2's place; node w2 (NotReady, its host silent) is deleted through the cluster
//     host and w3 joins. Then the lab is put back the same way (w3 lost, a new w2 at w2's old
//     address, the lab spec applied): a second new-name replacement.
// The apiserver is probed through the VIP every 500 ms from this machine from before the loss to
// the end of the apply; the longest gap, each replacement's time and the file's time are printed.
// Afterwards the next plan is empty, and the lab holds the same names and addresses as before.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabState, sshExec } from '../lab/index.js';
import { expectStatus, ROOT } from './support/cli.js';
import { ADMIN, convergedCluster, LAB_SPEC, ssh, VIP, type Cluster, type PlanJson } from './support/cluster.js';
import { lab } from './support/lab-cli.js';
import { probeVip } from './support/vip-probe.js';

const log = (m: string): void => console.error(`replace e2e: ${m}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

let cluster: Cluster;
let fileStarted = 0;
/** Where each replaced host lived, so that a failed run can put a bare machine back for the next file. */
const ADDRESSES: Record<string, string> = { cp1: '198.18.0.13', lb1: '198.18.0.11', w2: '198.18.0.17' };
/** The new worker's address: free in the lab's ha-stacked topology (198.18.0.11-17) and beyond what `lab add` hands out next. */
const W3 = '198.18.0.30';

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

/** NotReady as the node controller says it: the Ready condition False or Unknown (not `?`, an unanswered read). */
const notReadyOf = (ready: string): boolean => ready === 'False' || ready === 'Unknown';

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

/** `plan -o json` of `spec`, in the background so that the VIP probe keeps running. */
async function planInBackground(spec = LAB_SPEC): Promise<PlanJson> {
  const r = await cluster.cli.start(['plan', '-f', spec, '-o', 'json', '--detailed-exitcode']).done;
  if (r.status !== 0 && r.status !== 2) throw new Error(`plan failed (${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as PlanJson;
}

/** Applies `spec` in the background while the VIP is probed; the apply's run and the probe's figures. */
async function applyWhileProbing(probe: ReturnType<typeof probeVip>, spec = LAB_SPEC) {
  const r = await cluster.cli.start(['apply', '-f', spec, '--auto-approve', '--log-dir', `${cluster.cli.dir}/runs`]).done;
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
    if (names.has('w3')) await lab('remove', 'w3');
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
    const notReady = await until('node cp1 NotReady', async () => notReadyOf(await readyOf('cp1')), 120_000);
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

  it('w2, a worker, lost and replaced by a new machine w3 at a new address: node w2 deleted, w3 joins; then w3 lost and a new w2 at the old address (the lab spec again)', async () => {
    await replaceWorker('w2', 'w3', W3, specWithW3());
    await replaceWorker('w3', 'w2', ADDRESSES.w2!, LAB_SPEC);
  }, 900_000);
});

/** A copy of the lab spec with worker w2's entry replaced by w3's (paths made absolute: the copy lives elsewhere). */
function specWithW3(): string {
  const text = readFileSync(join(ROOT, LAB_SPEC), 'utf8');
  const w2 = '  - { name: w2, address: 198.18.0.17, roles: [worker] }';
  expect(text).toContain(w2);
  const path = join(cluster.cli.dir, 'ha-stacked-w3.yaml');
  writeFileSync(path, text.replace(w2, `  - { name: w3, address: ${W3}, roles: [worker] }`).replaceAll('../../', ROOT));
  return path;
}

/**
 * `gone` (a worker) lost for good and a new machine `added` at `address` in its place; `spec`
 * names `added` and not `gone`. The plan deletes node `gone` through the cluster host, nothing
 * runs on `gone`, `added` joins; afterwards `added` is Ready, no node `gone`, the next plan empty.
 */
async function replaceWorker(gone: string, added: string, address: string, spec: string): Promise<void> {
  const probe = probeVip();
  const lost = Date.now();
  await lab('remove', gone);
  expect(await lab('add', added, '--systemd', '--address', address)).toBe(`${added}\t${address}\tsystemd\n`);
  // A Ready node would be drained: its pods could never leave a machine that is gone.
  const notReady = await until(`node ${gone} NotReady`, async () => notReadyOf(await readyOf(gone)), 120_000);
  log(`node ${gone} NotReady ${secs(notReady)} after ${added} was added`);

  const plan = await planInBackground(spec);
  expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const removal = plan.changes.find((c) => c.id === `host-removal@${gone}`)!;
  expect(removal.steps).toEqual([
    `on ${gone}, if it can be reached: kubeadm reset -f (removes its stacked etcd member, static pods, kubelet state, certificates and kubeconfigs)`,
    `on ${gone}, if it can be reached: stop and disable the kubelet; remove the CNI configuration and state (/etc/cni/net.d, /var/lib/cni), which kubeadm reset leaves`,
    expect.stringMatching(new RegExp(`^on cp[123]: delete node ${gone} from the cluster and check it is gone$`)),
  ]);
  expect(plan.diagnostics.some((d) => d.severity === 'warning' && d.host === gone && d.message.includes('is unreachable'))).toBe(true);
  expect(plan.changes.find((c) => c.id === `join-worker@${added}`)?.action).toBe('create');
  expect(new Set(actingHosts(plan))).toEqual(new Set([gone, added]));

  const { r, seen } = await applyWhileProbing(probe, spec);
  log(
    `${gone} replaced by ${added} (${address}): apply ${secs(r.ms)}, exit ${r.status}; ${secs(Date.now() - lost)} from the loss; /readyz through the VIP: ${seen.probes} probes, ${seen.failed} failed, longest gap ${secs(seen.longestGapMs)}`,
  );
  expectStatus(r, 0);
  expect(r.stdout).toContain(`host-removal@${gone}`);
  await until(`node ${added} Ready`, async () => (await readyOf(added)) === 'True', 120_000);
  expect(await readyOf(gone)).toBe('');
  expectStatus(cluster.hactl('plan', '-f', spec, '--detailed-exitcode'), 0);
  expect(seen.longestGapMs).toBeLessThan(5_000);
}

function actingHosts(plan: PlanJson): string[] {
  return plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read').map((c) => c.host);
}
