// A minor upgrade with per-minor package repositories: each host's Kubernetes source switches to
// the new minor in the plan, before that host's packages change (the source is an ancestor of the
// host's kube-packages and upgrade steps in the graph), and the upgrade steps run kubeadm through a
// v1beta4 UpgradeConfiguration.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/resources/index.js';
import type { HostFacts } from '../../src/facts/types.js';
import { applyPlan, bareCluster, FIXTURES, localFiles, planSpec, specFromText, TEST_ENV } from './helpers.js';

const base = readFileSync(`${FIXTURES}repository.yaml`, 'utf8');
const at = (version: string) => specFromText(base.replace(/version: 1\.36\.4/, `version: ${version}`), `${FIXTURES}repository.yaml`);

/** Every node reachable from `id` along the graph's edges (what has to wait for it). */
function descendants(graph: ReturnType<typeof compile>, id: string): Set<string> {
  const seen = new Set<string>();
  const todo = [id];
  while (todo.length > 0) {
    for (const next of graph.successors(todo.pop()!) ?? []) if (!seen.has(next)) todo.push((seen.add(next), next));
  }
  return seen;
}

/** A cluster built at 1.36.4 (converged), its nodes joined. */
function builtAt136(): Map<string, HostFacts> {
  const spec = at('1.36.4');
  const opts = { env: TEST_ENV, localFiles: localFiles(spec) };
  let facts = bareCluster(spec, 'debian12');
  facts = applyPlan(spec, facts, planSpec(spec, facts, opts));
  for (const f of facts.values()) {
    f.kubernetes = { ...f.kubernetes, present: true, confFiles: [...new Set([...f.kubernetes.confFiles, 'kubelet.conf', 'admin.conf'])] };
  }
  return facts;
}

describe('a minor upgrade with per-minor repositories', () => {
  it("switches every host's Kubernetes source to v1.37, ahead of that host's packages and upgrade", () => {
    const facts = builtAt136();
    const spec = at('1.37.2');
    const { plan, operations } = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec) });
    const graph = compile(spec);
    for (const host of ['cp1', 'worker1']) {
      const sources = plan.changes.find((c) => c.id === `package-sources@${host}`)!;
      expect(sources.action).toBe('update');
      const list = sources.files.find((f) => f.path === '/etc/apt/sources.list.d/hactl-kubernetes.list')!;
      expect(list.action).toBe('update');
      expect(list.diff).toContain(
        '-deb [signed-by=/etc/apt/keyrings/hactl-kubernetes-repository.asc] http://mirror.corp.internal/k8s/core:/stable:/v1.36/deb/ /',
      );
      expect(list.diff).toContain(
        '+deb [signed-by=/etc/apt/keyrings/hactl-kubernetes-repository.asc] http://mirror.corp.internal/k8s/core:/stable:/v1.37/deb/ /',
      );
      expect((operations.get(`package-sources@${host}`) ?? []).map((o) => o.description)).toEqual([
        'write /etc/apt/sources.list.d/hactl-kubernetes.list (0644)',
        'refresh the package lists (apt-get update)',
      ]);
      // The source comes first: an ancestor of the host's package and upgrade steps.
      const upgrade = host === 'cp1' ? 'upgrade-control-plane@cp1' : 'upgrade-worker@worker1';
      const before = descendants(graph, `package-sources@${host}`);
      expect(before.has(`kube-packages@${host}`)).toBe(true);
      expect(before.has(upgrade)).toBe(true);
      const steps = plan.changes.find((c) => c.id === upgrade)!.steps;
      expect(steps.some((s) => s.startsWith('write /etc/kubernetes/kubeadm-upgrade.yaml: the kubeadm.k8s.io/v1beta4 UpgradeConfiguration'))).toBe(true);
    }
    const applyStep = plan.changes.find((c) => c.id === 'upgrade-control-plane@cp1')!.steps.find((s) => s.startsWith('kubeadm upgrade apply'));
    expect(applyStep).toBe(
      'kubeadm upgrade apply --config /etc/kubernetes/kubeadm-upgrade.yaml (v1.37.2): the control plane (and stacked etcd) of the cluster to 1.37.2',
    );
  });
});
