// Which control-plane host does the cluster-level work (bootstrap tokens and certificate keys for
// joins, kubectl for node labels, drains and removals, etcd membership changes). Before a cluster
// exists that is the first control-plane host of the spec, which runs `kubeadm init`. Once one
// exists, the first host listed is nothing special: it may be the very host that was lost and
// replaced by a bare machine. The work then goes to the first control-plane host, in spec order,
// that was observed initialised (kubeadm's admin.conf and the apiserver manifest on it).
//
// Host facts alone decide, so plan and apply (which observes again under the lock) agree.

import type { HostFacts } from '../facts/types.js';
import type { Placement } from '../spec/topology.js';
import type { Host } from '../spec/types.js';
import { initState } from '../resources/kubeadm-init.js';

/** The initialised control-plane hosts among those observed, in spec order. */
export function initialisedControlPlane(placement: Placement, facts: ReadonlyMap<string, HostFacts>): Host[] {
  return placement.controlPlane.filter((h) => {
    const f = facts.get(h.name);
    return f !== undefined && initState(f) === 'initialised';
  });
}

/** The placement with its cluster host chosen from what was observed. */
export function withClusterHost(placement: Placement, facts: ReadonlyMap<string, HostFacts>): Placement {
  const clusterHost = initialisedControlPlane(placement, facts)[0] ?? placement.firstControlPlane;
  return clusterHost === placement.clusterHost ? placement : { ...placement, clusterHost };
}
