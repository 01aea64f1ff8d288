// join-control-plane: a further control-plane host joins with `--control-plane` semantics
// (JoinConfiguration.controlPlane: its own advertise address and the certificate key that
// decrypts the certificates the first host uploads for this join). The compiler chains these
// joins one at a time (etcd membership); the mechanics are join-worker's (joinDesired).

import type { Desired } from './desired.js';
import { joinDesired } from './join-worker.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';

export const joinControlPlane: ResourceKindDef = {
  kind: 'join-control-plane',
  factRequest: () => ({ packages: ['kubeadm', 'kubelet'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => joinDesired(ctx, true),
};
