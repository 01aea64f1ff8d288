import { Graph, alg } from '@dagrejs/graphlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/resources/index.js';
import { topologicalOrder, validateGraph, type ResourceGraph, type ResourceNode } from '../../src/graph/index.js';
import { formatDiagnostic, loadSpec } from '../../src/spec/index.js';
import { specArb, specToYaml } from './arbitraries.js';
import { checkGraph } from './invariants.js';

describe('compile: properties of random valid specs', () => {
  it('always yields an acyclic graph with every dependency present and the deployment order kept', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        checkGraph(spec, compile(spec));
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: the same spec compiles to the same order', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        expect(topologicalOrder(compile(spec))).toEqual(topologicalOrder(compile(structuredClone(spec))));
      }),
      { numRuns: 50 },
    );
  });

  it('holds through the whole front end: YAML text -> loadSpec -> compile', () => {
    const shape = (g: ResourceGraph): string[] => [...g.nodes(), ...g.edges().map((e) => `${e.v} -> ${e.w}`)].sort();
    fc.assert(
      fc.property(specArb, (built) => {
        const text = specToYaml(built);
        const r = loadSpec(text, 'generated.yaml');
        // The generated specs are valid by construction; a diagnostic here is a bug on one side.
        expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), text).toEqual([]);
        const g = compile(r.spec!);
        checkGraph(r.spec!, g);
        // Loading kept everything the compiler reads: same resources, same dependencies.
        expect(shape(g)).toEqual(shape(compile(built)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('validateGraph: properties of arbitrary graphs', () => {
  // Edges between n numbered nodes; forward edges (i < j) alone can never form a cycle.
  const graphArb = fc
    .integer({ min: 2, max: 30 })
    .chain((n) => fc.record({ n: fc.constant(n), edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 80 }) }));

  const build = (n: number, edges: Array<[number, number]>): ResourceGraph => {
    const g: ResourceGraph = new Graph<{ cluster: string }, ResourceNode, undefined>();
    for (let i = 0; i < n; i++) g.setNode(`r${i}`, { id: `r${i}`, kind: 'preflight', host: `h${i}` });
    for (const [v, w] of edges) g.setEdge(`r${v}`, `r${w}`);
    return g;
  };

  it('accepts every forward-only graph and orders it', () => {
    fc.assert(
      fc.property(graphArb, ({ n, edges }) => {
        const forward = edges.filter(([v, w]) => v < w);
        const g = build(n, forward);
        expect(validateGraph(g)).toBe(g);
        const pos = new Map(topologicalOrder(g).map((id, i) => [id, i]));
        for (const [v, w] of forward) expect(pos.get(`r${v}`)!).toBeLessThan(pos.get(`r${w}`)!);
      }),
    );
  });

  it('rejects a graph iff it has a cycle, naming a real one', () => {
    fc.assert(
      fc.property(graphArb, ({ n, edges }) => {
        const g = build(n, edges);
        const cyclic = edges.some(([v, w]) => v === w) || !alg.isAcyclic(g as never);
        if (!cyclic) {
          expect(() => validateGraph(g)).not.toThrow();
          return;
        }
        let message = '';
        try {
          validateGraph(g);
        } catch (e) {
          message = (e as Error).message;
        }
        const self = /^resource "(r\d+)" depends on itself$/.exec(message);
        if (self) {
          expect(g.hasEdge(self[1]!, self[1]!)).toBe(true);
          return;
        }
        const path = /^dependency cycle: (.*)$/.exec(message)![1]!.split(' -> ');
        expect(path[0]).toBe(path.at(-1));
        for (let i = 0; i + 1 < path.length; i++) expect(g.hasEdge(path[i]!, path[i + 1]!), `${path[i]} -> ${path[i + 1]}`).toBe(true);
      }),
    );
  });
});
