// Invariants every compiled graph must hold, checked independently of the compiler's own checks;
// shared by the property tests and the example tests.

import { alg } from '@dagrejs/graphlib';
import { expect } from 'vitest';
import { topologicalLayers, topologicalOrder, type ResourceGraph } from '../../src/graph/index.js';
import { RESOURCE_KINDS } from '../../src/resources/index.js';
import type { ClusterSpec } from '../../src/spec/types.js';

const INIT_OR_JOIN = new Set(['kubeadm-init', 'join-control-plane', 'join-worker']);

/** Everything each resource waits for, directly or not; memoised in topological order. */
function ancestorSets(g: ResourceGraph, order: string[]): (id: string) => Set<string> {
  const sets = new Map<string, Set<string>>();
  for (const id of order) {
    const set = new Set<string>();
    for (const p of g.predecessors(id) ?? []) {
      set.add(p);
      for (const a of sets.get(p)!) set.add(a);
    }
    sets.set(id, set);
  }
  return (id) => sets.get(id)!;
}

export function checkGraph(spec: ClusterSpec, g: ResourceGraph): void {
  const ids = g.nodes();
  const edges = g.edges();
  const kindOf = (id: string): string => g.node(id).kind;

  // Acyclic, by graphlib's own algorithm rather than ours.
  expect(alg.isAcyclic(g as never)).toBe(true);

  // Every dependency exists: each edge endpoint is a labelled resource with that id.
  const dangling = edges.filter((e) => g.node(e.v)?.id !== e.v || g.node(e.w)?.id !== e.w);
  expect(dangling).toEqual([]);

  // The catalog is in graph order: a resource depends only on kinds no later in it than its own.
  const rank = (id: string): number => RESOURCE_KINDS.indexOf(kindOf(id) as (typeof RESOURCE_KINDS)[number]);
  expect(ids.filter((id) => rank(id) < 0)).toEqual([]);
  expect(edges.filter((e) => rank(e.v) > rank(e.w))).toEqual([]);

  // Ids are `kind@host`, or the kind alone for the cluster-wide resources, which still name a host.
  const clusterWide = new Set(['etcd-pki', 'cni', 'smoke-test']);
  const hostNames = new Set(spec.hosts.map((h) => h.name));
  const badIds = ids.filter((id) => {
    const n = g.node(id);
    return id !== (clusterWide.has(n.kind) ? n.kind : `${n.kind}@${n.host}`) || !hostNames.has(n.host);
  });
  expect(badIds).toEqual([]);

  // The topological order holds every resource once and respects every edge.
  const order = topologicalOrder(g);
  expect(new Set(order).size).toBe(g.nodeCount());
  expect(order.length).toBe(g.nodeCount());
  const pos = new Map(order.map((id, i) => [id, i]));
  expect(edges.filter((e) => pos.get(e.v)! >= pos.get(e.w)!)).toEqual([]);
  expect(topologicalLayers(g).flat().sort()).toEqual([...ids].sort());
  const ancestors = ancestorSets(g, order);

  // Exactly one kubeadm init, on the first control-plane host in spec order.
  const firstCp = spec.hosts.find((h) => h.roles.includes('control-plane'))!;
  const init = `kubeadm-init@${firstCp.name}`;
  expect(ids.filter((id) => kindOf(id) === 'kubeadm-init')).toEqual([init]);

  // Every Kubernetes node is initialised or joined exactly once, with the kind its roles call
  // for (control plane wins over worker); other hosts never.
  const joinsOf = new Map<string, string[]>();
  for (const id of ids) {
    const n = g.node(id);
    if (INIT_OR_JOIN.has(n.kind)) joinsOf.set(n.host, [...(joinsOf.get(n.host) ?? []), id]);
  }
  for (const h of spec.hosts) {
    const expected = h.roles.includes('control-plane')
      ? [h === firstCp ? init : `join-control-plane@${h.name}`]
      : h.roles.includes('worker')
        ? [`join-worker@${h.name}`]
        : [];
    expect(joinsOf.get(h.name) ?? [], h.name).toEqual(expected);
  }

  // Init waits for every LB and etcd resource; every join waits for init.
  const beforeInit = ancestors(init);
  const lbOrEtcd = ids.filter((id) => ['lb-haproxy', 'lb-nginx', 'lb-keepalived', 'etcd', 'etcd-pki'].includes(kindOf(id)));
  expect(lbOrEtcd.filter((id) => !beforeInit.has(id))).toEqual([]);
  const joins = ids.filter((id) => kindOf(id).startsWith('join-'));
  expect(joins.filter((id) => !ancestors(id).has(init))).toEqual([]);

  // Control-plane joins form one chain: each waits for the one before it in the order.
  const cpJoins = order.filter((id) => kindOf(id) === 'join-control-plane');
  const unchained = cpJoins.filter((id, i) => i > 0 && !ancestors(id).has(cpJoins[i - 1]!));
  expect(unchained).toEqual([]);

  // Workers never wait for another join (they run in parallel).
  const workerWaits = joins
    .filter((id) => kindOf(id) === 'join-worker')
    .flatMap((id) => [...ancestors(id)].filter((a) => kindOf(a).startsWith('join-')).map((a) => `${id} after ${a}`));
  expect(workerWaits).toEqual([]);

  // Everything ends in the smoke test.
  expect(g.sinks()).toEqual(['smoke-test']);
}
