// join-control-plane: a further control-plane host joins with `--control-plane` semantics
// (JoinConfiguration.controlPlane: its own advertise address and the certificate key that
// decrypts the certificates the first host uploads for this join). The compiler chains these
// joins one at a time (etcd membership); the mechanics are join-worker's (joinDesired).

import type { Desired } from './desired.js';
import { joinDesired } from './join-worker.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';

/**
 * The host listed first runs `kubeadm init` only while no cluster exists. When the cluster runs on
 * other control-plane hosts (this machine was lost and replaced), it joins that cluster as a
 * control-plane host instead, from the cluster host, and keeps the init configuration file that
 * an initialised first host has (`configFile`), so the next plan finds nothing to do.
 */
export function joinRunningCluster(ctx: ResourceContext, configFile: Desired['files'][number]): Desired {
  const d = joinDesired(ctx, true);
  d.files.push(configFile);
  d.diagnostics.push({
    severity: 'info',
    message: `a cluster already runs on ${ctx.placement.clusterHost.name}: ${ctx.host.name} joins it as a control-plane host instead of running kubeadm init`,
  });
  return d;
}

export const joinControlPlane: ResourceKindDef = {
  kind: 'join-control-plane',
  factRequest: () => ({ packages: ['kubeadm', 'kubelet'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => joinDesired(ctx, true),
};
