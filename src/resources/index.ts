// The resource catalog, in deployment order: each kind is a file of its own and one line here. The
// graph is compiled from the kinds' own places in it; the planner and apply look kinds up with
// kindDef; a graph kind it lacks is planned as "not yet planned" and refused by apply.

import { compileGraph } from '../graph/compile.js';
import type { ResourceGraph } from '../graph/types.js';
import type { ClusterSpec } from '../spec/types.js';
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
 * Every kind hactl plans and applies, in graph order. What a kind needs from the engine it
 * declares on its definition (resource.ts): its place in the graph, the facts it reads, whether it reads the
 * cluster facts or etcd, the local files it puts on hosts. Some kinds run steps on another host
 * and hand a value over (CommandOperation.runOn / captureAs / stdinFrom: a join's token made on
 * the first control-plane host, an etcd member's certificates from the first etcd host), or
 * observe by acting (smoke-test's readOperations, run at every apply).
 */
export const RESOURCE_CATALOG = [
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
  cni,
  joinControlPlane,
  joinWorker,
  upgradeControlPlane,
  upgradeWorker,
  certificateRenewal,
  nodeConfig,
  smokeTest,
] as const satisfies readonly ResourceKindDef[];

/** The name of a kind hactl knows: one of the catalog's. */
export type ResourceKind = (typeof RESOURCE_CATALOG)[number]['kind'];

/** The kinds' names in graph order. */
export const RESOURCE_KINDS: readonly ResourceKind[] = RESOURCE_CATALOG.map((k) => k.kind);

const BY_KIND = new Map<string, ResourceKindDef>(RESOURCE_CATALOG.map((k) => [k.kind, k]));

/** The kind's definition; undefined for a graph kind this version does not know (a newer graph). */
export function kindDef(kind: string): ResourceKindDef | undefined {
  return BY_KIND.get(kind);
}

/** The resource graph of a spec, compiled from the catalog's places, in catalog order. */
export function compile(spec: ClusterSpec): ResourceGraph {
  return compileGraph(spec, RESOURCE_CATALOG);
}

export type { ResourceKindDef, ResourceContext } from './resource.js';
export type { Desired, DesiredFile, DesiredPackage, DesiredUnit, DesiredSysctl, DesiredTrigger } from './desired.js';
export { converge, packageManagerOf, type ConvergeResult } from './converge.js';
export type { Operation, Effect } from './operation.js';
