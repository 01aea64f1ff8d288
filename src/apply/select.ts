// What an apply covers: `--target <id|kind|host>` (Terraform's -target) picks resources by id, by
// kind or by host, with everything they depend on; what depends on them is left out unless targeted too.
// And what it can carry out: kinds without an implementation are named before anything is touched.

import { Graph } from '@dagrejs/graphlib';
import type { GraphLabel, ResourceGraph, ResourceNode } from '../graph/types.js';
import { kindDef, RESOURCE_KINDS, type ResourceKind } from '../resources/index.js';
import { closest } from '../spec/suggest.js';
import type { Plan } from '../plan/model.js';
import type { ResourceChange } from '../resources/diff.js';

export interface Selection {
  graph: ResourceGraph;
  ids: Set<string>;
}

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The targeted resources and their ancestors; every resource without targets. */
export function selectTargets(graph: ResourceGraph, targets: readonly string[]): Selection {
  if (targets.length === 0) return { graph, ids: new Set(graph.nodes()) };
  const matched = new Set<string>();
  const unmatched: string[] = [];
  for (const t of targets) {
    // A host name: that host's own resources (kind@host), not the cluster-wide ones it runs.
    const hits = graph.nodes().filter((id) => id === t || (graph.node(id) as ResourceNode | undefined)?.kind === t || id.endsWith(`@${t}`));
    if (hits.length === 0) unmatched.push(t);
    hits.forEach((id) => matched.add(id));
  }
  if (unmatched.length > 0) {
    const kinds = [...new Set(graph.nodes().map((id) => graph.node(id).kind))];
    const known = (t: string) => (RESOURCE_KINDS as readonly string[]).includes(t);
    const hostNames = [...new Set(graph.nodes().flatMap((id) => (id.includes('@') ? [id.slice(id.indexOf('@') + 1)] : [])))];
    const names = [...graph.nodes(), ...kinds, ...hostNames];
    const hints = unmatched.flatMap((t) => {
      const near = closest(t, names);
      return near !== undefined ? [`did you mean "${near}" for "${t}"?`] : [];
    });
    throw new TargetError(
      `--target ${unmatched.map((t) => `"${t}"`).join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no resource of this cluster` +
        `${unmatched.some(known) ? ' (a kind this cluster does not have)' : ''}${hints.length > 0 ? ` (${hints.join(' ')})` : ''}; targets are resource ids (kind@host), host names or kinds: ${kinds.join(', ')}`,
    );
  }
  const ids = new Set<string>();
  const queue = [...matched];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    if (ids.has(id)) continue;
    ids.add(id);
    queue.push(...(graph.predecessors(id) ?? []));
  }
  return { graph: subgraph(graph, ids), ids };
}

export function subgraph(graph: ResourceGraph, ids: ReadonlySet<string>): ResourceGraph {
  const g = new Graph<GraphLabel, ResourceNode, undefined>({ directed: true });
  g.setGraph(graph.graph());
  for (const id of ids) g.setNode(id, graph.node(id));
  for (const e of graph.edges()) if (ids.has(e.v) && ids.has(e.w)) g.setEdge(e.v, e.w);
  return g;
}

/** Kinds in the selection that this hactl cannot apply, with their resources, in kind order. */
export function unsupportedKinds(graph: ResourceGraph): { kind: ResourceKind; ids: string[] }[] {
  const by = new Map<string, string[]>();
  for (const id of graph.nodes()) {
    const n = graph.node(id);
    if (kindDef(n.kind) !== undefined) continue;
    by.set(n.kind, [...(by.get(n.kind) ?? []), id]);
  }
  return RESOURCE_KINDS.filter((k) => by.has(k)).map((k) => ({ kind: k, ids: by.get(k)!.sort() }));
}

/** The plan limited to the selection (hosts and diagnostics kept whole). */
export function restrictPlan(plan: Plan, ids: ReadonlySet<string>): Plan {
  const keep = (c: ResourceChange) => ids.has(c.id);
  return {
    ...plan,
    changes: plan.changes.filter(keep).map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => ids.has(d)) })),
    diagnostics: plan.diagnostics.filter((d) => d.resource === undefined || ids.has(d.resource)),
  };
}
