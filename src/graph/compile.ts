// Compiles a validated ClusterSpec into the resource DAG that plan and apply walk.
//
// The pipeline is one small stage per part of the deployment order in DEVELOPERS.md:
//   host preparation -> container runtime -> load balancer -> external etcd -> kubeadm init
//   -> CNI -> control-plane joins (one at a time) -> worker joins (parallel) -> upgrades of
//   running nodes (control plane one at a time, then workers) -> certificate renewal (control
//   plane, one at a time) -> node config -> smoke test.
// Each stage only adds nodes and the edges to what they need; nothing is implied by stage order.

import { Graph } from '@dagrejs/graphlib';
import type { ClusterSpec, Host } from '../spec/types.js';
import { kahn, sortIds } from './order.js';
import { resourceId, type ResourceGraph, type ResourceKind, type ResourceNode } from './types.js';

/** Serial group shared by kubeadm init and control-plane joins: etcd membership changes one at a time. */
export const CONTROL_PLANE_GROUP = 'control-plane';

/** The hosts each stage works on, resolved once from roles, LB settings and etcd topology. */
export interface Placement {
  /** Control-plane hosts in spec order; the first one runs kubeadm init. */
  controlPlane: Host[];
  firstControlPlane: Host;
  /**
   * The control-plane host that does the cluster-level work (tokens, kubectl, etcd membership):
   * the first one until a cluster exists, then an initialised one (src/plan/cluster-host.ts).
   */
  clusterHost: Host;
  /** Hosts with the worker role and no control-plane role (a control-plane host joins once, as such). */
  workers: Host[];
  /** Hosts that run a kubelet: control-plane and worker roles, in spec order. */
  kubeNodes: Host[];
  /** The proxy in front of the apiservers, with keepalived; undefined for kube-vip, external and none. */
  proxy: 'lb-haproxy' | 'lb-nginx' | undefined;
  /** Hosts running keepalived + the proxy; empty without one. */
  proxyHosts: Host[];
  /** Hosts running kube-vip (the control-plane hosts when the LB type is kube-vip). */
  kubeVipHosts: Host[];
  /** External etcd members; empty with stacked etcd. */
  etcdHosts: Host[];
}

export function resolvePlacement(spec: ClusterSpec): Placement {
  const has = (h: Host, role: Host['roles'][number]): boolean => h.roles.includes(role);
  const controlPlane = spec.hosts.filter((h) => has(h, 'control-plane'));
  const firstControlPlane = controlPlane[0];
  if (firstControlPlane === undefined) {
    throw new Error(`cluster "${spec.name}": no host has the control-plane role, nothing can run kubeadm init`);
  }
  const lbType = spec.loadBalancer.type;
  const proxy = lbType === 'keepalived-haproxy' ? 'lb-haproxy' : lbType === 'keepalived-nginx' ? 'lb-nginx' : undefined;
  const proxyHosts = !proxy ? [] : spec.loadBalancer.placement === 'co-located' ? controlPlane : spec.hosts.filter((h) => has(h, 'lb'));
  return {
    controlPlane,
    firstControlPlane,
    clusterHost: firstControlPlane,
    workers: spec.hosts.filter((h) => has(h, 'worker') && !has(h, 'control-plane')),
    kubeNodes: spec.hosts.filter((h) => has(h, 'control-plane') || has(h, 'worker')),
    proxy,
    proxyHosts,
    kubeVipHosts: lbType === 'kube-vip' ? controlPlane : [],
    etcdHosts: spec.etcd.topology === 'external' ? spec.hosts.filter((h) => has(h, 'etcd')) : [],
  };
}

/** Adds labelled nodes (rejecting duplicate ids, the one thing a later check could not trace back) and edges. */
class GraphBuilder {
  readonly graph: ResourceGraph;

  constructor(cluster: string) {
    this.graph = new Graph<{ cluster: string }, ResourceNode, undefined>({ directed: true });
    this.graph.setGraph({ cluster });
  }

  /** Adds a per-host resource (`kind@host`) or, with `clusterWide`, one named by its kind alone. */
  add(kind: ResourceKind, host: string, opts: { clusterWide?: boolean; serialGroup?: string; serialLimit?: number } = {}): string {
    const id = resourceId(kind, opts.clusterWide ? undefined : host);
    if (this.graph.hasNode(id)) throw new Error(`duplicate resource id "${id}" (are host names unique?)`);
    const node: ResourceNode = { id, kind, host };
    if (opts.serialGroup !== undefined) node.serialGroup = opts.serialGroup;
    if (opts.serialLimit !== undefined && opts.serialLimit > 1) node.serialLimit = opts.serialLimit;
    this.graph.setNode(id, node);
    return id;
  }

  /**
   * Records that `id` runs only after every one of `deps`. An id that was never added shows up as
   * an unlabelled node, which validateGraph reports with the resources that refer to it.
   */
  needs(id: string, ...deps: string[]): void {
    for (const dep of deps) this.graph.setEdge(dep, id);
  }

  has(id: string): boolean {
    return this.graph.hasNode(id);
  }
}

const at = (kind: ResourceKind, host: Host): string => resourceId(kind, host.name);

/**
 * Every host: read-only checks, then (with packages.bundle) the bundle uploaded, then package
 * sources, then OS preparation (swap, modules, sysctl).
 */
function addHostPreparation(b: GraphBuilder, hosts: Host[], bundle: boolean): void {
  for (const h of hosts) {
    b.add('preflight', h.name);
    if (bundle) b.needs(b.add('package-bundle', h.name), at('preflight', h));
    b.needs(b.add('package-sources', h.name), at(bundle ? 'package-bundle' : 'preflight', h));
    b.needs(b.add('os-prep', h.name), at('package-sources', h));
  }
}

/**
 * Kubelet hosts: containerd (which carries the registry mirrors and private registry settings)
 * before the Kubernetes packages, so images resolve through the right registries from the start.
 */
function addContainerRuntime(b: GraphBuilder, p: Placement): void {
  for (const h of p.kubeNodes) {
    b.needs(b.add('containerd', h.name), at('os-prep', h));
    b.needs(b.add('kube-packages', h.name), at('containerd', h));
  }
}

/**
 * keepalived-haproxy / keepalived-nginx: the proxy first, then keepalived, so the VIP is only
 * claimed by a host that can already forward to the apiservers. kube-vip is a static pod on each
 * control-plane host, written once its packages are in and before that host's init or join, which
 * start the kubelet that runs it. (kubeadm join only refuses its own manifest files in
 * /etc/kubernetes/manifests since 1.23, kubernetes/kubernetes#104942, so the file may be there.)
 */
function addLoadBalancer(b: GraphBuilder, p: Placement): void {
  const proxy = p.proxy;
  if (proxy) {
    for (const h of p.proxyHosts) {
      b.needs(b.add(proxy, h.name), at('os-prep', h));
      b.needs(b.add('lb-keepalived', h.name), at(proxy, h));
    }
  }
  for (const h of p.kubeVipHosts) {
    b.needs(b.add('kube-vip', h.name), at('kube-packages', h));
  }
}

/**
 * External etcd: the CA and member certificates are made once on the first etcd host, then the
 * members start in parallel, never one at a time: a new cluster's member only reports ready once a
 * quorum of its peers is up. kubeadm init waits for all of them.
 */
function addExternalEtcd(b: GraphBuilder, p: Placement): void {
  const first = p.etcdHosts[0];
  if (first === undefined) return;
  const pki = b.add('etcd-pki', first.name, { clusterWide: true });
  b.needs(pki, at('os-prep', first));
  for (const h of p.etcdHosts) {
    b.needs(b.add('etcd', h.name), pki, at('os-prep', h));
  }
}

/** Resources that must be up before the control-plane endpoint answers ("LB ready"). */
function loadBalancerReady(p: Placement): string[] {
  const proxy = p.proxy;
  return proxy ? p.proxyHosts.flatMap((h) => [at(proxy, h), at('lb-keepalived', h)]) : [];
}

/**
 * kubeadm init on the first control-plane host, once its packages are in, every proxy and
 * keepalived instance runs (init talks to the apiserver through the VIP) and every external etcd
 * member is up. Its own kube-vip, when used, must be there too: it holds the VIP during init.
 */
function addKubeadmInit(b: GraphBuilder, p: Placement): string {
  const cp1 = p.firstControlPlane;
  const init = b.add('kubeadm-init', cp1.name, { serialGroup: CONTROL_PLANE_GROUP });
  b.needs(init, at('kube-packages', cp1), ...loadBalancerReady(p));
  if (b.has(at('kube-vip', cp1))) b.needs(init, at('kube-vip', cp1));
  b.needs(init, ...p.etcdHosts.map((h) => at('etcd', h)));
  return init;
}

/** The CNI is applied through the API server from the first control-plane host. */
function addCni(b: GraphBuilder, p: Placement, init: string): string {
  const cni = b.add('cni', p.firstControlPlane.name, { clusterWide: true });
  b.needs(cni, init);
  return cni;
}

/**
 * Further control-plane hosts join one at a time, each after the previous one: with stacked etcd
 * every join adds a member, and adding two at once can cost quorum. External etcd keeps the chain
 * too: it costs a few minutes and leaves one control-plane change in flight at any time. The chain
 * makes the order explicit; the serial group keeps the walker from overlapping them with other
 * membership work.
 */
function addControlPlaneJoins(b: GraphBuilder, p: Placement, init: string): Map<string, string> {
  const joined = new Map<string, string>([[p.firstControlPlane.name, init]]);
  let previous = init;
  for (const h of p.controlPlane.slice(1)) {
    const join = b.add('join-control-plane', h.name, { serialGroup: CONTROL_PLANE_GROUP });
    b.needs(join, previous, at('kube-packages', h));
    if (b.has(at('kube-vip', h))) b.needs(join, at('kube-vip', h));
    joined.set(h.name, join);
    previous = join;
  }
  return joined;
}

/** Workers only need a running control plane; they join in parallel. */
function addWorkerJoins(b: GraphBuilder, p: Placement, init: string, joined: Map<string, string>): void {
  for (const h of p.workers) {
    const join = b.add('join-worker', h.name);
    b.needs(join, init, at('kube-packages', h));
    joined.set(h.name, join);
  }
}

/** Serial group of worker upgrades: at most maxUnavailable workers drained at a time. */
export const WORKER_UPGRADE_GROUP = 'worker-upgrade';

/**
 * Workers upgraded at once: a count (capped at the number of workers), or a percentage of the
 * workers rounded down, as Kubernetes rounds maxUnavailable; at least 1 either way.
 */
export function workerUpgradeBatch(maxUnavailable: number | string, workers: number): number {
  const n = typeof maxUnavailable === 'number' ? maxUnavailable : Math.floor((workers * Number.parseInt(maxUnavailable, 10)) / 100);
  return Math.max(1, Math.min(n, workers));
}

/**
 * Version upgrades of nodes that already run (no-ops on a new cluster): control-plane hosts one
 * at a time, the first one (`kubeadm upgrade apply`) first, in the control-plane serial group so
 * that each is followed by the /readyz gate; then workers, maxUnavailable at a time. Returns, per host, the
 * last resource that shapes its node (its upgrade).
 */
function addUpgrades(b: GraphBuilder, p: Placement, joined: Map<string, string>, maxUnavailable: number | string): Map<string, string> {
  const upgraded = new Map<string, string>();
  let previous: string | undefined;
  for (const h of p.controlPlane) {
    const id = b.add('upgrade-control-plane', h.name, { serialGroup: CONTROL_PLANE_GROUP });
    b.needs(id, joined.get(h.name)!, at('kube-packages', h), ...(previous ? [previous] : []));
    upgraded.set(h.name, id);
    previous = id;
  }
  const batch = workerUpgradeBatch(maxUnavailable, p.workers.length);
  for (const h of p.workers) {
    const id = b.add('upgrade-worker', h.name, { serialGroup: WORKER_UPGRADE_GROUP, serialLimit: batch });
    b.needs(id, joined.get(h.name)!, at('kube-packages', h), ...(previous ? [previous] : []));
    upgraded.set(h.name, id);
  }
  return upgraded;
}

/**
 * Certificate renewal on each control-plane host after its upgrade (kubeadm upgrade renews them
 * too), one host at a time in the control-plane serial group, so the /readyz gate follows each.
 */
function addCertificateRenewal(b: GraphBuilder, p: Placement, upgraded: Map<string, string>): string[] {
  return p.controlPlane.map((h) => {
    const id = b.add('certificate-renewal', h.name, { serialGroup: CONTROL_PLANE_GROUP });
    b.needs(id, upgraded.get(h.name)!);
    return id;
  });
}

/** Labels and taints go on once the node object exists in its final version, i.e. after its init or join and upgrade. */
function addNodeConfig(b: GraphBuilder, p: Placement, joined: Map<string, string>): string[] {
  return p.kubeNodes.map((h) => {
    const id = b.add('node-config', h.name);
    b.needs(id, joined.get(h.name)!);
    return id;
  });
}

/** The smoke test needs pod networking and every node in its final shape. */
function addSmokeTest(b: GraphBuilder, p: Placement, cni: string, last: string[]): void {
  const smoke = b.add('smoke-test', p.firstControlPlane.name, { clusterWide: true });
  b.needs(smoke, cni, ...last);
}

export function compile(spec: ClusterSpec): ResourceGraph {
  const p = resolvePlacement(spec);
  const b = new GraphBuilder(spec.name);
  addHostPreparation(b, spec.hosts, spec.packages.bundle !== undefined);
  addContainerRuntime(b, p);
  addLoadBalancer(b, p);
  addExternalEtcd(b, p);
  const init = addKubeadmInit(b, p);
  const cni = addCni(b, p, init);
  const joined = addControlPlaneJoins(b, p, init);
  addWorkerJoins(b, p, init, joined);
  const upgraded = addUpgrades(b, p, joined, spec.kubernetes.upgrade.maxUnavailable);
  const renewals = addCertificateRenewal(b, p, upgraded);
  const nodeConfigs = addNodeConfig(b, p, upgraded);
  addSmokeTest(b, p, cni, [...nodeConfigs, ...renewals]);
  return validateGraph(b.graph);
}

/**
 * Asserts the graph is one plan and apply can walk: every node carries its ResourceNode (graphlib
 * silently creates bare nodes for edges to unknown ids), and there is no cycle. Returns the graph.
 */
export function validateGraph(g: ResourceGraph): ResourceGraph {
  for (const id of g.nodes()) {
    const node = g.node(id) as ResourceNode | undefined; // graphlib's types omit the bare node's undefined
    if (node === undefined) {
      const users = [...(g.successors(id) ?? []), ...(g.predecessors(id) ?? [])];
      throw new Error(`resource "${id}" is referenced by ${sortIds(users).join(', ')} but does not exist`);
    }
    if (node.id !== id) throw new Error(`resource "${id}" is labelled with a different id "${node.id}"`);
  }
  const ordered = unorderedKahn(g);
  if (ordered.size !== g.nodeCount()) {
    throw new Error(`dependency cycle: ${findCycle(g, ordered).join(' -> ')}`);
  }
  return g;
}

/**
 * The resources Kahn's algorithm can order, in no particular order: all of them iff the graph is
 * acyclic. Works from one pass over the edge list into Maps, which is several times cheaper than
 * asking graphlib for each node's neighbours.
 */
function unorderedKahn(g: ResourceGraph): Set<string> {
  const indegree = new Map<string, number>();
  const next = new Map<string, string[]>();
  for (const { v, w } of g.edges()) {
    if (v === w) throw new Error(`resource "${v}" depends on itself`);
    indegree.set(w, (indegree.get(w) ?? 0) + 1);
    const out = next.get(v);
    if (out === undefined) next.set(v, [w]);
    else out.push(w);
  }
  const ready = g.nodes().filter((id) => !indegree.has(id));
  const done = new Set<string>();
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    done.add(id);
    for (const w of next.get(id) ?? []) {
      const left = indegree.get(w)! - 1;
      indegree.set(w, left);
      if (left === 0) ready.push(w);
    }
  }
  return done;
}

/**
 * One cycle among the resources Kahn's algorithm could not order, in dependency order with the
 * first resource repeated at the end. Each of those still has a dependency among them, so walking
 * dependencies backwards from any of them must revisit one.
 */
function findCycle(g: ResourceGraph, ordered: Set<string>): string[] {
  const stuck = (id: string): boolean => !ordered.has(id);
  let id = sortIds(g.nodes().filter(stuck))[0]!;
  const seenAt = new Map<string, number>();
  const walk: string[] = [];
  while (!seenAt.has(id)) {
    seenAt.set(id, walk.length);
    walk.push(id);
    id = sortIds((g.predecessors(id) ?? []).filter(stuck))[0]!;
  }
  const cycle = walk.slice(seenAt.get(id)).reverse();
  // Start at the smallest id so the message does not depend on where the walk entered.
  const start = cycle.indexOf(sortIds(cycle)[0]!);
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  return [...rotated, rotated[0]!];
}

/** Direct dependencies of a resource, in id order. */
export function dependenciesOf(g: ResourceGraph, id: string): string[] {
  const preds = g.predecessors(id);
  if (preds === undefined) throw new Error(`unknown resource "${id}"`);
  return sortIds(preds);
}

/** Resources that directly depend on `id`, in id order. */
export function dependentsOf(g: ResourceGraph, id: string): string[] {
  const succs = g.successors(id);
  if (succs === undefined) throw new Error(`unknown resource "${id}"`);
  return sortIds(succs);
}

/** Every resource after all of its dependencies; among resources ready together, id order. */
export function topologicalOrder(g: ResourceGraph): string[] {
  const order = kahn(g);
  // Fewer ids than nodes means a cycle (or a bad node): let validateGraph say which.
  if (order.length !== g.nodeCount()) validateGraph(g);
  return order;
}

/**
 * Resources grouped by depth: stage 1 has no dependencies, stage n+1 holds what depends on
 * something in stage n at the latest. Each stage is in id order.
 */
export function topologicalLayers(g: ResourceGraph): string[][] {
  const depth = new Map<string, number>();
  const layers: string[][] = [];
  for (const id of topologicalOrder(g)) {
    let d = 0;
    for (const dep of g.predecessors(id) ?? []) d = Math.max(d, depth.get(dep)! + 1);
    depth.set(id, d);
    (layers[d] ??= []).push(id);
  }
  return layers.map((layer) => sortIds(layer));
}
