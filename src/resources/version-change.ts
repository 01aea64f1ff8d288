// What moving a running node from its installed Kubernetes version to the spec's would be.
// kubeadm supports upgrades by one minor version at a time (any patch within a minor) and no
// downgrades; packages bumped without `kubeadm upgrade` leave kubeadm, the kubelet and the
// running control plane apart. kube-packages uses this to keep a joined node's versions as they
// are until an upgrade is planned for it.

export type VersionChange =
  | { type: 'same' }
  | { type: 'patch' | 'minor'; from: string; to: string }
  | { type: 'refused'; from: string; to: string; reason: string };

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
    return { type: 'refused', from: f, to: t, reason: `${f} → ${t} is a downgrade, which kubeadm does not support: restore from an etcd snapshot or rebuild instead` };
  }
  if (minorDelta > 1) {
    return { type: 'refused', from: f, to: t, reason: `${f} → ${t} skips ${minorDelta - 1} minor version(s): kubeadm upgrades one minor version at a time (go to 1.${from[1] + 1}.x first)` };
  }
  return { type: minorDelta === 1 ? 'minor' : 'patch', from: f, to: t };
}
