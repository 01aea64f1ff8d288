// upgrade-control-plane: see upgrade-worker.ts (upgradeDesired) for the steps and their order.

import type { ResourceKindDef } from './resource.js';
import { upgradeDesired } from './upgrade-worker.js';

export const upgradeControlPlane: ResourceKindDef = {
  kind: 'upgrade-control-plane',
  factRequest: () => ({ packages: ['kubeadm', 'kubelet', 'kubectl'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => upgradeDesired(ctx, true),
};
