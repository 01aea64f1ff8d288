// Compiles a validated ClusterSpec into the resource DAG that plan and apply walk.
//
// The graph names no kind: each kind declares its place (on which hosts it runs, after what) and
// compileGraph calls those declarations in catalog order, the deployment order in DEVELOPERS.md.
// A declaration only adds nodes and the edges to what they need, and may refer to the resources
// of the kinds before it; nothing is implied by the order of the calls.

import { Graph } from '@dagrejs/graphlib';
import { resolvePlacement, type Placement } from '../spec/topology.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { kahn, sortIds } from './order.js';
import { resourceId, type ResourceGraph, type ResourceNode } from './types.js';

/** Serial group shared by kubeadm init and control-plane joins: etcd membership changes one at a time. */
export const CONTROL_PLANE_GROUP = 'control-plane';

/** Adds labelled nodes (rejecting duplicate ids, the one thing a later check could not trace back) and edges. */
export class GraphBuilder {
  readonly graph: ResourceGraph;

  constructor(
    readonly spec: ClusterSpec,
    /** Which hosts play which part (spec/topology.ts). */
    readonly placement: Placement,
  ) {
    this.graph = new Graph<{ cluster: string }, ResourceNode, undefined>({ directed: true });
    this.graph.setGraph({ cluster: spec.name });
  }

  /** Adds a per-host resource (`kind@host`) or, with `clusterWide`, one named by its kind alone. */
  add(kind: string, host: string, opts: { clusterWide?: boolean; serialGroup?: string; serialLimit?: number } = {}): string {
    const id = resourceId(kind, opts.clusterWide ? undefined : host);
    if (this.graph.hasNode(id)) {
      // A bare node: an edge to it was added before it, by a kind placed earlier that needs it.
      if ((this.graph.node(id) as ResourceNode | undefined) === undefined) {
        const users = sortIds(this.graph.successors(id) ?? []).join(', ');
        throw new Error(`resource "${id}" is needed by ${users}, placed before it: a kind goes after every kind it depends on in the catalog`);
      }
      throw new Error(`duplicate resource id "${id}" (are host names unique?)`);
    }
    const node: ResourceNode = { id, kind, host };
    if (opts.serialGroup !== undefined) node.serialGroup = opts.serialGroup;
    if (opts.serialLimit !== undefined && opts.serialLimit > 1) node.serialLimit = opts.serialLimit;
    this.graph.setNode(id, node);
    return id;
  }

  /**
   * Records that `id` runs only after every one of `deps`. An id that was never added shows up as
   * an unlabelled node, which validateGraph reports with the resources that refer to it.
   */
  needs(id: string, ...deps: string[]): void {
    for (const dep of deps) this.graph.setEdge(dep, id);
  }

  has(id: string): boolean {
    return this.graph.hasNode(id);
  }

  /** The resources added so far that nothing waits for yet, in the order they were added. */
  sinks(): string[] {
    return this.graph.nodes().filter((id) => (this.graph.successors(id) ?? []).length === 0);
  }

  /** The resources of a kind added so far, in the order they were added. */
  idsOf(kind: string): string[] {
    return this.graph.nodes().filter((id) => this.graph.node(id).kind === kind);
  }
}

/** The id of a kind's resource on a host. */
export const at = (kind: string, host: Host): string => resourceId(kind, host.name);

/** A kind's place in the graph, as the kind declares it (the resource catalog's definitions). */
export interface GraphStage {
  kind: string;
  /** Adds the kind's resources and their dependencies; called after every kind before it. */
  place(b: GraphBuilder): void;
}

/** Serial group of worker upgrades: at most maxUnavailable workers drained at a time. */
export const WORKER_UPGRADE_GROUP = 'worker-upgrade';

/**
 * Workers upgraded at once: a count (capped at the number of workers), or a percentage of the
 * workers rounded down, as Kubernetes rounds maxUnavailable; at least 1 either way.
 */
export function workerUpgradeBatch(maxUnavailable: number | string, workers: number): number {
  const n = typeof maxUnavailable === 'number' ? maxUnavailable : Math.floor((workers * Number.parseInt(maxUnavailable, 10)) / 100);
  return Math.max(1, Math.min(n, workers));
}

/** The graph of a spec: each kind's place, in the order of `stages` (the resource catalog). */
export function compileGraph(spec: ClusterSpec, stages: readonly GraphStage[]): ResourceGraph {
  const b = new GraphBuilder(spec, resolvePlacement(spec));
  for (const stage of stages) stage.place(b);
  return validateGraph(b.graph);
}

/**
 * Asserts the graph is one plan and apply can walk: every node carries its ResourceNode (graphlib
 * silently creates bare nodes for edges to unknown ids), and there is no cycle. Returns the graph.
 */
export function validateGraph(g: ResourceGraph): ResourceGraph {
  for (const id of g.nodes()) {
    const node = g.node(id) as ResourceNode | undefined; // graphlib's types omit the bare node's undefined
    if (node === undefined) {
      const users = [...(g.successors(id) ?? []), ...(g.predecessors(id) ?? [])];
      throw new Error(`resource "${id}" is referenced by ${sortIds(users).join(', ')} but does not exist`);
    }
    if (node.id !== id) throw new Error(`resource "${id}" is labelled with a different id "${node.id}"`);
  }
  const ordered = unorderedKahn(g);
  if (ordered.size !== g.nodeCount()) {
    throw new Error(`dependency cycle: ${findCycle(g, ordered).join(' -> ')}`);
  }
  return g;
}

/**
 * The resources Kahn's algorithm can order, in no particular order: all of them iff the graph is
 * acyclic. Works from one pass over the edge list into Maps, which is several times cheaper than
 * asking graphlib for each node's neighbours.
 */
function unorderedKahn(g: ResourceGraph): Set<string> {
  const indegree = new Map<string, number>();
  const next = new Map<string, string[]>();
  for (const { v, w } of g.edges()) {
    if (v === w) throw new Error(`resource "${v}" depends on itself`);
    indegree.set(w, (indegree.get(w) ?? 0) + 1);
    const out = next.get(v);
    if (out === undefined) next.set(v, [w]);
    else out.push(w);
  }
  const ready = g.nodes().filter((id) => !indegree.has(id));
  const done = new Set<string>();
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    done.add(id);
    for (const w of next.get(id) ?? []) {
      const left = indegree.get(w)! - 1;
      indegree.set(w, left);
      if (left === 0) ready.push(w);
    }
  }
  return done;
}

/**
 * One cycle among the resources Kahn's algorithm could not order, in dependency order with the
 * first resource repeated at the end. Each of those still has a dependency among them, so walking
 * dependencies backwards from any of them must revisit one.
 */
function findCycle(g: ResourceGraph, ordered: Set<string>): string[] {
  const stuck = (id: string): boolean => !ordered.has(id);
  let id = sortIds(g.nodes().filter(stuck))[0]!;
  const seenAt = new Map<string, number>();
  const walk: string[] = [];
  while (!seenAt.has(id)) {
    seenAt.set(id, walk.length);
    walk.push(id);
    id = sortIds((g.predecessors(id) ?? []).filter(stuck))[0]!;
  }
  const cycle = walk.slice(seenAt.get(id)).reverse();
  // Start at the smallest id so the message does not depend on where the walk entered.
  const start = cycle.indexOf(sortIds(cycle)[0]!);
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  return [...rotated, rotated[0]!];
}

/** Direct dependencies of a resource, in id order. */
export function dependenciesOf(g: ResourceGraph, id: string): string[] {
  const preds = g.predecessors(id);
  if (preds === undefined) throw new Error(`unknown resource "${id}"`);
  return sortIds(preds);
}

/** Resources that directly depend on `id`, in id order. */
export function dependentsOf(g: ResourceGraph, id: string): string[] {
  const succs = g.successors(id);
  if (succs === undefined) throw new Error(`unknown resource "${id}"`);
  return sortIds(succs);
}

/** Every resource after all of its dependencies; among resources ready together, id order. */
export function topologicalOrder(g: ResourceGraph): string[] {
  const order = kahn(g);
  // Fewer ids than nodes means a cycle (or a bad node): let validateGraph say which.
  if (order.length !== g.nodeCount()) validateGraph(g);
  return order;
}

/**
 * Resources grouped by depth: stage 1 has no dependencies, stage n+1 holds what depends on
 * something in stage n at the latest. Each stage is in id order.
 */
export function topologicalLayers(g: ResourceGraph): string[][] {
  const depth = new Map<string, number>();
  const layers: string[][] = [];
  for (const id of topologicalOrder(g)) {
    let d = 0;
    for (const dep of g.predecessors(id) ?? []) d = Math.max(d, depth.get(dep)! + 1);
    depth.set(id, d);
    (layers[d] ??= []).push(id);
  }
  return layers.map((layer) => sortIds(layer));
}
