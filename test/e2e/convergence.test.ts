// The convergence matrix in the lab (the unit half: test/resources/convergence-matrix.test.ts):
// on the shared converged ha-stacked cluster (support/cluster.ts), one mutation in each of many
// resources, most on different hosts, all made at once; then one plan (exactly those resources
// change), one apply, one plan (empty). Batched so that the matrix costs one apply of CI's time;
// a failure names the resources that did not show, did not converge or failed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acting, ADMIN, convergedCluster, LAB_SPEC, ssh, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`convergence e2e: ${m}`);

interface Mutation {
  /** The resource that must show it, and only it. */
  resource: string;
  /** What happened, in the matrix's words. */
  what: string;
  on: string;
  command: string;
}

const mutations: Mutation[] = [
  // The reported case: the last line of /etc/hosts (hactl's end marker) deleted on a worker.
  { resource: 'os-prep@w1', what: '/etc/hosts end marker deleted', on: 'w1', command: "sed -i '/^# END hactl$/d' /etc/hosts" },
  { resource: 'os-prep@cp2', what: 'a sysctl changed at runtime', on: 'cp2', command: 'sysctl -q -w net.ipv4.ip_forward=0' },
  { resource: 'os-prep@lb1', what: '/etc/hosts with CRLF line ends', on: 'lb1', command: "sed -i 's/$/\r/' /etc/hosts" },
  {
    resource: 'os-prep@lb2',
    what: 'the sysctl file replaced by a symbolic link',
    on: 'lb2',
    command: 'cp /etc/sysctl.d/99-kubernetes.conf /root/sysctl-copy.conf && ln -sfn /root/sysctl-copy.conf /etc/sysctl.d/99-kubernetes.conf',
  },
  { resource: 'os-prep@cp3', what: 'the modules-load file deleted', on: 'cp3', command: 'rm -f /etc/modules-load.d/kubernetes.conf' },
  { resource: 'containerd@w2', what: 'config.toml mode changed', on: 'w2', command: 'chmod 0600 /etc/containerd/config.toml' },
  { resource: 'package-sources@cp1', what: 'a sources file emptied', on: 'cp1', command: ': > /etc/apt/sources.list.d/hactl-os.list' },
  { resource: 'kube-packages@cp2', what: 'kubectl unheld', on: 'cp2', command: 'apt-mark unhold kubectl >/dev/null' },
  { resource: 'kube-packages@w2', what: 'kubelet masked', on: 'w2', command: 'systemctl mask kubelet 2>/dev/null' },
  {
    resource: 'kube-packages@w1',
    what: 'kubectl removed',
    on: 'w1',
    command: 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q --allow-change-held-packages kubectl >/dev/null',
  },
  { resource: 'lb-haproxy@lb1', what: 'haproxy disabled', on: 'lb1', command: 'systemctl disable haproxy 2>/dev/null' },
  { resource: 'lb-haproxy@lb2', what: 'haproxy stopped', on: 'lb2', command: 'systemctl stop haproxy' },
  {
    resource: 'lb-keepalived@lb1',
    what: 'keepalived.conf with garbage appended',
    on: 'lb1',
    command: "printf 'garbage by hand\\n' >> /etc/keepalived/keepalived.conf",
  },
  { resource: 'node-config@w1', what: 'a node label removed', on: 'cp1', command: `${ADMIN} label node w1 hactl.io/lab-pool-` },
  { resource: 'cni', what: "the CNI's DaemonSet deleted", on: 'cp3', command: `${ADMIN} -n kube-system delete daemonset lab-cni` },
];

let cluster: Cluster;

beforeAll(async () => {
  cluster = await convergedCluster(log);
}, 1_800_000);

afterAll(() => cluster?.remove());

describe('the convergence matrix on a converged ha-stacked cluster', () => {
  it(`${mutations.length} mutations at once: one plan shows exactly their resources, one apply converges them, the next plan is empty`, async () => {
    const started = Date.now();
    // Different hosts at once; the two on one host (none share a file) one after the other.
    const byHost = new Map<string, Mutation[]>();
    for (const m of mutations) byHost.set(m.on, [...(byHost.get(m.on) ?? []), m]);
    await Promise.all(
      [...byHost.values()].map(async (ms) => {
        for (const m of ms) await ssh(m.on, m.command);
      }),
    );

    const { plan, run } = cluster.planJson();
    log(`plan after ${mutations.length} mutations: ${(run.ms / 1000).toFixed(1)} s`);
    expect(run.status).toBe(2);
    const shown = acting(plan).map((c) => c.id);
    const wanted = [...new Set(mutations.map((m) => m.resource))];
    expect(
      {
        'not shown': mutations.filter((m) => !shown.includes(m.resource)).map((m) => `${m.resource} (${m.what})`),
        'shown without a mutation': shown.filter((id) => !wanted.includes(id)),
        errors: plan.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.resource ?? d.host ?? ''}: ${d.message}`),
      },
      'plan',
    ).toEqual({ 'not shown': [], 'shown without a mutation': [], errors: [] });

    const apply = cluster.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(`apply: ${(apply.ms / 1000).toFixed(1)} s, exit ${apply.status}`);
    const failed = apply.stdout.split('\n').filter((l) => /FAILED|did not converge|Skipped/.test(l));
    expect({ status: apply.status, failed }, `apply\n${apply.stdout.slice(-3000)}\n${apply.stderr.slice(-2000)}`).toEqual({ status: 0, failed: [] });

    const after = cluster.planJson();
    log(`plan after apply: ${(after.run.ms / 1000).toFixed(1)} s; in all ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const left = acting(after.plan).map(
      (c) =>
        `${c.id}: ${[...c.attributes.filter((a) => a.changed).map((a) => a.name), ...c.files.filter((f) => f.action !== 'no-op').map((f) => f.path)].join(', ')}`,
    );
    expect({ status: after.run.status, 'did not converge': left }).toEqual({ status: 0, 'did not converge': [] });
  }, 900_000);
});
