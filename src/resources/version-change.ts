// What moving a running node from its installed Kubernetes version to the spec's would be.
// kubeadm supports upgrades by one minor version at a time (any patch within a minor) and no
// downgrades; packages bumped without `kubeadm upgrade` leave kubeadm, the kubelet and the
// running control plane apart. kube-packages uses this to keep a joined node's versions as they
// are while upgrade-control-plane / upgrade-worker carry the upgrade out.

import type { HostFacts } from '../facts/types.js';
import { compareVersions } from './converge.js';

export type VersionChange =
  { type: 'same' } | { type: 'patch' | 'minor'; from: string; to: string } | { type: 'refused'; from: string; to: string; reason: string };

/** `1.30.4-1.1`, `1.30.4-150500.1.1`, `v1.30.4` → [1, 30, 4]; undefined for anything else. */
export function kubernetesVersionOf(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+~].*)?$/.exec(text.replace(/^\d+:/, ''));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function classifyVersionChange(installed: string, wanted: string): VersionChange {
  const from = kubernetesVersionOf(installed);
  const to = kubernetesVersionOf(wanted);
  if (from === undefined || to === undefined) {
    return { type: 'refused', from: installed, to: wanted, reason: `cannot compare Kubernetes versions ${installed} and ${wanted}` };
  }
  const f = from.join('.');
  const t = to.join('.');
  if (f === t) return { type: 'same' };
  if (from[0] !== to[0]) return { type: 'refused', from: f, to: t, reason: `${f} → ${t} changes the major version, which kubeadm does not upgrade` };
  const minorDelta = to[1] - from[1];
  if (minorDelta < 0 || (minorDelta === 0 && to[2] < from[2])) {
    return {
      type: 'refused',
      from: f,
      to: t,
      reason: `${f} → ${t} is a downgrade, which kubeadm does not support: restore from an etcd snapshot or rebuild instead`,
    };
  }
  if (minorDelta > 1) {
    return {
      type: 'refused',
      from: f,
      to: t,
      reason: `${f} → ${t} skips ${minorDelta - 1} minor version(s): kubeadm upgrades one minor version at a time (go to 1.${from[1] + 1}.x first)`,
    };
  }
  return { type: minorDelta === 1 ? 'minor' : 'patch', from: f, to: t };
}

/**
 * The change a running node's Kubernetes packages need: undefined when the node has not joined a
 * cluster (kubelet.conf) or has no kubeadm (init or join installs the spec's version). The node's
 * version is its lowest of kubeadm and the kubelet, so a run that stopped after kubeadm was
 * upgraded still plans the rest; either above the spec's version is a downgrade (kubectl, a
 * client, follows kube-packages).
 */
export function nodeVersionChange(facts: HostFacts, wanted: string): VersionChange | undefined {
  const kubeadm = facts.packages.kubeadm;
  if (!facts.kubernetes.confFiles.includes('kubelet.conf') || kubeadm?.installed !== true) return undefined;
  const kubelet = facts.packages.kubelet;
  const versions = [kubeadm.version, ...(kubelet?.installed === true ? [kubelet.version] : [])];
  const unreadable = versions.find((v) => kubernetesVersionOf(v) === undefined);
  if (unreadable !== undefined) return classifyVersionChange(unreadable, wanted);
  const sorted = versions.sort((a, b) => compareVersions(kubernetesVersionOf(a)!.join('.'), kubernetesVersionOf(b)!.join('.')));
  const fromHighest = classifyVersionChange(sorted.at(-1)!, wanted);
  return fromHighest.type === 'refused' ? fromHighest : classifyVersionChange(sorted[0]!, wanted);
}
