// What the compiler produces and what plan and apply walk: one node per resource instance.

import type { Graph } from '@dagrejs/graphlib';

export interface ResourceNode {
  /** Stable id: `kind@host` for per-host resources (e.g. `containerd@master1`), `kind` for cluster-wide ones. */
  id: string;
  /** The kind's name (the resource catalog, src/resources/index.ts, says which kinds there are). */
  kind: string;
  /** Host the resource lives on; cluster-wide resources name the host they run from. */
  host: string;
  /**
   * Resources sharing a serial group never run at the same time (e.g. `control-plane`: joins and
   * restarts of control-plane or etcd members go one host at a time).
   */
  serialGroup?: string;
  /** How many resources of the serial group may run at once (default 1): worker upgrades' maxUnavailable. */
  serialLimit?: number;
}

export function resourceId(kind: string, host?: string): string {
  return host === undefined ? kind : `${kind}@${host}`;
}

/** Graph-level label: the cluster the graph was compiled from. */
export interface GraphLabel {
  cluster: string;
}

/** Nodes are labelled with their ResourceNode; an edge v -> w means w depends on v. */
export type ResourceGraph = Graph<GraphLabel, ResourceNode, undefined>;
