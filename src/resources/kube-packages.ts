// kube-packages: kubeadm, kubelet and kubectl at the spec's Kubernetes version, held (apt-mark
// hold, or dnf versionlock, whose plugin package-sources installs), kubelet enabled. kubelet is not started here: until
// kubeadm init or join writes its configuration it would only crash-loop, so its running state is
// left to those resources.
//
// pkgs.k8s.io versions carry a packaging revision (`1.30.4-1.1` for deb, `1.30.4-150500.1.1` for
// rpm): the spec's `1.30.4` is matched and installed as `1.30.4-*`.

import { emptyDesired, type Desired } from './desired.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';

export const KUBE_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'];

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const version = `${ctx.spec.kubernetes.version}-*`;
  for (const name of KUBE_PACKAGES) d.packages.push({ name, version, hold: true });
  d.units.push({ name: 'kubelet', enabled: true });
  return d;
}

export const kubePackages: ResourceKindDef = {
  kind: 'kube-packages',
  factRequest: () => ({ packages: [...KUBE_PACKAGES, 'cri-tools', 'kubernetes-cni'], units: ['kubelet'], files: [], sysctls: [] }),
  desired,
  pendingOnKinds: ['package-sources'],
};
