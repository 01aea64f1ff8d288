// host-removal as data: the cluster as the API server reports it in, the planned steps and the
// quorum verdicts out; and the executor carrying a removal out against fake hosts.

import { describe, expect, it } from 'vitest';
import { Executor } from '../../src/apply/executor.js';
import { RunLog } from '../../src/apply/runlog.js';
import type { ClusterFacts, ClusterNode } from '../../src/facts/cluster.js';
import type { EtcdFacts } from '../../src/facts/etcd.js';
import { CONTROL_PLANE_LABEL, planHostRemovals, removedHostTarget, type HostRemovalInput } from '../../src/resources/host-removal.js';
import { FakeWorld } from '../apply/fake.js';
import { bareCluster, planSpec, specFixture, TEST_ENV } from './helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const spec = specFixture('ha-haproxy.yaml');

const node = (name: string, cp: boolean, ready = true): ClusterNode => ({
  name,
  ready,
  labels: cp ? { [CONTROL_PLANE_LABEL]: '' } : {},
  annotations: {},
  taints: [],
  unschedulable: false,
});
const cluster = (...nodes: ClusterNode[]): ClusterFacts => ({ observedFrom: 'cp1', nodes, daemonsets: [], leaseHolders: {} });
const gone = (...names: string[]) => names.map((name, i) => ({ name, address: `10.0.0.${90 + i}`, source: 'Kubernetes node' }));
const base: Omit<HostRemovalInput, 'removed'> = { spec, firstControlPlane: 'cp1' };
/** Stacked etcd as a healthy member reports it: `name` healthy, `name!` unhealthy. */
const etcd = (...names: string[]): EtcdFacts => ({
  observedFrom: 'cp1',
  clusterId: 'c1',
  members: names.map((n, i) => {
    const name = n.replace(/!$/, '');
    return {
      id: (0xa0 + i).toString(16),
      name,
      peerURLs: [`https://10.0.0.${10 + i}:2380`],
      clientURLs: [`https://10.0.0.${10 + i}:2379`],
      started: true,
      healthy: !n.endsWith('!'),
      leader: i === 0,
    };
  }),
});

interface Row {
  name: string;
  input: HostRemovalInput;
  /** Step descriptions, each as a prefix. */
  steps: string[];
  errors: RegExp[];
  warnings?: RegExp[];
}

const FULL = ['on cp1: drain node', 'on ', 'on ', 'on cp1: delete node'];
const WITH_MEMBER = ['on cp1: drain node', 'on ', 'on ', 'on cp1: remove etcd member cp3 (a2) of cp3 if it is still listed', 'on cp1: delete node'];
const rows: Row[] = [
  {
    name: 'a worker: drain, reset, cleanup, delete',
    input: {
      ...base,
      removed: gone('w2'),
      clusterFacts: cluster(node('cp1', true), node('cp2', true), node('cp3', true), node('w1', false), node('w2', false)),
    },
    steps: FULL,
    errors: [],
  },
  {
    name: 'a stacked control-plane host of three, all healthy: allowed, its member removed from the cluster host, with the even-count warning',
    input: { ...base, removed: gone('cp3'), clusterFacts: cluster(node('cp1', true), node('cp2', true), node('cp3', true)), etcd: etcd('cp1', 'cp2', 'cp3') },
    steps: WITH_MEMBER,
    errors: [],
    warnings: [/etcd has 2 members until the replacement joins/],
  },
  {
    name: 'a lost control-plane host (NotReady, member unhealthy): not drained, its member removed, the others keep quorum',
    input: {
      ...base,
      removed: gone('cp3'),
      clusterFacts: cluster(node('cp1', true), node('cp2', true), node('cp3', true, false)),
      etcd: etcd('cp1', 'cp2', 'cp3!'),
    },
    steps: WITH_MEMBER.slice(1),
    errors: [],
    warnings: [/etcd has 2 members/],
  },
  {
    name: 'a healthy control-plane host when another member is down: would break quorum',
    input: {
      ...base,
      removed: gone('cp3'),
      clusterFacts: cluster(node('cp1', true), node('cp2', true, false), node('cp3', true)),
      etcd: etcd('cp1', 'cp2!', 'cp3'),
    },
    steps: WITH_MEMBER,
    errors: [/removing etcd member cp3 \(a2\) of cp3 would break etcd quorum: 2 member\(s\) would remain, 2 needed, and only 1 of them are healthy/],
  },
  {
    name: 'a lost control-plane host when etcd has lost quorum already: refused',
    input: {
      ...base,
      removed: gone('cp3'),
      clusterFacts: cluster(node('cp1', true), node('cp2', true, false), node('cp3', true, false)),
      etcd: etcd('cp1', 'cp2!', 'cp3!'),
    },
    steps: WITH_MEMBER.slice(1),
    errors: [/etcd member cp3 \(a2\) of cp3 cannot be removed: etcd has no quorum \(1 of 3 members healthy, 2 needed\)/],
  },
  {
    name: 'a stacked control-plane host whose etcd membership could not be read: not planned',
    input: {
      ...base,
      removed: gone('cp3'),
      clusterFacts: cluster(node('cp1', true), node('cp2', true), node('cp3', true)),
      etcdError: 'no etcd member answered',
    },
    steps: FULL,
    errors: [/etcd's membership could not be read \(no etcd member answered\): whether removing cp3's member keeps quorum is unknown/],
  },
  {
    name: 'two control-plane hosts at once: one at a time',
    input: {
      ...base,
      removed: gone('cp4', 'cp5'),
      clusterFacts: cluster(node('cp1', true), node('cp2', true), node('cp3', true), node('cp4', true), node('cp5', true)),
    },
    steps: FULL,
    errors: [/remove one at a time/],
  },
  {
    name: 'the last control-plane host',
    input: { ...base, removed: gone('cp9'), clusterFacts: cluster(node('cp9', true)) },
    steps: FULL,
    errors: [/last control-plane host/],
  },
  {
    name: 'no cluster yet: only reset and cleanup on the host',
    input: { ...base, removed: gone('w2') },
    steps: ['on w2, if it can be reached: kubeadm reset', 'on w2, if it can be reached: stop and disable'],
    errors: [],
  },
  {
    name: 'a cluster that does not answer: not planned safely',
    input: { ...base, removed: gone('w2'), clusterFactsError: 'connection refused' },
    steps: FULL,
    errors: [/could not be read \(connection refused\): whether w2 holds an etcd member is unknown/],
  },
];

describe('planHostRemovals', () => {
  it.each(rows)('$name', (row) => {
    const [r] = planHostRemovals(row.input);
    expect(r!.change).toMatchObject({ id: `host-removal@${row.input.removed[0]!.name}`, kind: 'host-removal', action: 'delete' });
    expect(r!.change.steps).toHaveLength(row.steps.length);
    row.steps.forEach((s, i) => expect(r!.change.steps[i]!.startsWith(s), r!.change.steps[i]).toBe(true));
    expect(r!.operations.map((o) => o.description)).toEqual(r!.change.steps);
    const errors = r!.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    expect(errors).toHaveLength(row.errors.length);
    row.errors.forEach((re, i) => expect(errors[i]).toMatch(re));
    const warnings = r!.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
    expect(warnings).toHaveLength(row.warnings?.length ?? 0);
    row.warnings?.forEach((re, i) => expect(warnings[i]).toMatch(re));
  });

  it('quotes a name read from /etc/hosts wherever it reaches a shell', () => {
    const [r] = planHostRemovals({ ...base, removed: gone("w2;touch /x'"), clusterFacts: cluster(node('cp1', true)) });
    const cmds = r!.operations.map((o) => o.command).join('\n');
    expect(cmds).toContain(`drain 'w2;touch /x'\\''' --ignore-daemonsets`);
    expect(cmds).toContain(`delete node 'w2;touch /x'\\''' --ignore-not-found`);
    expect(cmds).not.toMatch(/ w2;touch/);
    expect(r!.operations.filter((o) => o.runOn === 'cp1')).toHaveLength(2);
  });

  it('reaches a removed host with the spec SSH defaults', () => {
    const h = removedHostTarget(spec, 'w2', '10.0.0.90');
    expect(h).toMatchObject({ name: 'w2', address: '10.0.0.90', ssh: { user: spec.ssh.user, port: spec.ssh.port, knownHostsFile: spec.ssh.knownHostsFile } });
    expect(h.ssh).not.toHaveProperty('parallelism');
  });
});

describe('Executor.removeHost', () => {
  const facts = bareCluster(spec, 'debian12');
  const detailed = planSpec(spec, facts, { env: TEST_ENV });
  const run = async (unreachable: boolean, clusterFacts: ClusterFacts, membership?: EtcdFacts) => {
    const world = new FakeWorld(new Map(facts), detailed, {
      answer: () => ({ code: 0, stdout: '', stderr: '', durationMs: 0 }),
      unreachable: (h) => (unreachable && h === 'gone' ? 'connection refused' : undefined),
    });
    const log = new RunLog({ root: mkdtempSync(join(tmpdir(), 'hactl-removal-')), id: 'run' });
    const ex = new Executor({
      spec,
      plan: detailed.plan,
      facts: new Map(facts),
      probe: world.probe,
      withTransport: world.withTransport,
      env: TEST_ENV,
      localFiles: new Map(),
      log,
    });
    const [removal] = planHostRemovals({
      ...base,
      removed: [{ name: 'gone', address: '10.0.0.99', source: 'Kubernetes node' }],
      clusterFacts,
      ...(membership !== undefined ? { etcd: membership } : {}),
    });
    const outcome = await ex.removeHost(removal!, removedHostTarget(spec, 'gone', '10.0.0.99'), new AbortController().signal).then(
      () => 'done',
      (e: Error) => e.message,
    );
    return { outcome, calls: world.calls.filter((c) => c.type === 'exec').map((c) => `${c.host}: ${c.what.split(' ').slice(0, 4).join(' ')}`) };
  };

  it('runs drain and delete on the first control-plane host and reset and cleanup on the host', async () => {
    const r = await run(false, cluster(node('cp1', true), node('gone', false)));
    expect(r.outcome).toBe('done');
    expect(r.calls).toEqual([
      'gone: true',
      'cp1: nodes=$(kubectl --kubeconfig /etc/kubernetes/admin.conf get',
      'gone: if command -v kubeadm',
      'gone: if systemctl cat kubelet.service',
      'cp1: kubectl --kubeconfig /etc/kubernetes/admin.conf delete',
    ]);
  });

  it('skips reset and cleanup on an unreachable worker, and still deletes its node', async () => {
    const r = await run(true, cluster(node('cp1', true), node('gone', false)));
    expect(r.outcome).toBe('done');
    expect(r.calls.map((c) => c.split(':')[0])).toEqual(['cp1', 'cp1']);
  });

  it('removes the stacked etcd member of an unreachable (lost) control-plane host from the cluster host, then its node', async () => {
    const r = await run(true, cluster(node('cp1', true), node('cp2', true), node('gone', true, false)), etcd('cp1', 'cp2', 'gone!'));
    expect(r.outcome).toBe('done');
    expect(r.calls.map((c) => c.split(':')[0])).toEqual(['cp1', 'cp1']);
    expect(r.calls[0]).toMatch(/^cp1: command -v etcdctl/);
    expect(r.calls[1]).toMatch(/^cp1: kubectl .* delete/);
  });
});
