// join-control-plane: a further control-plane host joins with `--control-plane` semantics
// (JoinConfiguration.controlPlane: its own advertise address and the certificate key that
// decrypts the certificates the first host uploads for this join). The compiler chains these
// joins one at a time (etcd membership); the mechanics are join-worker's (joinDesired).

import { joinDesired } from './join-worker.js';
import type { ResourceKindDef } from './resource.js';
import { CONTROL_PLANE_GROUP, at, type GraphBuilder } from '../graph/compile.js';

/**
 * Further control-plane hosts join one at a time, each after the previous one: with stacked etcd
 * every join adds a member, and adding two at once can cost quorum. External etcd keeps the chain
 * too: it costs a few minutes and leaves one control-plane change in flight at any time. The chain
 * makes the order explicit; the serial group keeps the walker from overlapping them with other
 * membership work.
 */
function place(b: GraphBuilder): void {
  const p = b.placement;
  let previous = at('kubeadm-init', p.firstControlPlane);
  for (const h of p.controlPlane.slice(1)) {
    const join = b.add('join-control-plane', h.name, { serialGroup: CONTROL_PLANE_GROUP });
    b.needs(join, previous, at('kube-packages', h));
    if (b.has(at('kube-vip', h))) b.needs(join, at('kube-vip', h));
    previous = join;
  }
}

export const joinControlPlane: ResourceKindDef<'join-control-plane'> = {
  kind: 'join-control-plane',
  place,
  factRequest: () => ({ packages: ['kubeadm', 'kubelet'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => joinDesired(ctx, true),
};
