// Replacing a lost host, as data: facts of a running cluster in which one machine was lost and
// replaced (same name and address on a reinstalled machine, same name on a new address, a new
// name), the cluster's records (Node objects, stacked etcd membership) in; the planned changes,
// where they run, and the refusals out.

import { describe, expect, it } from 'vitest';
import type { ClusterFacts, ClusterNode } from '../../src/facts/cluster.js';
import type { EtcdFacts } from '../../src/facts/etcd.js';
import type { HostFacts } from '../../src/facts/types.js';
import { resolvePlacement } from '../../src/spec/topology.js';
import { withClusterHost } from '../../src/plan/cluster-host.js';
import { lockHostOf, readyzHostOf } from '../../src/apply/run.js';
import { CONTROL_PLANE_LABEL } from '../../src/resources/host-removal.js';
import { needsEtcdMembership, planReplacements, replacedHosts } from '../../src/resources/host-replacement.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import { readFileSync } from 'node:fs';
import { applyPlan, bareCluster, bareFacts, FIXTURES, localFiles, planSpec, specFixture, specFromText, TEST_ENV } from './helpers.js';

const spec = specFixture('ha-haproxy.yaml');

/** Every host of `s` converged from bare (what a finished apply leaves). */
function converged(s: ClusterSpec): Map<string, HostFacts> {
  const bare = bareCluster(s, 'debian12');
  return applyPlan(s, bare, planSpec(s, bare, { env: TEST_ENV, localFiles: localFiles(s) }));
}

const node = (name: string, cp: boolean, ready = true, address?: string): ClusterNode => ({
  name,
  ready,
  labels: cp ? { [CONTROL_PLANE_LABEL]: '' } : {},
  annotations: {},
  taints: [],
  unschedulable: false,
  ...(address !== undefined ? { addresses: [address] } : {}),
});
const clusterOf = (...nodes: ClusterNode[]): ClusterFacts => ({ observedFrom: 'cp2', nodes, daemonsets: [], leaseHolders: {} });
/** `name` healthy, `name!` unhealthy; ids 0xa0, 0xa1, ... */
const etcd = (...names: string[]): EtcdFacts => ({
  observedFrom: 'cp2',
  clusterId: 'c1',
  members: names.map((n, i) => {
    const name = n.replace(/!$/, '');
    return {
      id: (0xa0 + i).toString(16),
      name,
      peerURLs: [`https://10.0.0.${11 + i}:2380`],
      clientURLs: [`https://10.0.0.${11 + i}:2379`],
      started: true,
      healthy: !n.endsWith('!'),
      leader: i === 1,
    };
  }),
});
const cpNodes = (cp1Ready: boolean) => [node('cp1', true, cp1Ready, '10.0.0.11'), node('cp2', true), node('cp3', true), node('worker1', false)];

describe('the cluster host', () => {
  const facts = converged(spec);
  it('is the first control-plane host while no cluster exists', () => {
    expect(withClusterHost(resolvePlacement(spec), bareCluster(spec, 'debian12')).clusterHost.name).toBe('cp1');
  });
  it('is the first initialised control-plane host once one exists: not the lost, reinstalled or unobserved first host', () => {
    expect(withClusterHost(resolvePlacement(spec), facts).clusterHost.name).toBe('cp1');
    const reinstalled = new Map(facts).set('cp1', bareFacts('debian12', '10.0.0.11'));
    expect(withClusterHost(resolvePlacement(spec), reinstalled).clusterHost.name).toBe('cp2');
    const lost = new Map(facts);
    lost.delete('cp1');
    lost.delete('cp2');
    expect(withClusterHost(resolvePlacement(spec), lost).clusterHost.name).toBe('cp3');
  });
});

describe('the /readyz gate and the apply lock once the first host is lost', () => {
  const facts = converged(spec);
  it('the gate probes from the cluster host: the first observed initialised control-plane host', () => {
    expect(readyzHostOf(spec, facts).name).toBe('cp1');
    const reinstalled = new Map(facts).set('cp1', bareFacts('debian12', '10.0.0.11'));
    expect(readyzHostOf(spec, reinstalled).name).toBe('cp2');
    const lost = new Map(facts);
    lost.delete('cp1');
    expect(readyzHostOf(spec, lost).name).toBe('cp2');
  });
  it('the lock stays on the first listed control-plane host whatever answers, so concurrent applies of one spec agree', () => {
    expect(lockHostOf(spec).name).toBe('cp1');
  });
});

describe('replacedHosts and planReplacements', () => {
  const facts = converged(spec);
  const reinstalled = new Map(facts).set('cp1', bareFacts('debian12', '10.0.0.11'));
  const plan = (f: Map<string, HostFacts>, cluster: ClusterFacts, membership?: EtcdFacts) =>
    planReplacements({
      spec,
      replaced: replacedHosts(spec, f, cluster, membership),
      clusterHost: 'cp2',
      ...(membership !== undefined ? { etcd: membership } : { etcdError: 'no etcd member answered' }),
    });

  it('a joined host is no replacement; neither is a bare host the cluster has no record of', () => {
    expect(replacedHosts(spec, facts, clusterOf(...cpNodes(true)), etcd('cp1', 'cp2', 'cp3'))).toEqual([]);
    expect(replacedHosts(spec, reinstalled, clusterOf(node('cp2', true), node('cp3', true)), etcd('cp2', 'cp3'))).toEqual([]);
    expect(replacedHosts(spec, reinstalled, undefined)).toEqual([]);
  });

  it('the kubeadm init host reinstalled (same name and address): its member, then its node, removed from the cluster host', () => {
    const [r, more] = plan(reinstalled, clusterOf(...cpNodes(false)), etcd('cp1!', 'cp2', 'cp3'));
    expect(more).toBeUndefined();
    expect(r!.change).toMatchObject({ id: 'host-removal@cp1', kind: 'host-removal', action: 'delete', host: 'cp1' });
    expect(r!.change.reason).toMatch(
      /cp1 \(10\.0\.0\.11\) is a new or reinstalled machine .* etcd member a0 \(https:\/\/10\.0\.0\.11:2380\) and node cp1 \(10\.0\.0\.11, NotReady\)/,
    );
    expect(r!.change.steps).toEqual([
      'on cp2: remove etcd member cp1 (a0) of cp1 if it is still listed (etcdctl member remove through the local healthy member)',
      'on cp2: delete node cp1 from the cluster and check it is gone',
    ]);
    expect(r!.operations.every((o) => o.runOn === 'cp2')).toBe(true);
    expect(r!.operations[0]!.command).toContain("grep -q '^a0, '; then ETCDCTL_API=3 etcdctl");
    expect(r!.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r!.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/etcd has 2 members until the replacement joins/)]);
  });

  it('refused when etcd has lost quorum (two of three members down)', () => {
    const [r] = plan(reinstalled, clusterOf(node('cp1', true, false), node('cp2', true), node('cp3', true, false)), etcd('cp1!', 'cp2', 'cp3!'));
    expect(r!.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      'etcd member cp1 (a0) of cp1 cannot be removed: etcd has no quorum (1 of 3 members healthy, 2 needed); restore a member from a snapshot (hactl etcd restore) instead',
    ]);
  });

  it('refused while the old node still reads Ready (another machine may run under the name)', () => {
    const [r] = plan(reinstalled, clusterOf(...cpNodes(true)), etcd('cp1', 'cp2', 'cp3'));
    expect(r!.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      expect.stringMatching(/node cp1 reads Ready: another machine may still run as cp1/),
    ]);
  });

  it('refused when stacked etcd could not be read', () => {
    const [r] = plan(reinstalled, clusterOf(...cpNodes(false)));
    expect(r!.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      "etcd's membership could not be read (no etcd member answered): whether cp1 still has a member, and whether removing it keeps quorum, is unknown",
    ]);
    expect(r!.change.steps).toEqual(['on cp2: delete node cp1 from the cluster and check it is gone']);
  });

  it('a reinstalled worker: only its node', () => {
    const f = new Map(facts).set('worker1', bareFacts('debian12', '10.0.0.21'));
    const [r] = plan(f, clusterOf(node('cp1', true), node('cp2', true), node('cp3', true), node('worker1', false, false)), etcd('cp1', 'cp2', 'cp3'));
    expect(r!.change.steps).toEqual(['on cp2: delete node worker1 from the cluster and check it is gone']);
    expect(r!.diagnostics).toEqual([]);
  });

  it('etcd membership is read only when a control-plane node leaves or is replaced', () => {
    expect(needsEtcdMembership(spec, facts, clusterOf(...cpNodes(true)))).toBe(false);
    expect(needsEtcdMembership(spec, reinstalled, clusterOf(...cpNodes(false)))).toBe(true);
    expect(needsEtcdMembership(spec, facts, clusterOf(...cpNodes(true), node('cp9', true)))).toBe(true);
    expect(needsEtcdMembership(spec, facts, clusterOf(...cpNodes(true), node('w9', false)))).toBe(false);
  });
});

describe('the plan of a replacement', () => {
  const facts = converged(spec);

  it('the kubeadm init host reinstalled: old records out, then it joins as a control-plane host from cp2; nothing runs kubeadm init', () => {
    const reinstalled = new Map(facts).set('cp1', bareFacts('debian12', '10.0.0.11'));
    const { plan } = planSpec(spec, reinstalled, {
      env: TEST_ENV,
      localFiles: localFiles(spec),
      clusterFacts: clusterOf(...cpNodes(false)),
      stackedEtcd: { ok: true, facts: etcd('cp1!', 'cp2', 'cp3') },
    });
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const init = plan.changes.find((c) => c.id === 'kubeadm-init@cp1')!;
    expect(init.action).toBe('create');
    expect(init.steps.join('\n')).not.toMatch(/kubeadm init --config/);
    expect(init.steps.slice(-2)[0]).toMatch(/^on cp2: create a bootstrap token .* re-upload the control-plane certificates with a new certificate key/);
    expect(init.steps.slice(-1)[0]).toMatch(
      /^kubeadm join 10\.0\.0\.10:6443 as a control-plane host \(node cp1, apiserver on 10\.0\.0\.11\) with the values from cp2/,
    );
    expect(plan.diagnostics.map((d) => d.message)).toContain(
      'a cluster already runs on cp2: cp1 joins it as a control-plane host instead of running kubeadm init',
    );
    expect(plan.changes.find((c) => c.id === 'host-removal@cp1')?.steps).toHaveLength(2);
    // The joined hosts stay as they are; no other host is touched but cp1.
    const acting = plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read');
    expect(new Set(acting.map((c) => c.host))).toEqual(new Set(['cp1']));
  });

  it('the same name on a new address: the old node and member (old address) removed, cp1 joins at the new one, the backends follow', () => {
    const text = readFileSync(`${FIXTURES}ha-haproxy.yaml`, 'utf8').replace(
      '- { name: cp1, address: 10.0.0.11, roles: [control-plane] }',
      '- { name: cp1, address: 10.0.0.19, roles: [control-plane] }',
    );
    const s = specFromText(text);
    const f = new Map(facts).set('cp1', bareFacts('debian12', '10.0.0.19'));
    const { plan } = planSpec(s, f, {
      env: TEST_ENV,
      localFiles: localFiles(s),
      clusterFacts: clusterOf(...cpNodes(false)),
      stackedEtcd: { ok: true, facts: etcd('cp1!', 'cp2', 'cp3') },
    });
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const removal = plan.changes.find((c) => c.id === 'host-removal@cp1')!;
    expect(removal.reason).toMatch(
      /cp1 \(10\.0\.0\.19\) is a new or reinstalled machine .* etcd member a0 \(https:\/\/10\.0\.0\.11:2380\) and node cp1 \(10\.0\.0\.11, NotReady\)/,
    );
    expect(removal.steps).toHaveLength(2);
    expect(plan.changes.find((c) => c.id === 'kubeadm-init@cp1')!.steps.slice(-1)[0]).toMatch(
      /as a control-plane host \(node cp1, apiserver on 10\.0\.0\.19\) with the values from cp2/,
    );
    const diff = plan.changes
      .find((c) => c.id === 'lb-haproxy@lb1')!
      .files.map((x) => x.diff)
      .join('\n');
    expect(diff).toMatch(/^-.*10\.0\.0\.11:6443/m);
    expect(diff).toMatch(/^\+.*10\.0\.0\.19:6443/m);
  });

  it('a new name and address for the lost init host: cp1 leaves (member removed from cp2, not drained), cp4 joins, the load balancers get the new backend', () => {
    const text = readFileSync(`${FIXTURES}ha-haproxy.yaml`, 'utf8').replace(
      '- { name: cp1, address: 10.0.0.11, roles: [control-plane] }',
      '- { name: cp4, address: 10.0.0.14, roles: [control-plane] }',
    );
    const s = specFromText(text);
    const f = new Map(facts);
    f.delete('cp1');
    f.set('cp4', bareFacts('debian12', '10.0.0.14'));
    const { plan } = planSpec(s, f, {
      env: TEST_ENV,
      localFiles: localFiles(s),
      clusterFacts: clusterOf(...cpNodes(false)),
      stackedEtcd: { ok: true, facts: etcd('cp1!', 'cp2', 'cp3') },
      removedUnreachable: new Map([['cp1', 'connect ETIMEDOUT 10.0.0.11:22']]),
    });
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // The lost host is named unreachable, with what is done without it.
    expect(plan.diagnostics).toContainEqual({
      severity: 'warning',
      host: 'cp1',
      resource: 'host-removal@cp1',
      message:
        'host cp1 (10.0.0.11) is unreachable (connect ETIMEDOUT 10.0.0.11:22): nothing runs on it (its kubeadm reset and clean-up are skipped unless it answers at apply time); without it: on cp2: remove etcd member cp1 (a0) of cp1 if it is still listed (etcdctl member remove through the local healthy member); on cp2: delete node cp1 from the cluster and check it is gone',
    });
    const removal = plan.changes.find((c) => c.id === 'host-removal@cp1')!;
    expect(removal.reason).toMatch(/NotReady \(its host may be lost: nothing runs there unless it answers; it is not drained/);
    expect(removal.steps).toEqual([
      'on cp1, if it can be reached: kubeadm reset -f (removes its stacked etcd member, static pods, kubelet state, certificates and kubeconfigs)',
      'on cp1, if it can be reached: stop and disable the kubelet; remove the CNI configuration and state (/etc/cni/net.d, /var/lib/cni), which kubeadm reset leaves',
      'on cp2: remove etcd member cp1 (a0) of cp1 if it is still listed (etcdctl member remove through the local healthy member)',
      'on cp2: delete node cp1 from the cluster and check it is gone',
    ]);
    expect(plan.changes.find((c) => c.id === 'kubeadm-init@cp4')!.steps.slice(-2)[0]).toMatch(/^on cp2: create a bootstrap token/);
    for (const lb of ['lb1', 'lb2']) {
      const haproxy = plan.changes.find((c) => c.id === `lb-haproxy@${lb}`)!;
      const diff = haproxy.files.map((x) => x.diff).join('\n');
      expect(diff).toMatch(/^-.*10\.0\.0\.11:6443/m);
      expect(diff).toMatch(/^\+.*10\.0\.0\.14:6443/m);
    }
  });
});
