// upgrade-control-plane: see upgrade-worker.ts (upgradeDesired) for the steps and their order.

import type { ResourceKindDef } from './resource.js';
import { upgradeDesired } from './upgrade-worker.js';
import { CONTROL_PLANE_GROUP, at, type GraphBuilder } from '../graph/compile.js';

/**
 * Version upgrades of running control-plane hosts (no-ops on a new cluster), one at a time after
 * the host's init or join, the first one (`kubeadm upgrade apply`) first, in the control-plane
 * serial group so that each is followed by the /readyz gate.
 */
function place(b: GraphBuilder): void {
  const p = b.placement;
  let previous: string | undefined;
  for (const h of p.controlPlane) {
    const joined = at(h.name === p.firstControlPlane.name ? 'kubeadm-init' : 'join-control-plane', h);
    const id = b.add('upgrade-control-plane', h.name, { serialGroup: CONTROL_PLANE_GROUP });
    b.needs(id, joined, at('kube-packages', h), ...(previous ? [previous] : []));
    previous = id;
  }
}

export const upgradeControlPlane: ResourceKindDef<'upgrade-control-plane'> = {
  kind: 'upgrade-control-plane',
  place,
  factRequest: () => ({ packages: ['kubeadm', 'kubelet', 'kubectl'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => upgradeDesired(ctx, true),
};
