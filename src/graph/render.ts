// Text renderings of a resource graph for `hactl graph`. All output is sorted (ids in natural
// order, edges by source then target) so the same spec always prints the same bytes.

import { dependenciesOf, topologicalLayers } from './compile.js';
import { compareIds, sortIds } from './order.js';
import type { GraphLabel, ResourceGraph } from './types.js';

export interface RenderOptions {
  /** Group each host's resources in a subgraph (mermaid `subgraph`, DOT `cluster_`). */
  groupByHost?: boolean;
}

export const GRAPH_FORMATS = ['mermaid', 'dot', 'text'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** Mermaid refuses flowcharts with more edges than this unless the page raises `maxEdges` (GitHub does not). */
export const MERMAID_MAX_EDGES = 500;

export function render(g: ResourceGraph, format: GraphFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'mermaid':
      return renderMermaid(g, opts);
    case 'dot':
      return renderDot(g, opts);
    case 'text':
      return renderText(g);
  }
}

function sortedEdges(g: ResourceGraph): Array<[string, string]> {
  return g
    .edges()
    .map((e): [string, string] => [e.v, e.w])
    .sort((a, b) => compareIds(a[0], b[0]) || compareIds(a[1], b[1]));
}

/** Per-host resources grouped by host (hosts in natural order); cluster-wide ones apart. */
function groupByHost(g: ResourceGraph): { hosts: Map<string, string[]>; clusterWide: string[] } {
  const hosts = new Map<string, string[]>();
  const clusterWide: string[] = [];
  for (const id of sortIds(g.nodes())) {
    const node = g.node(id);
    // Cluster-wide resources have an id without `@host`; they are drawn outside any host.
    if (!id.includes('@')) {
      clusterWide.push(id);
      continue;
    }
    const list = hosts.get(node.host) ?? [];
    list.push(id);
    hosts.set(node.host, list);
  }
  const sorted = new Map(sortIds(hosts.keys()).map((h) => [h, hosts.get(h)!]));
  return { hosts: sorted, clusterWide };
}

/**
 * Mermaid ids may only use word characters, so `containerd@master1` becomes `containerd_master1`;
 * the exact id stays in the label. A suffix keeps two ids that sanitise alike apart.
 */
function mermaidIds(ids: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const id of sortIds(ids)) {
    const base = id.replace(/[^A-Za-z0-9_]/g, '_');
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    out.set(id, candidate);
  }
  return out;
}

function mermaidLabel(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

export function renderMermaid(g: ResourceGraph, opts: RenderOptions = {}): string {
  const ids = mermaidIds(g.nodes());
  const lines = ['flowchart TD'];
  const node = (id: string, indent: string): string => `${indent}${ids.get(id)}[${mermaidLabel(id)}]`;
  if (opts.groupByHost) {
    const { hosts, clusterWide } = groupByHost(g);
    const hostIds = mermaidIds([...hosts.keys()].map((h) => `host_${h}`));
    for (const [host, members] of hosts) {
      lines.push(`  subgraph ${hostIds.get(`host_${host}`)}[${mermaidLabel(host)}]`);
      for (const id of members) lines.push(node(id, '    '));
      lines.push('  end');
    }
    for (const id of clusterWide) lines.push(node(id, '  '));
  } else {
    for (const id of sortIds(g.nodes())) lines.push(node(id, '  '));
  }
  // Spaces around the arrow: `--> o...`/`--> x...` without one would read as circle/cross edges.
  for (const [v, w] of sortedEdges(g)) lines.push(`  ${ids.get(v)} --> ${ids.get(w)}`);
  return lines.join('\n') + '\n';
}

/** DOT double-quoted string (ID), see https://graphviz.org/doc/info/lang.html. */
function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderDot(g: ResourceGraph, opts: RenderOptions = {}): string {
  const name = (g.graph() as GraphLabel | undefined)?.cluster ?? 'cluster';
  const lines = [`digraph ${dotString(name)} {`, '  rankdir=TB;', '  node [shape=box, fontname="monospace"];'];
  if (opts.groupByHost) {
    const { hosts, clusterWide } = groupByHost(g);
    for (const [host, members] of hosts) {
      // Graphviz draws a box around a subgraph only when its name starts with "cluster".
      lines.push(`  subgraph ${dotString(`cluster_${host}`)} {`, `    label=${dotString(host)};`);
      for (const id of members) lines.push(`    ${dotString(id)};`);
      lines.push('  }');
    }
    for (const id of clusterWide) lines.push(`  ${dotString(id)};`);
  } else {
    for (const id of sortIds(g.nodes())) lines.push(`  ${dotString(id)};`);
  }
  for (const [v, w] of sortedEdges(g)) lines.push(`  ${dotString(v)} -> ${dotString(w)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Stages of resources that can run together, each with what it waits for. */
export function renderText(g: ResourceGraph): string {
  const lines: string[] = [];
  const name = (g.graph() as GraphLabel | undefined)?.cluster; // undefined when the graph has no label
  if (name !== undefined) lines.push(`cluster ${name}: ${g.nodeCount()} resources, ${g.edgeCount()} dependencies`);
  topologicalLayers(g).forEach((layer, i) => {
    lines.push(`stage ${i + 1}:`);
    for (const id of layer) {
      const node = g.node(id);
      const deps = dependenciesOf(g, id);
      const serial = node.serialGroup ? ` [serial: ${node.serialGroup}${node.serialLimit ? `, ${node.serialLimit} at a time` : ''}]` : '';
      lines.push(`  ${id}${serial}${deps.length > 0 ? `  <- ${deps.join(', ')}` : ''}`);
    }
  });
  return lines.join('\n') + '\n';
}
