import { Graph } from '@dagrejs/graphlib';
import { describe, expect, it } from 'vitest';
import type { GraphLabel, ResourceGraph, ResourceNode } from '../../src/graph/types.js';
import { walk } from '../../src/apply/walker.js';

describe('walk with the compiler’s graph type', () => {
  it('accepts a ResourceGraph as the compiler builds it', async () => {
    const g: ResourceGraph = new Graph<GraphLabel, ResourceNode, undefined>();
    g.setGraph({ cluster: 'lab' });
    g.setNode('os-prep@cp1', { id: 'os-prep@cp1', kind: 'os-prep', host: 'cp1' });
    g.setNode('containerd@cp1', { id: 'containerd@cp1', kind: 'containerd', host: 'cp1' });
    g.setEdge('os-prep@cp1', 'containerd@cp1');
    const seen: string[] = [];
    const r = await walk(g, async (n) => {
      seen.push(n.kind);
    });
    expect(seen).toEqual(['os-prep', 'containerd']);
    expect(r.succeeded).toEqual(['containerd@cp1', 'os-prep@cp1']);
  });
});

describe('walk input checks', () => {
  it('refuses a node without a resource label before running anything', async () => {
    const g = new Graph();
    g.setNode('a', { id: 'a', kind: 'preflight', host: 'cp1' });
    g.setNode('b');
    let ran = 0;
    await expect(
      walk(g, async () => {
        ran++;
      }),
    ).rejects.toThrow('graph node b has no resource label');
    expect(ran).toBe(0);
  });
});
