// kube-packages: kubeadm, kubelet and kubectl at the spec's Kubernetes version, held (apt-mark
// hold, or dnf versionlock, whose plugin package-sources installs), kubelet enabled. kubelet is not started here: until
// kubeadm init or join writes its configuration it would only crash-loop, so its running state is
// left to those resources.
//
// pkgs.k8s.io versions carry a packaging revision (`1.30.4-1.1` for deb, `1.30.4-150500.1.1` for
// rpm): the spec's `1.30.4` is matched and installed as `1.30.4-*`.
//
// On a node that has joined a cluster (kubelet.conf exists), a different spec version is an
// upgrade, not a package change: bumping the packages alone would leave kubeadm, the kubelet and
// the running control plane apart. Such a node keeps its installed versions here; a supported
// upgrade is carried out by upgrade-control-plane / upgrade-worker, and an unsupported one (a
// downgrade, a skipped minor) is an error in the plan that says why (which blocks apply).
//
// Control-plane hosts of a stacked-etcd cluster also get etcdctl (Debian/Ubuntu: etcd-client;
// Rocky: etcd, which ships it), for `hactl etcd snapshot` and the pre-upgrade snapshot. kubeadm's
// etcd runs from its image, so only the client is needed; it is not held (any 3.x talks to it).

import { packageManagerOf } from './converge.js';
import { emptyDesired, type Desired } from './desired.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { nodeVersionChange } from './version-change.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const KUBE_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'];

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const wanted = ctx.spec.kubernetes.version;
  const change = nodeVersionChange(ctx.facts, wanted) ?? { type: 'same' as const };
  if (change.type === 'refused') {
    d.diagnostics.push({ severity: 'error', resource: ctx.node.id, host: ctx.host.name, message: `kubernetes.version: ${change.reason}` });
  }
  // A joined node with another version keeps the exact versions it has (see above).
  const versionOf = (name: string): string => {
    const p = ctx.facts.packages[name];
    return change.type !== 'same' && p?.installed === true ? p.version : `${wanted}-*`;
  };
  for (const name of KUBE_PACKAGES) d.packages.push({ name, version: versionOf(name), hold: true });
  if (ctx.spec.etcd.topology === 'stacked' && ctx.host.roles.includes('control-plane')) {
    d.packages.push({ name: packageManagerOf(ctx.facts) === 'dnf' ? 'etcd' : 'etcd-client' });
  }
  d.units.push({ name: 'kubelet', enabled: true });
  return d;
}

/** Kubelet hosts: the Kubernetes packages after containerd. */
function place(b: GraphBuilder): void {
  for (const h of b.placement.kubeNodes) b.needs(b.add('kube-packages', h.name), at('containerd', h));
}

export const kubePackages: ResourceKindDef<'kube-packages'> = {
  kind: 'kube-packages',
  place,
  factRequest: () => ({ packages: [...KUBE_PACKAGES, 'cri-tools', 'kubernetes-cni', 'etcd-client', 'etcd'], units: ['kubelet'], files: [], sysctls: [] }),
  desired,
  pendingOnKinds: ['package-sources'],
};
