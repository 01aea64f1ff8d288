// The interface every resource kind implements. A kind is data: what it needs to observe, what it
// wants (in desired.ts primitives), and checks of its own. The shared engine (converge.ts) does
// the diffing and derives the operations; the planner (src/plan/planner.ts) walks the graph.

import type { ClusterFacts, EtcdFactsResult } from '../facts/cluster.js';
import type { HostFacts, FactRequest } from '../facts/types.js';
import type { Placement } from '../spec/topology.js';
import type { GraphBuilder } from '../graph/compile.js';
import type { ResourceNode } from '../graph/types.js';
import type { Diagnostic } from './diff.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import type { Operation } from './operation.js';
import type { Desired } from './desired.js';

export interface ResourceContext {
  spec: ClusterSpec;
  placement: Placement;
  node: ResourceNode;
  host: Host;
  facts: HostFacts;
  /** Facts of every spec host that could be observed (by host name). */
  cluster: ReadonlyMap<string, HostFacts>;
  /** Environment at plan/apply time: secrets are read from the variables the spec names. */
  env: Readonly<Record<string, string | undefined>>;
  /** Contents of the local files the spec names (CA files, signing keys), by expanded path. */
  localFiles: ReadonlyMap<string, string>;
  /** This machine's clock minus the host's, in seconds, when the gatherer measured it. */
  clockSkewSeconds?: number;
  /** What the API server reports (src/facts/cluster.ts); absent while there is no cluster to ask. */
  clusterFacts?: ClusterFacts;
  /** External etcd's membership and health (src/facts/etcd.ts), or why no member told; absent when not asked. */
  etcd?: EtcdFactsResult;
}

export interface ResourceKindDef<Kind extends string = string> {
  kind: Kind;
  /**
   * Where the kind runs and after what: adds its resources to the graph and the edges to what they
   * need (compile calls every kind's place in catalog order, so it may name kinds before it).
   */
  place(b: GraphBuilder): void;
  /** What this kind reads on `host` (the planner unions it with defaultFactRequest()). */
  factRequest(spec: ClusterSpec, host: Host): FactRequest;
  /** The state wanted on the host; empty for read-only kinds. */
  desired(ctx: ResourceContext): Desired;
  /** Findings that do not change anything (preflight, config sanity). Errors block apply. */
  check?(ctx: ResourceContext): Diagnostic[];
  /** Read-only kinds plan as `read` and never have operations. */
  readOnly?: boolean;
  /**
   * Read-only kinds that observe by acting (a smoke test creates a pod and removes it again): the
   * commands apply runs, every time, failing the resource when one fails. Shown as the steps of
   * the `read`; they change nothing that stays.
   */
  readOperations?(ctx: ResourceContext): Operation[];
  /**
   * Kinds of predecessors (same host) whose pending change this kind's diff depends on: while one
   * of them changes, the plan marks this resource pendingOn it (e.g. versions available only
   * after new package sources).
   */
  pendingOnKinds?: string[];
  /**
   * Reads the cluster facts (what the API server reports): apply reads them again before the
   * resource runs and when it is verified, and observes its host again while it waits on them.
   */
  readsClusterFacts?: boolean;
  /** Reads etcd's membership and health (joins and removals are decided with it): apply asks etcd before it runs. */
  readsEtcd?: boolean;
  /** Local files (on the machine running hactl) the spec names whose content this kind puts on hosts. */
  localFiles?(spec: ClusterSpec): string[];
}

export function emptyRequest(): FactRequest {
  return { packages: [], units: [], files: [], sysctls: [], modules: [], certDirs: [] };
}
