import { Graph } from '@dagrejs/graphlib';
import { describe, expect, it } from 'vitest';
import { compile, RESOURCE_CATALOG } from '../../src/resources/index.js';
import {
  compareIds,
  dependenciesOf,
  dependentsOf,
  topologicalLayers,
  topologicalOrder,
  validateGraph,
  type ResourceGraph,
  type ResourceNode,
} from '../../src/graph/index.js';
import { at, compileGraph, workerUpgradeBatch, type GraphBuilder } from '../../src/graph/compile.js';
import { buildSpec, SHAPES, type Topology } from './spec-builder.js';

const graphOf = (t: Topology): ResourceGraph => compile(buildSpec(t));

/** Every resource `id` waits for, directly or not. */
function ancestors(g: ResourceGraph, id: string): Set<string> {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length > 0) {
    for (const p of g.predecessors(stack.pop()!) ?? []) {
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return seen;
}

const ofKind = (g: ResourceGraph, kind: ResourceNode['kind']): string[] => g.nodes().filter((id) => g.node(id).kind === kind);

describe('compile: host preparation', () => {
  it('gives every host preflight -> package-sources -> os-prep, and kubelet hosts containerd -> kube-packages', () => {
    const g = graphOf(SHAPES['ha-external-etcd']!);
    expect(dependenciesOf(g, 'package-sources@lb1')).toEqual(['preflight@lb1']);
    expect(dependenciesOf(g, 'os-prep@etcd2')).toEqual(['package-sources@etcd2']);
    expect(dependenciesOf(g, 'containerd@node1')).toEqual(['os-prep@node1']);
    expect(dependenciesOf(g, 'kube-packages@master2')).toEqual(['containerd@master2']);
    // LB and etcd hosts run no kubelet.
    expect(g.hasNode('containerd@lb1')).toBe(false);
    expect(g.hasNode('kube-packages@etcd1')).toBe(false);
  });

  it('labels every node with its id, kind and host', () => {
    const g = graphOf(SHAPES['ha-stacked']!);
    expect(g.node('containerd@master1')).toEqual({ id: 'containerd@master1', kind: 'containerd', host: 'master1' });
    expect(g.node('cni')).toEqual({ id: 'cni', kind: 'cni', host: 'master1' });
    expect(g.node('kubeadm-init@master1').serialGroup).toBe('control-plane');
  });
});

describe('compile: kubeadm init', () => {
  it('waits for every LB node and every external etcd member', () => {
    const g = graphOf(SHAPES['ha-external-etcd']!);
    const lbNodes = [...ofKind(g, 'lb-nginx'), ...ofKind(g, 'lb-keepalived')];
    expect(lbNodes).toHaveLength(4);
    const members = ofKind(g, 'etcd');
    expect(members.sort()).toEqual(['etcd@etcd1', 'etcd@etcd2', 'etcd@etcd3']);
    const deps = dependenciesOf(g, 'kubeadm-init@master1');
    for (const id of [...lbNodes, ...members, 'kube-packages@master1']) expect(deps).toContain(id);
  });

  it('runs on the first control-plane host in spec order, exactly once', () => {
    const g = graphOf({ controlPlane: ['cp-b', 'cp-a', 'cp-c'], lb: ['lb1'] });
    expect(ofKind(g, 'kubeadm-init')).toEqual(['kubeadm-init@cp-b']);
    expect(g.node('cni').host).toBe('cp-b');
    expect(g.node('smoke-test').host).toBe('cp-b');
  });

  it('with external etcd, members start after the shared PKI made on the first etcd host', () => {
    const g = graphOf(SHAPES['ha-external-etcd']!);
    expect(g.node('etcd-pki').host).toBe('etcd1');
    expect(dependenciesOf(g, 'etcd-pki')).toEqual(['os-prep@etcd1']);
    expect(dependenciesOf(g, 'etcd@etcd3')).toEqual(['etcd-pki', 'os-prep@etcd3']);
  });

  it('with stacked etcd has no etcd resources even when a host carries the etcd role', () => {
    const g = graphOf({ controlPlane: ['m1'], etcd: ['e1'], etcdTopology: 'stacked', lbType: 'none' });
    expect(ofKind(g, 'etcd')).toEqual([]);
    expect(ofKind(g, 'etcd-pki')).toEqual([]);
  });
});

describe('compile: joins', () => {
  it('chains control-plane joins one after another, all in the control-plane serial group', () => {
    const g = graphOf({ controlPlane: ['m1', 'm2', 'm3', 'm4', 'm5'], lb: ['lb1'] });
    expect(dependenciesOf(g, 'join-control-plane@m2')).toContain('kubeadm-init@m1');
    expect(dependenciesOf(g, 'join-control-plane@m3')).toContain('join-control-plane@m2');
    expect(dependenciesOf(g, 'join-control-plane@m4')).toContain('join-control-plane@m3');
    expect(dependenciesOf(g, 'join-control-plane@m5')).toContain('join-control-plane@m4');
    expect(dependenciesOf(g, 'join-control-plane@m5')).toContain('kube-packages@m5');
    for (const id of ofKind(g, 'join-control-plane')) expect(g.node(id).serialGroup).toBe('control-plane');
  });

  it('joins workers after init in parallel: no worker waits for another', () => {
    const g = graphOf({ controlPlane: ['m1', 'm2', 'm3'], lb: ['lb1'], workers: ['w1', 'w2', 'w3', 'w4'] });
    const workers = ofKind(g, 'join-worker');
    expect(workers).toHaveLength(4);
    for (const w of workers) {
      expect(dependenciesOf(g, w)).toEqual(['kube-packages@' + g.node(w).host, 'kubeadm-init@m1']);
      const up = ancestors(g, w);
      expect([...up].filter((id) => id.startsWith('join-'))).toEqual([]);
      expect(g.node(w).serialGroup).toBeUndefined();
    }
    // They all become ready in the same stage.
    const layers = topologicalLayers(g);
    const stageOf = (id: string): number => layers.findIndex((l) => l.includes(id));
    expect(new Set(workers.map(stageOf)).size).toBe(1);
  });

  it('joins a host with both control-plane and worker roles once, as control plane', () => {
    const g = graphOf({ controlPlane: ['m1', 'm2', 'm3'], workers: ['m2', 'w1'], lb: ['lb1'] });
    expect(g.hasNode('join-worker@m2')).toBe(false);
    expect(g.hasNode('join-control-plane@m2')).toBe(true);
    expect(dependenciesOf(g, 'node-config@m2')).toEqual(['upgrade-control-plane@m2']);
    expect(g.hasNode('upgrade-worker@m2')).toBe(false);
  });

  it('compiles a single host with LB type none: init, no joins, no LB resources', () => {
    const g = graphOf(SHAPES.single!);
    const kinds = new Set(g.nodes().map((id) => g.node(id).kind));
    expect([...kinds].sort()).toEqual(
      [
        'cni',
        'containerd',
        'kube-packages',
        'kubeadm-init',
        'node-config',
        'os-prep',
        'package-sources',
        'preflight',
        'smoke-test',
        'upgrade-control-plane',
        'certificate-renewal',
      ].sort(),
    );
    expect(dependenciesOf(g, 'kubeadm-init@node1')).toEqual(['kube-packages@node1']);
  });
});

describe('compile: load balancer variants', () => {
  it('dedicated keepalived-haproxy: proxy then keepalived on each lb host', () => {
    const g = graphOf(SHAPES['ha-stacked']!);
    expect(dependenciesOf(g, 'lb-haproxy@lb2')).toEqual(['os-prep@lb2']);
    expect(dependenciesOf(g, 'lb-keepalived@lb2')).toEqual(['lb-haproxy@lb2']);
    expect(ofKind(g, 'lb-haproxy').every((id) => g.node(id).host.startsWith('lb'))).toBe(true);
  });

  it('co-located: the LB runs on the control-plane hosts, and every one is up before init', () => {
    const g = graphOf(SHAPES['co-located']!);
    expect(ofKind(g, 'lb-keepalived').sort()).toEqual(['lb-keepalived@master1', 'lb-keepalived@master2', 'lb-keepalived@master3']);
    const before = ancestors(g, 'kubeadm-init@master1');
    expect(before.has('lb-keepalived@master3')).toBe(true);
    expect(before.has('lb-haproxy@master2')).toBe(true);
  });

  it('kube-vip: on each control-plane host after its packages, before its own init or join', () => {
    const g = graphOf(SHAPES['kube-vip']!);
    expect(ofKind(g, 'kube-vip').sort()).toEqual(['kube-vip@master1', 'kube-vip@master2', 'kube-vip@master3']);
    expect(dependenciesOf(g, 'kube-vip@master2')).toEqual(['kube-packages@master2']);
    expect(dependenciesOf(g, 'kubeadm-init@master1')).toContain('kube-vip@master1');
    expect(dependenciesOf(g, 'join-control-plane@master3')).toContain('kube-vip@master3');
    // Only the first host's kube-vip holds up init; the others wait for nothing but their host.
    expect(ancestors(g, 'kubeadm-init@master1').has('kube-vip@master2')).toBe(false);
    expect(ofKind(g, 'lb-keepalived')).toEqual([]);
  });

  it.each(['external', 'none'] as const)('%s: no LB resources even with lb hosts listed', (lbType) => {
    const g = graphOf({ controlPlane: ['m1', 'm2', 'm3'], lb: ['lb1'], lbType });
    const lbKinds = ['lb-haproxy', 'lb-nginx', 'lb-keepalived', 'kube-vip'] as const;
    for (const k of lbKinds) expect(ofKind(g, k)).toEqual([]);
  });
});

describe('compile: end of the pipeline', () => {
  it('upgrades running nodes after their join: control plane one at a time from the first, then workers one at a time', () => {
    const g = graphOf(SHAPES['ha-stacked']!);
    expect(dependenciesOf(g, 'upgrade-control-plane@master1')).toEqual(['kube-packages@master1', 'kubeadm-init@master1']);
    expect(dependenciesOf(g, 'upgrade-control-plane@master2')).toEqual([
      'join-control-plane@master2',
      'kube-packages@master2',
      'upgrade-control-plane@master1',
    ]);
    expect(dependenciesOf(g, 'upgrade-control-plane@master3')).toEqual([
      'join-control-plane@master3',
      'kube-packages@master3',
      'upgrade-control-plane@master2',
    ]);
    for (const w of ofKind(g, 'upgrade-worker')) {
      const host = g.node(w).host;
      expect(dependenciesOf(g, w)).toEqual([`join-worker@${host}`, `kube-packages@${host}`, 'upgrade-control-plane@master3']);
      expect(g.node(w).serialGroup).toBe('worker-upgrade');
    }
    expect(ofKind(g, 'upgrade-control-plane').map((id) => g.node(id).serialGroup)).toEqual(['control-plane', 'control-plane', 'control-plane']);
  });

  it.each([
    [undefined, 3, undefined],
    [2, 3, 2],
    [5, 3, 3],
    ['50%', 3, undefined],
    ['100%', 3, 3],
  ] as const)('maxUnavailable %s with %i workers: %s at a time', (maxUnavailable, n, limit) => {
    const workers = Array.from({ length: n }, (_, i) => `w${i + 1}`);
    const g = graphOf({ ...SHAPES['ha-stacked']!, workers, ...(maxUnavailable !== undefined ? { maxUnavailable } : {}) });
    for (const w of ofKind(g, 'upgrade-worker')) expect(g.node(w).serialLimit).toBe(limit);
  });

  it('workerUpgradeBatch: a count capped at the workers, a percentage rounded down, at least 1', () => {
    expect(workerUpgradeBatch('10%', 5)).toBe(1);
    expect(workerUpgradeBatch('10%', 20)).toBe(2);
    expect(workerUpgradeBatch('10%', 29)).toBe(2);
    expect(workerUpgradeBatch('25%', 10)).toBe(2);
    expect(workerUpgradeBatch(4, 3)).toBe(3);
    expect(workerUpgradeBatch(1, 0)).toBe(1);
  });

  it('renews certificates on each control-plane host after its upgrade, in the control-plane serial group, before the smoke test', () => {
    const g = graphOf(SHAPES['ha-stacked']!);
    const renewals = ofKind(g, 'certificate-renewal');
    expect(renewals.map((id) => g.node(id).host).sort()).toEqual(['master1', 'master2', 'master3']);
    for (const id of renewals) {
      expect(dependenciesOf(g, id)).toEqual([`upgrade-control-plane@${g.node(id).host}`]);
      expect(g.node(id).serialGroup).toBe('control-plane');
      expect(dependenciesOf(g, 'smoke-test')).toContain(id);
    }
  });

  it('configures each node after its own join and upgrade, and smoke-tests after CNI and every node config', () => {
    const g = graphOf(SHAPES['ha-stacked']!);
    expect(dependenciesOf(g, 'node-config@node3')).toEqual(['upgrade-worker@node3']);
    expect(dependenciesOf(g, 'node-config@master1')).toEqual(['upgrade-control-plane@master1']);
    const smoke = dependenciesOf(g, 'smoke-test');
    expect(smoke).toContain('cni');
    expect(smoke.filter((id) => id.startsWith('node-config@'))).toHaveLength(6);
    expect(dependentsOf(g, 'smoke-test')).toEqual([]);
  });
});

describe('ids and ordering', () => {
  it('produces the same ids, edges and order on every run', () => {
    const a = graphOf(SHAPES['ha-external-etcd']!);
    const b = graphOf(SHAPES['ha-external-etcd']!);
    expect(topologicalOrder(a)).toEqual(topologicalOrder(b));
    const edges = (g: ResourceGraph): string[] =>
      g
        .edges()
        .map((e) => `${e.v}>${e.w}`)
        .sort();
    expect(edges(a)).toEqual(edges(b));
  });

  it('rejects duplicate host names, which would give two resources one id', () => {
    const spec = buildSpec({ controlPlane: ['m1'], lbType: 'none' });
    spec.hosts.push({ ...spec.hosts[0]!, roles: ['worker'] });
    expect(() => compile(spec)).toThrow(/duplicate resource id "preflight@m1"/);
  });

  it('names a kind placed before a kind it needs (the catalog out of graph order)', () => {
    const spec = buildSpec({ controlPlane: ['m1'], lbType: 'none' });
    const later = RESOURCE_CATALOG.filter((k) => k.kind === 'os-prep' || k.kind === 'package-sources' || k.kind === 'preflight');
    const motd = { kind: 'motd', place: (b: GraphBuilder) => spec.hosts.forEach((h) => b.needs(b.add('motd', h.name), at('os-prep', h))) };
    expect(() => compileGraph(spec, [motd, ...later])).toThrow('resource "os-prep@m1" is needed by motd@m1, placed before it');
    expect(compileGraph(spec, [...later, motd]).hasNode('motd@m1')).toBe(true);
  });

  it('rejects a spec without a control-plane host', () => {
    const spec = buildSpec({ controlPlane: ['m1'], lbType: 'none' });
    spec.hosts[0]!.roles = ['worker'];
    expect(() => compile(spec)).toThrow(/no host has the control-plane role/);
  });

  it('orders ids naturally and breaks topological ties by that order', () => {
    expect(['n10', 'n2', 'n1', 'm', 'n01'].sort(compareIds)).toEqual(['m', 'n01', 'n1', 'n2', 'n10']);
    expect(compareIds('a2b', 'a10a')).toBeLessThan(0);
    const g = graphOf({ controlPlane: ['m1'], workers: ['w10', 'w2', 'w1'], lbType: 'none' });
    const order = topologicalOrder(g);
    // The first ready resources are all preflights; after that, whatever became ready first.
    expect(order[0]).toBe('preflight@m1');
    expect(order.filter((id) => id.startsWith('preflight@w'))).toEqual(['preflight@w1', 'preflight@w2', 'preflight@w10']);
    expect(order.filter((id) => id.startsWith('join-worker@'))).toEqual(['join-worker@w1', 'join-worker@w2', 'join-worker@w10']);
    const pos = new Map(order.map((id, i) => [id, i]));
    for (const e of g.edges()) expect(pos.get(e.v)!).toBeLessThan(pos.get(e.w)!);
  });
});

describe('validateGraph', () => {
  const node = (id: string): ResourceNode => ({ id, kind: 'preflight', host: id });
  const graph = (): ResourceGraph => new Graph<{ cluster: string }, ResourceNode, undefined>();

  it('names a cycle in dependency order', () => {
    const g = graph();
    for (const id of ['a', 'b', 'c', 'd']) g.setNode(id, node(id));
    g.setEdge('d', 'a');
    g.setEdge('a', 'b');
    g.setEdge('b', 'c');
    g.setEdge('c', 'a');
    expect(() => validateGraph(g)).toThrow('dependency cycle: a -> b -> c -> a');
    expect(() => topologicalOrder(g)).toThrow(/dependency cycle/);
  });

  it('names a dependency on a resource that was never added', () => {
    const g = graph();
    g.setNode('a', node('a'));
    g.setEdge('ghost', 'a'); // graphlib creates a bare, unlabelled "ghost" node
    expect(() => validateGraph(g)).toThrow('resource "ghost" is referenced by a but does not exist');
  });

  it('rejects a self-dependency and a node labelled with another id', () => {
    const g = graph();
    g.setNode('a', node('a'));
    g.setEdge('a', 'a');
    expect(() => validateGraph(g)).toThrow('resource "a" depends on itself');
    const h = graph();
    h.setNode('a', node('b'));
    expect(() => validateGraph(h)).toThrow(/labelled with a different id/);
  });

  it('dependenciesOf an unknown id throws', () => {
    expect(() => dependenciesOf(graphOf(SHAPES.single!), 'nope@x')).toThrow('unknown resource "nope@x"');
  });
});
