// Removing a stacked etcd member whose host is gone, from a healthy member: what kubeadm reset's
// remove-etcd-member phase does on the host itself, done from the cluster host when the host
// cannot (it is lost, or it was reinstalled and knows nothing of its old member). With kubeadm's
// ClusterStatus gone, the etcd member and the Node object are all kubeadm records of a
// control-plane node; removing both lets a new machine join under the same name or address.
//
// Refused, with the reason, when etcd has no quorum now or would lose it without the member.

import { quorumOf, type EtcdFacts, type EtcdMember } from '../facts/etcd.js';
import { REQUIRE_ETCDCTL, STACKED_ETCDCTL } from '../facts/etcdctl.js';
import type { Diagnostic } from './diff.js';
import type { CommandOperation } from './operation.js';

/** A member of the observed membership by its name (kubeadm names stacked members after their node). */
export function stackedMemberOf(etcd: EtcdFacts | undefined, name: string): EtcdMember | undefined {
  return etcd?.members.find((m) => m.name === name);
}

/** Why removing `member` would cost etcd its quorum, or the even-count warning; nothing when it is safe. */
export function memberRemovalVerdict(etcd: EtcdFacts, member: EtcdMember, host: string): Pick<Diagnostic, 'severity' | 'message'> | undefined {
  const n = etcd.members.length;
  const healthy = etcd.members.filter((m) => m.healthy).length;
  const label = `etcd member ${member.name || member.id} (${member.id})`;
  if (n <= 1) return { severity: 'error', message: `${label} of ${host} is the last etcd member: removing it would leave no cluster` };
  if (healthy < quorumOf(n)) {
    return {
      severity: 'error',
      message: `${label} of ${host} cannot be removed: etcd has no quorum (${healthy} of ${n} members healthy, ${quorumOf(n)} needed); restore a member from a snapshot (hactl etcd restore) instead`,
    };
  }
  const left = healthy - (member.healthy ? 1 : 0);
  if (left < quorumOf(n - 1)) {
    return {
      severity: 'error',
      message: `removing ${label} of ${host} would break etcd quorum: ${n - 1} member(s) would remain, ${quorumOf(n - 1)} needed, and only ${left} of them are healthy; repair the unhealthy members first`,
    };
  }
  if ((n - 1) % 2 === 0) {
    return {
      severity: 'warning',
      message: `after removing ${label} of ${host}, etcd has ${n - 1} members until the replacement joins: an even count tolerates no more failures than ${n - 2}`,
    };
  }
  return undefined;
}

/**
 * On the cluster host: remove member `id` (hex, from the observed membership) if it is still
 * listed. kubeadm reset on a host that answered has removed it already: then nothing is done.
 */
export function memberRemovalOperation(host: string, member: EtcdMember, clusterHost: string): CommandOperation {
  if (!/^[0-9a-f]{1,16}$/.test(member.id)) throw new Error(`not an etcd member ID: ${JSON.stringify(member.id)}`);
  return {
    description: `on ${clusterHost}: remove etcd member ${member.name || member.id} (${member.id}) of ${host} if it is still listed (etcdctl member remove through the local healthy member)`,
    command: `${REQUIRE_ETCDCTL}; l=$(${STACKED_ETCDCTL} member list -w simple) || exit 1; if printf '%s\\n' "$l" | grep -q '^${member.id}, '; then ${STACKED_ETCDCTL} member remove ${member.id} >/dev/null; fi`,
    runOn: clusterHost,
    effects: [],
  };
}
