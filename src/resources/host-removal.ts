// host-removal: a host that left the spec but is still part of the cluster (a Kubernetes Node
// object the cluster holds) is taken out of it, in kubeadm's documented order:
// drain its node (kubectl on the cluster host; not when the node is NotReady: its host is lost and
// its pods go with the Node object), `kubeadm reset -f` on the host itself if it answers (which,
// for stacked etcd, removes its etcd member), clean up what kubeadm reset leaves behind, remove
// its stacked etcd member from the cluster host if it is still listed (the host was lost), then
// delete the node object.
//
// Not a graph kind: the host has no resources in the graph any more. Apply carries removals out
// one at a time before it walks the graph; the Node object is deleted last, so a failed removal is
// found again, and retried, by the next plan.
//
// Removal targets come only from the cluster's own records, never from what a host wrote about
// other hosts (its /etc/hosts): a compromised node could otherwise name any address for hactl to
// reset. Each address must also lie in the spec's networks (`specNetworks`).
//
// Cleanup chosen beyond kubeadm reset: the CNI configuration and state (/etc/cni/net.d,
// /var/lib/cni; kubeadm reset says it leaves them) and the kubelet service, stopped and disabled
// so that it does not restart against a cluster it left. Packages, package sources, containerd
// and the OS settings stay: the host may be reused, and removing software is the operator's call.
//
// Names come from the cluster, not from the validated spec: every one is quoted.

import type { ClusterFacts } from '../facts/cluster.js';
import type { Diagnostic, ResourceChange } from './diff.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { cidrContains, formatCidr, networkOf, parseIp, type Cidr } from '../spec/net.js';
import { shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './operation.js';
import { ADMIN_CONF } from './kubeadm-config.js';
import type { EtcdFacts } from '../facts/etcd.js';
import { memberRemovalOperation, memberRemovalVerdict, stackedMemberOf } from './etcd-member-removal.js';

export const HOST_REMOVAL_KIND = 'host-removal';
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

export interface RemovedHost {
  name: string;
  address: string;
  /** Which record of the cluster knows it (e.g. `Kubernetes node`). */
  source: string;
}

/**
 * The networks the spec's hosts are on: each IP host address with the load balancer's subnet
 * prefix (keepalived's, default /24; /64 for IPv6). Addresses hactl may SSH to outside the spec.
 */
export function specNetworks(spec: ClusterSpec): Cidr[] {
  const v4 = spec.loadBalancer.keepalived?.subnetPrefix ?? 24;
  const out = new Map<string, Cidr>();
  for (const h of spec.hosts) {
    const ip = parseIp(h.address);
    if (ip === undefined) continue;
    const c: Cidr = { family: ip.family, value: ip.value, prefix: ip.family === 4 ? v4 : 64 };
    const net: Cidr = { ...c, value: networkOf(c) };
    out.set(formatCidr(net), net);
  }
  return [...out.values()];
}

/**
 * Hosts the cluster holds that the spec no longer lists: registered Kubernetes nodes, at their
 * InternalIP within the spec's networks. A node with no such address is reported, never dialled.
 */
export function removedHosts(spec: ClusterSpec, clusterFacts: ClusterFacts | undefined): { removed: RemovedHost[]; diagnostics: Diagnostic[] } {
  const removed: RemovedHost[] = [];
  const diagnostics: Diagnostic[] = [];
  if (clusterFacts === undefined) return { removed, diagnostics };
  const inSpec = new Set(spec.hosts.map((h) => h.name));
  const nets = specNetworks(spec);
  for (const n of [...clusterFacts.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (inSpec.has(n.name)) continue;
    const addresses = n.addresses ?? [];
    const address = addresses.find((a) => {
      const ip = parseIp(a);
      return ip !== undefined && nets.some((c) => cidrContains(c, ip));
    });
    if (address === undefined) {
      diagnostics.push({
        severity: 'warning',
        host: n.name,
        message: `node ${n.name} is registered in the cluster but not in the spec, and ${addresses.length > 0 ? `its address ${addresses.join(', ')} is not` : 'it has no InternalIP address'} in the spec's networks (${nets.map(formatCidr).join(', ') || 'none'}): its removal is not planned; remove it by hand (kubectl drain, kubeadm reset on it, kubectl delete node)`,
      });
      continue;
    }
    removed.push({ name: n.name, address, source: 'Kubernetes node' });
  }
  return { removed, diagnostics };
}

export interface HostRemovalInput {
  spec: ClusterSpec;
  /** Hosts that left the spec, in name order. */
  removed: readonly RemovedHost[];
  /** The cluster host (src/plan/cluster-host.ts): drain, member removal and delete run there. */
  firstControlPlane: string;
  clusterFacts?: ClusterFacts;
  /** Why the cluster could not be read (there is one, but it did not answer). */
  clusterFactsError?: string;
  /** Stacked etcd's membership and health, as a healthy member reports them. */
  etcd?: EtcdFacts;
  /** Why stacked etcd's membership could not be read. */
  etcdError?: string;
}

export interface HostRemoval {
  change: ResourceChange;
  /**
   * Steps in order. A step with `runOn` runs on that spec host; the others run on the removed
   * host itself, and only if it can still be reached (see `onRemovedHost`).
   */
  operations: CommandOperation[];
  diagnostics: Diagnostic[];
}

export const removalId = (name: string): string => `${HOST_REMOVAL_KIND}@${name}`;

/** A step that runs on the host being removed (not on a spec host). */
export const onRemovedHost = (op: CommandOperation): boolean => op.runOn === undefined;

const kubectl = `kubectl --kubeconfig ${ADMIN_CONF}`;

/** Runs `then` only when the node is registered; a failing kubectl fails the step. */
function ifNodeExists(name: string, then: string): string {
  return `nodes=$(${kubectl} get nodes -o name) || exit 1; if printf '%s\\n' "$nodes" | grep -qxF ${shellQuote(`node/${name}`)}; then ${then}; fi`;
}

/** On the cluster host: delete the Node object (its mirror pods go with it) and check it is gone. */
export function deleteNodeOperation(name: string, clusterHost: string): CommandOperation {
  return {
    description: `on ${clusterHost}: delete node ${name} from the cluster and check it is gone`,
    command: `${kubectl} delete node ${shellQuote(name)} --ignore-not-found && ! { ${kubectl} get nodes -o name | grep -qxF ${shellQuote(`node/${name}`)}; }`,
    runOn: clusterHost,
    effects: [],
  };
}

export interface RemovalShape {
  /** The cluster knows the node (or could not be asked): drain and delete run on the cluster host. */
  inCluster: boolean;
  /** Drain only a Ready node: a NotReady one has lost its host, and its pods go with the Node object. */
  drain: boolean;
  /** A step on the cluster host that removes its stacked etcd member if it is still listed. */
  removeMember?: CommandOperation;
}

export function removalOperations(name: string, firstControlPlane: string, shape: RemovalShape): CommandOperation[] {
  const q = shellQuote(name);
  const drain: CommandOperation = {
    description: `on ${firstControlPlane}: drain node ${name} (kubectl drain --ignore-daemonsets --delete-emptydir-data), if it is registered`,
    command: ifNodeExists(name, `${kubectl} drain ${q} --ignore-daemonsets --delete-emptydir-data --timeout=300s`),
    runOn: firstControlPlane,
    effects: [],
  };
  const reset: CommandOperation = {
    description: `on ${name}, if it can be reached: kubeadm reset -f (removes its stacked etcd member, static pods, kubelet state, certificates and kubeconfigs)`,
    command: 'if command -v kubeadm >/dev/null 2>&1; then kubeadm reset -f; fi',
    effects: [],
  };
  const cleanup: CommandOperation = {
    description: `on ${name}, if it can be reached: stop and disable the kubelet; remove the CNI configuration and state (/etc/cni/net.d, /var/lib/cni), which kubeadm reset leaves`,
    command: 'if systemctl cat kubelet.service >/dev/null 2>&1; then systemctl disable --now kubelet.service; fi && rm -rf /etc/cni/net.d/* /var/lib/cni',
    effects: [],
  };
  const del = deleteNodeOperation(name, firstControlPlane);
  if (!shape.inCluster) return [reset, cleanup];
  return [...(shape.drain ? [drain] : []), reset, cleanup, ...(shape.removeMember ? [shape.removeMember] : []), del];
}

/** One removal per host that left the spec, with the checks that keep the control plane alive. */
export function planHostRemovals(input: HostRemovalInput): HostRemoval[] {
  const { spec, removed, clusterFacts } = input;
  const isCp = (n: { labels: Record<string, string> }) => CONTROL_PLANE_LABEL in n.labels;
  const removedNames = new Set(removed.map((r) => r.name));
  const cpNodes = clusterFacts?.nodes.filter(isCp) ?? [];
  const removedCps = cpNodes.filter((n) => removedNames.has(n.name)).map((n) => n.name);
  const stacked = spec.etcd.topology === 'stacked';

  return removed.map((r) => {
    const diagnostics: Diagnostic[] = [];
    const at = { resource: removalId(r.name), host: r.name };
    const node = clusterFacts?.nodes.find((n) => n.name === r.name);
    const controlPlane = node !== undefined && isCp(node);
    const inCluster = clusterFacts !== undefined || input.clusterFactsError !== undefined;
    if (input.clusterFactsError !== undefined) {
      diagnostics.push({
        severity: 'error',
        ...at,
        message: `the cluster could not be read (${input.clusterFactsError}): whether ${r.name} holds an etcd member is unknown, so its removal cannot be planned safely`,
      });
    }
    let removeMember: CommandOperation | undefined;
    if (controlPlane) {
      const left = cpNodes.length - removedCps.length;
      const member = stacked ? stackedMemberOf(input.etcd, r.name) : undefined;
      if (removedCps.length > 1) {
        diagnostics.push({
          severity: 'error',
          ...at,
          message: `${removedCps.join(', ')} are all control-plane hosts: remove one at a time (one etcd member per apply)`,
        });
      } else if (left < 1) {
        diagnostics.push({ severity: 'error', ...at, message: `${r.name} is the last control-plane host: removing it would leave no cluster` });
      } else if (stacked && input.etcd === undefined) {
        diagnostics.push({
          severity: 'error',
          ...at,
          message: `etcd's membership could not be read${input.etcdError !== undefined ? ` (${input.etcdError})` : ''}: whether removing ${r.name}'s member keeps quorum is unknown, so its removal is not planned`,
        });
      } else if (member !== undefined && input.etcd !== undefined) {
        const verdict = memberRemovalVerdict(input.etcd, member, r.name);
        if (verdict !== undefined) diagnostics.push({ ...at, ...verdict });
        removeMember = memberRemovalOperation(r.name, member, input.firstControlPlane);
      }
    }
    const operations = removalOperations(r.name, input.firstControlPlane, {
      inCluster,
      drain: node === undefined || node.ready,
      ...(removeMember !== undefined ? { removeMember } : {}),
    });
    const role = controlPlane
      ? `control-plane node${stacked ? ' with a stacked etcd member' : ''}`
      : node !== undefined
        ? 'node'
        : 'host (not a registered node)';
    const change: ResourceChange = {
      id: removalId(r.name),
      kind: HOST_REMOVAL_KIND,
      host: r.name,
      action: 'delete',
      reason: `host ${r.name} (${r.address}) is no longer in the spec (the cluster still has it: ${r.source}); it is a ${role}${node !== undefined && !node.ready ? ', NotReady (its host may be lost: nothing runs there unless it answers; it is not drained, its pods go with its Node object)' : ''}`,
      attributes: [],
      files: [],
      steps: operations.map((o) => o.description),
      dependsOn: [],
    };
    return { change, operations, diagnostics };
  });
}

/** How apply reaches a host that is no longer in the spec: its address with the spec's SSH defaults. */
export function removedHostTarget(spec: ClusterSpec, name: string, address: string): Host {
  const { parallelism: _parallelism, ...ssh } = spec.ssh;
  return { name, address, roles: [], labels: {}, taints: [], ssh };
}
