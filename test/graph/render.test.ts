import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/resources/index.js';
import { render, renderDot, renderMermaid, renderText, topologicalLayers } from '../../src/graph/index.js';
import { buildSpec, SHAPES } from './spec-builder.js';

const haStacked = () => compile(buildSpec(SHAPES['ha-stacked']!));

describe('renderMermaid', () => {
  it('declares every resource with a sanitised id and its exact id as label, then every edge', () => {
    const g = haStacked();
    const out = renderMermaid(g);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    expect(lines).toContain('  containerd_master1["containerd@master1"]');
    expect(lines).toContain('  kube_packages_node2["kube-packages@node2"]');
    expect(lines).toContain('  kubeadm_init_master1 --> join_control_plane_master2');
    expect(lines.filter((l) => l.includes(' --> ')).length).toBe(g.edgeCount());
    expect(lines.filter((l) => /^\s+\w+\["[^"]+"\]$/.test(l)).length).toBe(g.nodeCount());
  });

  it('keeps ids apart that sanitise to the same word', () => {
    const g = compile(buildSpec({ controlPlane: ['a-b', 'a_b', 'a.b'], lbType: 'external' }));
    const ids = renderMermaid(g)
      .split('\n')
      .filter((l) => l.includes('["preflight@'))
      .map((l) => l.trim().split('[')[0]);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });

  it('groups resources in one subgraph per host when asked, cluster-wide ones outside', () => {
    const out = renderMermaid(haStacked(), { groupByHost: true });
    expect(out).toContain('  subgraph host_lb1["lb1"]\n    lb_haproxy_lb1["lb-haproxy@lb1"]');
    expect(out.match(/^ {2}subgraph /gm)).toHaveLength(8);
    expect(out.match(/^ {2}end$/gm)).toHaveLength(8);
    expect(out).toMatch(/^ {2}cni\["cni"\]$/m);
  });
});

describe('renderDot', () => {
  it('is a digraph with quoted ids and one statement per node and edge', () => {
    const g = haStacked();
    const lines = renderDot(g).trimEnd().split('\n');
    expect(lines[0]).toBe('digraph "ha-stacked" {');
    expect(lines.at(-1)).toBe('}');
    const body = lines.slice(1, -1);
    const nodeStmt = /^ {2}"[^"\\]+";$/;
    const edgeStmt = /^ {2}"[^"\\]+" -> "[^"\\]+";$/;
    const attrStmt = /^ {2}(rankdir=TB|node \[.*\]);$/;
    for (const l of body) expect(nodeStmt.test(l) || edgeStmt.test(l) || attrStmt.test(l), l).toBe(true);
    expect(body.filter((l) => edgeStmt.test(l))).toHaveLength(g.edgeCount());
    expect(body.filter((l) => nodeStmt.test(l))).toHaveLength(g.nodeCount());
    expect(body).toContain('  "kubeadm-init@master1" -> "cni";');
  });

  it('draws host clusters when grouping and escapes quotes', () => {
    const out = renderDot(compile(buildSpec({ name: 'q"x', controlPlane: ['m1'], lbType: 'none' })), { groupByHost: true });
    expect(out.startsWith('digraph "q\\"x" {')).toBe(true);
    expect(out).toContain('  subgraph "cluster_m1" {\n    label="m1";\n    "certificate-renewal@m1";\n    "containerd@m1";');
  });
});

describe('renderDot with Graphviz (wasm build of the real dot)', async () => {
  const graphviz = await Graphviz.load();
  interface Laid {
    objects: Array<{ _gvid: number; name: string; nodes?: number[] }>;
    edges?: Array<{ tail: number; head: number }>;
  }
  const lay = (dot: string): Laid => JSON.parse(graphviz.layout(dot, 'json', 'dot')) as Laid;

  it.each([false, true])('parses into exactly the resources and dependencies (groupByHost %s)', (groupByHost) => {
    const g = compile(buildSpec(SHAPES['ha-external-etcd']!));
    const laid = lay(renderDot(g, { groupByHost }));
    const nodes = laid.objects.filter((o) => o.nodes === undefined);
    const names = new Map(nodes.map((o) => [o._gvid, o.name]));
    expect([...names.values()].sort()).toEqual(g.nodes().sort());
    const edges = (laid.edges ?? []).map((e) => `${names.get(e.tail)} -> ${names.get(e.head)}`).sort();
    expect(edges).toEqual(
      g
        .edges()
        .map((e) => `${e.v} -> ${e.w}`)
        .sort(),
    );
    const clusters = laid.objects.filter((o) => o.nodes !== undefined).map((o) => o.name);
    expect(clusters).toHaveLength(
      groupByHost
        ? new Set(
            g
              .nodes()
              .filter((id) => id.includes('@'))
              .map((id) => g.node(id).host),
          ).size
        : 0,
    );
  });

  it('accepts names that need escaping', () => {
    const g = compile(buildSpec({ name: 'a"b\\c', controlPlane: ['m1'], lbType: 'none' }));
    expect(() => lay(renderDot(g))).not.toThrow();
    expect(() => lay('digraph { "a" -> ; }')).toThrow(/syntax error/);
  });
});

describe('renderText', () => {
  it('lists stages in order, each resource with its dependencies and serial group', () => {
    const g = haStacked();
    const out = renderText(g);
    expect(out.split('\n')[0]).toBe(`cluster ha-stacked: ${g.nodeCount()} resources, ${g.edgeCount()} dependencies`);
    const stages = out.match(/^stage \d+:$/gm)!;
    expect(stages).toHaveLength(topologicalLayers(g).length);
    expect(stages[0]).toBe('stage 1:');
    expect(out).toContain('  join-control-plane@master3 [serial: control-plane]  <- join-control-plane@master2, kube-packages@master3\n');
    expect(out).toMatch(/stage 1:\n {2}preflight@lb1\n/);
    // A resource appears after every resource it depends on.
    const lines = out.split('\n');
    const lineOf = (id: string) => lines.findIndex((l) => l.startsWith(`  ${id} `) || l === `  ${id}`);
    for (const e of g.edges()) expect(lineOf(e.v)).toBeLessThan(lineOf(e.w));
  });
});

describe('render', () => {
  it('dispatches by format and is byte-identical across compilations', () => {
    for (const format of ['mermaid', 'dot', 'text'] as const) {
      expect(render(haStacked(), format)).toBe(render(haStacked(), format));
    }
    expect(render(haStacked(), 'dot')).toBe(renderDot(haStacked()));
  });
});
