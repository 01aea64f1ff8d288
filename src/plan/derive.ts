// The one derivation of a resource's change: its context, its desired state and checks, and what
// the shared engine (converge) finds against the host's facts. The planner shows it, the executor
// derives it again from fresh facts and compares, the bundle reads the packages it wants: all
// three through here, so plan and apply cannot drift apart.

import type { ClusterFacts, EtcdFactsResult } from '../facts/cluster.js';
import type { HostFacts } from '../facts/types.js';
import type { Placement } from '../spec/topology.js';
import type { ResourceNode } from '../graph/types.js';
import { converge, type ConvergeResult } from '../resources/converge.js';
import { type Operation } from '../resources/operation.js';
import type { Desired } from '../resources/desired.js';
import type { ResourceContext, ResourceKindDef } from '../resources/resource.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { resourceChange, type Diagnostic, type ResourceChange } from '../resources/diff.js';

/** What every resource of one plan or apply shares. */
export interface DeriveScope {
  spec: ClusterSpec;
  placement: Placement;
  hosts: ReadonlyMap<string, Host>;
  /** Facts of every spec host that could be observed (by host name). */
  cluster: ReadonlyMap<string, HostFacts>;
  env: Readonly<Record<string, string | undefined>>;
  localFiles: ReadonlyMap<string, string>;
}

/** What is known of one resource's host and of the cluster when it is derived. */
export interface DeriveFacts {
  facts: HostFacts;
  clockSkewSeconds?: number;
  clusterFacts?: ClusterFacts;
  etcd?: EtcdFactsResult;
}

/** The one place a ResourceContext is made. */
export function resourceContext(scope: DeriveScope, node: ResourceNode, at: DeriveFacts): ResourceContext {
  return {
    spec: scope.spec,
    placement: scope.placement,
    node,
    host: scope.hosts.get(node.host)!,
    facts: at.facts,
    cluster: scope.cluster,
    env: scope.env,
    localFiles: scope.localFiles,
    ...(at.clockSkewSeconds !== undefined ? { clockSkewSeconds: at.clockSkewSeconds } : {}),
    ...(at.clusterFacts !== undefined ? { clusterFacts: at.clusterFacts } : {}),
    ...(at.etcd !== undefined ? { etcd: at.etcd } : {}),
  };
}

/** A resource's desired state alone (what the bundle reads: the packages wanted). */
export function deriveDesired(def: ResourceKindDef, scope: DeriveScope, node: ResourceNode, at: DeriveFacts): Desired {
  return def.desired(resourceContext(scope, node, at));
}

export type Derivation =
  /** A read-only kind: checks, and the steps it observes by (run at every apply). */
  | { state: 'read-only'; desired: Desired; checks: Diagnostic[]; reads: Operation[] }
  /** Nothing can be compared yet (DesiredActions.deferred): never "up to date". */
  | { state: 'deferred'; desired: Desired; checks: Diagnostic[]; reason: string }
  /** The engine's diff of desired and observed state, with the operations that close it. */
  | { state: 'compared'; desired: Desired; checks: Diagnostic[]; converged: ConvergeResult; change: ResourceChange };

/** Packages created where none were, and files where none were: shown as create. */
function createdFromNothing(c: ResourceChange): boolean {
  const pkgs = c.attributes.filter((a) => /^package\..*\.version$/.test(a.name));
  if (pkgs.length === 0 && c.files.length === 0) return false;
  return pkgs.every((a) => a.before === undefined) && c.files.every((f) => f.action === 'create');
}

/** Derive one resource's change from its host's facts (and the cluster's, when read). */
export function deriveChange(def: ResourceKindDef, scope: DeriveScope, node: ResourceNode, at: DeriveFacts): Derivation {
  const ctx = resourceContext(scope, node, at);
  const desired = def.desired(ctx);
  const checks = def.check?.(ctx) ?? [];
  if (def.readOnly) return { state: 'read-only', desired, checks, reads: def.readOperations?.(ctx) ?? [] };
  const deferred = desired.actions?.deferred;
  if (deferred !== undefined) return { state: 'deferred', desired, checks, reason: deferred };
  const converged = converge(desired, at.facts);
  let change = resourceChange(node, { attributes: converged.attributes, files: converged.files, steps: converged.operations.map((o) => o.description) });
  if (createdFromNothing(change) || (desired.actions?.creates === true && change.action !== 'no-op')) change = { ...change, action: 'create' };
  return { state: 'compared', desired, checks, converged, change };
}
