// The graphs of examples/*.yaml, through the real loader, snapshotted as mermaid and text. A
// changed snapshot is a changed deployment order: review it as such.

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/resources/index.js';
import { dependenciesOf, renderMermaid, renderText, type ResourceGraph } from '../../src/graph/index.js';
import { loadSpecFile, type ClusterSpec } from '../../src/spec/index.js';
import { checkGraph } from './invariants.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const loaded = new Map<string, { spec: ClusterSpec; graph: ResourceGraph }>();

beforeAll(async () => {
  for (const file of examples) {
    const r = await loadSpecFile(examplesDir + file);
    if (r.spec === undefined) throw new Error(`${file} does not load: ${JSON.stringify(r.diagnostics)}`);
    loaded.set(file, { spec: r.spec, graph: compile(r.spec) });
  }
});

const graphOf = (file: string): ResourceGraph => loaded.get(file)!.graph;
const kindsOf = (g: ResourceGraph): Set<string> => new Set(g.nodes().map((id) => g.node(id).kind));

describe('examples', () => {
  it('include the documented shapes', () => {
    for (const f of ['single.yaml', 'ha-stacked.yaml', 'ha-external-etcd.yaml', 'kube-vip.yaml', 'air-gapped.yaml']) {
      expect(examples).toContain(f);
    }
  });

  for (const file of examples) {
    const name = file.replace(/\.yaml$/, '');
    it(`${name}: keeps the graph invariants and matches its snapshots`, async () => {
      const { spec, graph } = loaded.get(file)!;
      checkGraph(spec, graph);
      await expect(renderMermaid(graph)).toMatchFileSnapshot(`__snapshots__/examples/${name}.mmd`);
      await expect(renderText(graph)).toMatchFileSnapshot(`__snapshots__/examples/${name}.txt`);
    });
  }

  it('single: one host, no load balancer, no joins', () => {
    const g = graphOf('single.yaml');
    const kinds = kindsOf(g);
    for (const k of ['lb-haproxy', 'lb-nginx', 'lb-keepalived', 'kube-vip', 'join-control-plane', 'join-worker', 'etcd']) {
      expect(kinds.has(k), k).toBe(false);
    }
    expect(g.nodes().filter((id) => g.node(id).kind === 'kubeadm-init')).toHaveLength(1);
  });

  it('ha-stacked: init waits for both LB hosts, joins are chained', () => {
    const g = graphOf('ha-stacked.yaml');
    const deps = dependenciesOf(g, 'kubeadm-init@cp1');
    for (const id of ['lb-haproxy@lb1', 'lb-keepalived@lb1', 'lb-haproxy@lb2', 'lb-keepalived@lb2']) expect(deps).toContain(id);
    expect(dependenciesOf(g, 'join-control-plane@cp3')).toContain('join-control-plane@cp2');
    expect(dependenciesOf(g, 'join-worker@worker2')).not.toContain('join-worker@worker1');
  });

  it('ha-external-etcd: init waits for every etcd member', () => {
    const { spec, graph } = loaded.get('ha-external-etcd.yaml')!;
    const members = spec.hosts.filter((h) => h.roles.includes('etcd')).map((h) => `etcd@${h.name}`);
    expect(members.length).toBeGreaterThanOrEqual(3);
    const init = graph.nodes().find((id) => graph.node(id).kind === 'kubeadm-init')!;
    for (const m of members) expect(dependenciesOf(graph, init)).toContain(m);
  });

  it('kube-vip: on every control-plane host before its init or join, no keepalived', () => {
    const { spec, graph } = loaded.get('kube-vip.yaml')!;
    const cps = spec.hosts.filter((h) => h.roles.includes('control-plane'));
    const [first, ...rest] = cps;
    expect(rest.length).toBeGreaterThan(0);
    expect(dependenciesOf(graph, `kubeadm-init@${first!.name}`)).toContain(`kube-vip@${first!.name}`);
    for (const h of rest) expect(dependenciesOf(graph, `join-control-plane@${h.name}`)).toContain(`kube-vip@${h.name}`);
    expect(kindsOf(graph).has('lb-keepalived')).toBe(false);
  });
});
