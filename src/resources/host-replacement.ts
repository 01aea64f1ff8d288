// host-replacement: a host the spec still names (same name, same or new address) that is a new or
// reinstalled machine, while the cluster still holds the records of the machine it replaces: its
// Node object and, for a control-plane host with stacked etcd, its etcd member. Those records are
// removed from the cluster host before the graph is walked (as host-removal's changes, one at a
// time, before anything else), so that the new machine joins afresh: kubeadm join refuses a name
// whose Node reads Ready, and a stale member holding the machine's name or peer address costs
// etcd a vote it will never cast.
//
// "New or reinstalled" is read from the host's own facts (no /etc/kubernetes/kubelet.conf: it has
// never joined); the records come from the cluster (Node objects, etcd membership), never from
// files a host wrote. Nothing runs on the replaced machine: it is gone.

import type { ClusterFacts, ClusterNode } from '../facts/cluster.js';
import type { EtcdFacts, EtcdMember } from '../facts/etcd.js';
import type { HostFacts } from '../facts/types.js';
import type { Diagnostic, ResourceChange } from './diff.js';
import type { ClusterSpec } from '../spec/types.js';
import type { CommandOperation } from './operation.js';
import { memberRemovalOperation, memberRemovalVerdict, stackedMemberOf } from './etcd-member-removal.js';
import { CONTROL_PLANE_LABEL, deleteNodeOperation, HOST_REMOVAL_KIND, removalId, type HostRemoval } from './host-removal.js';

export interface ReplacedHost {
  name: string;
  address: string;
  controlPlane: boolean;
  node?: ClusterNode;
  member?: EtcdMember;
}

const joined = (f: HostFacts): boolean => f.kubernetes.confFiles.includes('kubelet.conf');

/**
 * Spec hosts that run a kubelet, were observed without kubelet.conf, and still have a Node object
 * or a stacked etcd member of their name in the cluster.
 */
export function replacedHosts(
  spec: ClusterSpec,
  observed: ReadonlyMap<string, HostFacts>,
  clusterFacts: ClusterFacts | undefined,
  etcd?: EtcdFacts,
): ReplacedHost[] {
  if (clusterFacts === undefined) return [];
  const stacked = spec.etcd.topology === 'stacked';
  const out: ReplacedHost[] = [];
  for (const h of spec.hosts) {
    const controlPlane = h.roles.includes('control-plane');
    if (!controlPlane && !h.roles.includes('worker')) continue;
    const f = observed.get(h.name);
    if (f === undefined || joined(f)) continue;
    const node = clusterFacts.nodes.find((n) => n.name === h.name);
    const member = stacked && controlPlane ? stackedMemberOf(etcd, h.name) : undefined;
    if (node === undefined && member === undefined) continue;
    out.push({ name: h.name, address: h.address, controlPlane, ...(node !== undefined ? { node } : {}), ...(member !== undefined ? { member } : {}) });
  }
  return out;
}

/**
 * Does the plan need stacked etcd's membership: a control-plane node is leaving the cluster, or a
 * spec control-plane host was observed bare while the cluster has a Node of its name.
 */
export function needsEtcdMembership(spec: ClusterSpec, observed: ReadonlyMap<string, HostFacts>, clusterFacts: ClusterFacts | undefined): boolean {
  if (spec.etcd.topology !== 'stacked' || clusterFacts === undefined) return false;
  const inSpec = new Map(spec.hosts.map((h) => [h.name, h]));
  return clusterFacts.nodes.some((n) => {
    if (!(CONTROL_PLANE_LABEL in n.labels)) return false;
    const h = inSpec.get(n.name);
    if (h === undefined) return true;
    const f = observed.get(n.name);
    return f !== undefined && !joined(f);
  });
}

export interface ReplacementInput {
  spec: ClusterSpec;
  replaced: readonly ReplacedHost[];
  /** The cluster host (src/plan/cluster-host.ts): the records are removed from there. */
  clusterHost: string;
  /** Stacked etcd's membership, when it could be read. */
  etcd?: EtcdFacts;
  etcdError?: string;
}

/** One change per replaced host: its old records out of the cluster, from the cluster host. */
export function planReplacements(input: ReplacementInput): HostRemoval[] {
  const stacked = input.spec.etcd.topology === 'stacked';
  const controlPlanes = input.replaced.filter((r) => r.controlPlane).map((r) => r.name);
  return input.replaced.map((r) => {
    const at = { resource: removalId(r.name), host: r.name };
    const diagnostics: Diagnostic[] = [];
    const operations: CommandOperation[] = [];
    const records: string[] = [];
    if (r.node?.ready === true) {
      diagnostics.push({
        severity: 'error',
        ...at,
        message: `${r.name} (${r.address}) has never joined the cluster (no /etc/kubernetes/kubelet.conf), but node ${r.name} reads Ready: another machine may still run as ${r.name}. Power it off for good, or give the new machine another name`,
      });
    }
    if (r.controlPlane && controlPlanes.length > 1) {
      diagnostics.push({
        severity: 'error',
        ...at,
        message: `${controlPlanes.join(', ')} are all replaced control-plane hosts: replace one at a time (one etcd member per apply); leave the others out of the spec meanwhile`,
      });
    }
    if (r.controlPlane && stacked && input.etcd === undefined) {
      diagnostics.push({
        severity: 'error',
        ...at,
        message: `etcd's membership could not be read${input.etcdError !== undefined ? ` (${input.etcdError})` : ''}: whether ${r.name} still has a member, and whether removing it keeps quorum, is unknown`,
      });
    }
    if (r.member !== undefined && input.etcd !== undefined) {
      const verdict = memberRemovalVerdict(input.etcd, r.member, r.name);
      if (verdict !== undefined) diagnostics.push({ ...at, ...verdict });
      operations.push(memberRemovalOperation(r.name, r.member, input.clusterHost));
      records.push(`etcd member ${r.member.id}${r.member.peerURLs.length > 0 ? ` (${r.member.peerURLs.join(', ')})` : ''}`);
    }
    if (r.node !== undefined) {
      operations.push(deleteNodeOperation(r.name, input.clusterHost));
      const was = r.node.addresses?.join(', ');
      records.push(`node ${r.name}${was !== undefined ? ` (${was}, ${r.node.ready ? 'Ready' : 'NotReady'})` : ''}`);
    }
    const change: ResourceChange = {
      id: removalId(r.name),
      kind: HOST_REMOVAL_KIND,
      host: r.name,
      action: 'delete',
      reason: `${r.name} (${r.address}) is a new or reinstalled machine (it has never joined: no kubelet.conf), and the cluster still holds the ${records.join(' and ')} of the machine it replaces: they are removed from ${input.clusterHost} before ${r.name} joins afresh; nothing runs on the old machine`,
      attributes: [],
      files: [],
      steps: operations.map((o) => o.description),
      dependsOn: [],
    };
    return { change, operations, diagnostics };
  });
}

/** What the plan says about a host that left the spec and does not answer: what is done without it. */
export function lostHostNote(name: string, address: string, reason: string, operations: readonly CommandOperation[]): Diagnostic {
  const without = operations.filter((o) => o.runOn !== undefined).map((o) => o.description);
  return {
    severity: 'warning',
    host: name,
    resource: removalId(name),
    message: `host ${name} (${address}) is unreachable (${reason}): nothing runs on it (its kubeadm reset and clean-up are skipped unless it answers at apply time); without it: ${without.length > 0 ? without.join('; ') : 'nothing else'}`,
  };
}
