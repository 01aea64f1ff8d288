// The resource catalog, in deployment order: each kind is a file of its own. The planner looks
// kinds up with plannedKindDef (a graph kind it lacks is planned as "not yet planned"); apply
// with kindDef, which holds only the kinds the executor can carry out.

import { RESOURCE_KINDS, type ResourceKind } from '../graph/types.js';
import { containerd } from './containerd.js';
import { joinControlPlane } from './join-control-plane.js';
import { joinWorker } from './join-worker.js';
import { upgradeControlPlane } from './upgrade-control-plane.js';
import { upgradeWorker } from './upgrade-worker.js';
import { certificateRenewal } from './certificate-renewal.js';
import { kubeadmInit } from './kubeadm-init.js';
import { kubePackages } from './kube-packages.js';
import { cni } from './cni.js';
import { etcd } from './etcd.js';
import { etcdPki } from './etcd-pki.js';
import { nodeConfig } from './node-config.js';
import { smokeTest } from './smoke-test.js';
import { kubeVip } from './kube-vip.js';
import { lbHaproxy } from './lb-haproxy.js';
import { lbKeepalived } from './lb-keepalived.js';
import { lbNginx } from './lb-nginx.js';
import { osPrep } from './os-prep.js';
import { packageBundle } from './package-bundle.js';
import { packageSources } from './package-sources.js';
import { preflight } from './preflight.js';
import type { ResourceKindDef } from './resource.js';

/**
 * Kinds hactl plans and applies. Some run steps on another host and hand a value over
 * (CommandOperation.runOn / captureAs / stdinFrom: a join's token made on the first control-plane
 * host, an etcd member's certificates from the first etcd host), read the cluster facts
 * (node-config, cni, smoke-test: the executor reads them again before and after) or observe by
 * acting (smoke-test's readOperations, run at every apply).
 */
export const RESOURCE_CATALOG: readonly ResourceKindDef[] = [
  preflight,
  packageBundle,
  packageSources,
  osPrep,
  containerd,
  kubePackages,
  lbHaproxy,
  lbNginx,
  lbKeepalived,
  kubeVip,
  etcdPki,
  etcd,
  kubeadmInit,
  joinControlPlane,
  joinWorker,
  upgradeControlPlane,
  upgradeWorker,
  certificateRenewal,
  cni,
  nodeConfig,
  smokeTest,
];

/** Kinds hactl plans but cannot apply yet (apply refuses them, src/apply/select.ts): none today. */
export const PLAN_ONLY_CATALOG: readonly ResourceKindDef[] = [];

/** Every kind the planner knows, in graph order. */
export const PLANNED_CATALOG: readonly ResourceKindDef[] = [...RESOURCE_CATALOG, ...PLAN_ONLY_CATALOG].sort(
  (a, b) => RESOURCE_KINDS.indexOf(a.kind) - RESOURCE_KINDS.indexOf(b.kind),
);

const BY_KIND = new Map<ResourceKind, ResourceKindDef>(RESOURCE_CATALOG.map((k) => [k.kind, k]));
const PLANNED_BY_KIND = new Map<ResourceKind, ResourceKindDef>(PLANNED_CATALOG.map((k) => [k.kind, k]));

/** A kind apply can carry out. */
export function kindDef(kind: ResourceKind): ResourceKindDef | undefined {
  return BY_KIND.get(kind);
}

/** A kind the planner can diff (every appliable kind, and the plan-only ones). */
export function plannedKindDef(kind: ResourceKind): ResourceKindDef | undefined {
  return PLANNED_BY_KIND.get(kind);
}

export type { ResourceKindDef, ResourceContext } from './resource.js';
export type { Desired, DesiredFile, DesiredPackage, DesiredUnit, DesiredSysctl, DesiredTrigger } from './desired.js';
export { converge, packageManagerOf, type ConvergeResult } from './converge.js';
export type { Operation, Effect } from './operation.js';
