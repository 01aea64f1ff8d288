// The resource catalog, in deployment order: each kind is a file of its own; the planner looks
// kinds up here. Kinds the graph has but this list lacks are planned as "not yet planned".

import type { ResourceKind } from '../graph/types.js';
import { containerd } from './containerd.js';
import { joinControlPlane } from './join-control-plane.js';
import { joinWorker } from './join-worker.js';
import { kubeadmInit } from './kubeadm-init.js';
import { kubePackages } from './kube-packages.js';
import { cni } from './cni.js';
import { nodeConfig } from './node-config.js';
import { smokeTest } from './smoke-test.js';
import { kubeVip } from './kube-vip.js';
import { lbHaproxy } from './lb-haproxy.js';
import { lbKeepalived } from './lb-keepalived.js';
import { lbNginx } from './lb-nginx.js';
import { osPrep } from './os-prep.js';
import { packageSources } from './package-sources.js';
import { preflight } from './preflight.js';
import type { ResourceKindDef } from './resource.js';

export const RESOURCE_CATALOG: readonly ResourceKindDef[] = [
  preflight,
  packageSources,
  osPrep,
  containerd,
  kubePackages,
  lbHaproxy,
  lbNginx,
  lbKeepalived,
  kubeVip,
  kubeadmInit,
  cni,
  joinControlPlane,
  joinWorker,
  nodeConfig,
  smokeTest,
];

const BY_KIND = new Map<ResourceKind, ResourceKindDef>(RESOURCE_CATALOG.map((k) => [k.kind, k]));

export function kindDef(kind: ResourceKind): ResourceKindDef | undefined {
  return BY_KIND.get(kind);
}

export type { ResourceKindDef, ResourceContext } from './resource.js';
export type { Desired, DesiredFile, DesiredPackage, DesiredUnit, DesiredSysctl, DesiredTrigger } from './desired.js';
export { converge, packageManagerOf, type Operation, type Effect, type ConvergeResult } from './converge.js';
