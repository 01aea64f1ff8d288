import fc from 'fast-check';
import { Graph } from '@dagrejs/graphlib';
import { describe, expect, it } from 'vitest';
import type { ResourceNode } from '../../src/graph/types.js';
import type { ResourceKind } from '../../src/resources/index.js';
import { walk, type WalkEvent } from '../../src/apply/walker.js';

function node(id: string, extra: Partial<ResourceNode> = {}): ResourceNode {
  const [kind, host] = id.includes('@') ? id.split('@') : [id, 'cp1'];
  return { id, kind: kind as ResourceKind, host: host!, ...extra };
}

function graphOf(nodes: ResourceNode[], edges: [string, string][] = []): Graph {
  const g = new Graph();
  for (const n of nodes) g.setNode(n.id, n);
  for (const [dep, id] of edges) g.setEdge(dep, id);
  return g;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A run function that records overlap; `fail` ids reject, `delays` per id (default 5 ms). */
function recorder(opts: { fail?: string[]; delays?: Record<string, number> } = {}) {
  const running = new Set<string>();
  const intervals: { id: string; start: number; end: number; node: ResourceNode }[] = [];
  const order: string[] = [];
  let maxConcurrent = 0;
  let tick = 0;
  const run = async (n: ResourceNode, _signal: AbortSignal) => {
    order.push(n.id);
    running.add(n.id);
    maxConcurrent = Math.max(maxConcurrent, running.size);
    const start = tick++;
    await sleep(opts.delays?.[n.id] ?? 5);
    intervals.push({ id: n.id, start, end: tick++, node: n });
    running.delete(n.id);
    if (opts.fail?.includes(n.id)) throw new Error(`boom ${n.id}`);
  };
  return {
    run,
    order,
    intervals,
    get maxConcurrent() {
      return maxConcurrent;
    },
  };
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }) {
  return a.start < b.end && b.start < a.end;
}

describe('walk', () => {
  it('finishes an empty graph with nothing to report', async () => {
    const events: WalkEvent[] = [];
    const r = await walk(new Graph(), async () => {}, { onEvent: (e) => events.push(e) });
    expect(r).toEqual({ succeeded: [], failed: [], skipped: [], cancelled: [] });
    expect(events).toEqual([]);
  });

  it('never runs more than `parallelism` resources at once and reaches the cap', async () => {
    const nodes = Array.from({ length: 25 }, (_, i) => node(`os-prep@w${String(i).padStart(2, '0')}`));
    for (const n of [1, 3, 10]) {
      const rec = recorder();
      const r = await walk(graphOf(nodes), rec.run, { parallelism: n });
      expect(rec.maxConcurrent).toBe(n);
      expect(r.succeeded).toHaveLength(25);
    }
  });

  it('defaults to a parallelism of 10', async () => {
    const nodes = Array.from({ length: 30 }, (_, i) => node(`os-prep@w${String(i).padStart(2, '0')}`));
    const rec = recorder();
    await walk(graphOf(nodes), rec.run);
    expect(rec.maxConcurrent).toBe(10);
  });

  it('rejects a parallelism below 1 and a cyclic graph', async () => {
    await expect(walk(new Graph(), async () => {}, { parallelism: 0 })).rejects.toThrow(/parallelism/);
    const g = graphOf(
      [node('a'), node('b')],
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
    );
    await expect(walk(g, async () => {})).rejects.toThrow(/cycle/);
  });

  it('starts a resource only after all its dependencies succeeded (diamond)', async () => {
    const g = graphOf(
      [node('preflight'), node('os-prep@a'), node('os-prep@b'), node('kubeadm-init')],
      [
        ['preflight', 'os-prep@a'],
        ['preflight', 'os-prep@b'],
        ['os-prep@a', 'kubeadm-init'],
        ['os-prep@b', 'kubeadm-init'],
      ],
    );
    const rec = recorder({ delays: { 'os-prep@a': 2, 'os-prep@b': 20 } });
    const r = await walk(g, rec.run, { parallelism: 4 });
    const at = (id: string) => rec.intervals.find((i) => i.id === id)!;
    expect(at('kubeadm-init').start).toBeGreaterThan(at('os-prep@b').end);
    expect(at('kubeadm-init').start).toBeGreaterThan(at('os-prep@a').end);
    expect(overlaps(at('os-prep@a'), at('os-prep@b'))).toBe(true);
    expect(rec.order.filter((id) => id === 'kubeadm-init')).toHaveLength(1);
    expect(r.succeeded).toEqual(['kubeadm-init', 'os-prep@a', 'os-prep@b', 'preflight']);
  });

  it('keeps one resource per host at a time with exclusivePerHost', async () => {
    const nodes = ['cp1', 'cp2', 'w1'].flatMap((h) => ['package-sources', 'os-prep', 'containerd', 'kube-packages'].map((k) => node(`${k}@${h}`)));
    const rec = recorder();
    const r = await walk(graphOf(nodes), rec.run, { parallelism: 10, exclusivePerHost: true });
    expect(r.succeeded).toHaveLength(12);
    for (const a of rec.intervals)
      for (const b of rec.intervals) if (a !== b && a.node.host === b.node.host) expect(overlaps(a, b), `${a.id} / ${b.id}`).toBe(false);
    // Hosts still run side by side.
    expect(rec.maxConcurrent).toBe(3);
  });

  it('without exclusivePerHost, independent resources of one host overlap', async () => {
    const nodes = ['os-prep@cp1', 'containerd@cp1'].map((id) => node(id));
    const rec = recorder();
    await walk(graphOf(nodes), rec.run);
    expect(rec.maxConcurrent).toBe(2);
  });

  it('never runs two members of one serial group at once', async () => {
    const joins = ['cp2', 'cp3', 'cp4', 'cp5'].map((h) => node(`join-control-plane@${h}`, { serialGroup: 'control-plane' }));
    const workers = ['w1', 'w2', 'w3'].map((h) => node(`join-worker@${h}`));
    const rec = recorder();
    const r = await walk(graphOf([...joins, ...workers]), rec.run, { parallelism: 10 });
    expect(r.succeeded).toHaveLength(7);
    const cp = rec.intervals.filter((i) => i.node.serialGroup === 'control-plane');
    for (const a of cp) for (const b of cp) if (a !== b) expect(overlaps(a, b)).toBe(false);
    // Workers are not held back by the group.
    expect(rec.maxConcurrent).toBe(4);
    // Ready members start in id order.
    expect(rec.order.filter((id) => id.startsWith('join-control-plane'))).toEqual(joins.map((j) => j.id));
  });

  it('runs up to serialLimit members of a group at once (worker upgrades in batches)', async () => {
    const upgrades = ['w1', 'w2', 'w3', 'w4', 'w5'].map((h) => node(`upgrade-worker@${h}`, { serialGroup: 'worker-upgrade', serialLimit: 2 }));
    const rec = recorder();
    const r = await walk(graphOf(upgrades), rec.run, { parallelism: 10 });
    expect(r.succeeded).toHaveLength(5);
    expect(rec.maxConcurrent).toBe(2);
  });

  it('skips only the descendants of a failure and lets independent branches finish', async () => {
    const g = graphOf(
      [
        node('os-prep@cp1'),
        node('containerd@cp1'),
        node('kube-packages@cp1'),
        node('kubeadm-init'),
        node('os-prep@w1'),
        node('containerd@w1'),
        node('join-worker@w1'),
      ],
      [
        ['os-prep@cp1', 'containerd@cp1'],
        ['containerd@cp1', 'kube-packages@cp1'],
        ['kube-packages@cp1', 'kubeadm-init'],
        ['os-prep@w1', 'containerd@w1'],
        ['kubeadm-init', 'join-worker@w1'],
        ['containerd@w1', 'join-worker@w1'],
      ],
    );
    const events: WalkEvent[] = [];
    const rec = recorder({ fail: ['containerd@cp1'] });
    const r = await walk(g, rec.run, { onEvent: (e) => events.push(e) });
    expect(r.failed).toEqual([{ id: 'containerd@cp1', error: 'boom containerd@cp1' }]);
    expect(r.skipped).toEqual([
      { id: 'join-worker@w1', because: ['containerd@cp1'] },
      { id: 'kube-packages@cp1', because: ['containerd@cp1'] },
      { id: 'kubeadm-init', because: ['containerd@cp1'] },
    ]);
    expect(r.succeeded).toEqual(['containerd@w1', 'os-prep@cp1', 'os-prep@w1']);
    expect(r.cancelled).toEqual([]);
    expect(rec.order).not.toContain('kubeadm-init');
    expect(
      events
        .filter((e) => e.type === 'skipped')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['join-worker@w1', 'kube-packages@cp1', 'kubeadm-init']);
  });

  it('names every failed ancestor of a skipped resource', async () => {
    const g = graphOf(
      [node('a'), node('b'), node('c')],
      [
        ['a', 'c'],
        ['b', 'c'],
      ],
    );
    const rec = recorder({ fail: ['a', 'b'], delays: { a: 2, b: 10 } });
    const r = await walk(g, rec.run);
    expect(r.skipped).toEqual([{ id: 'c', because: ['a', 'b'] }]);
  });

  it('records a synchronous throw as that resource failing', async () => {
    const g = graphOf([node('a'), node('b'), node('c')], [['a', 'b']]);
    const run = (n: ResourceNode): Promise<void> => {
      if (n.id === 'a') throw new TypeError('not a promise at all');
      return Promise.resolve();
    };
    const r = await walk(g, run);
    expect(r.failed).toEqual([{ id: 'a', error: 'not a promise at all' }]);
    expect(r.skipped).toEqual([{ id: 'b', because: ['a'] }]);
    expect(r.succeeded).toEqual(['c']);
  });

  it('on cancellation starts nothing new, lets running resources finish, and reports the rest', async () => {
    const ac = new AbortController();
    const nodes = Array.from({ length: 6 }, (_, i) => node(`os-prep@h${i}`));
    const signals: AbortSignal[] = [];
    const finished: string[] = [];
    const run = async (n: ResourceNode, signal: AbortSignal) => {
      signals.push(signal);
      if (n.id === 'os-prep@h0') ac.abort();
      await sleep(10);
      finished.push(n.id);
    };
    const events: WalkEvent[] = [];
    const r = await walk(graphOf(nodes), run, { parallelism: 2, signal: ac.signal, onEvent: (e) => events.push(e) });
    expect(r.succeeded).toEqual(['os-prep@h0', 'os-prep@h1']);
    expect(finished.sort()).toEqual(['os-prep@h0', 'os-prep@h1']);
    expect(r.cancelled).toEqual(['os-prep@h2', 'os-prep@h3', 'os-prep@h4', 'os-prep@h5']);
    // A graceful stop does not abort what is running.
    expect(signals.every((s) => !s.aborted)).toBe(true);
    expect(events.filter((e) => e.type === 'cancelled')).toHaveLength(4);
  });

  it('a hard stop aborts the running resources signal; nothing aborted counts as succeeded', async () => {
    const soft = new AbortController();
    const hard = new AbortController();
    const g = graphOf([node('a@h1'), node('b@h2'), node('c@h3')], [['a@h1', 'c@h3']]);
    const run = (n: ResourceNode, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (n.id === 'b@h2') setTimeout(resolve, 5);
        signal.addEventListener('abort', () => reject(new Error('interrupted')));
        if (n.id === 'a@h1')
          setTimeout(() => {
            soft.abort();
            hard.abort();
          }, 15);
      });
    const r = await walk(g, run, { signal: soft.signal, abortRunning: hard.signal });
    expect(r.succeeded).toEqual(['b@h2']);
    expect(r.failed).toEqual([{ id: 'a@h1', error: 'interrupted' }]);
    expect(r.skipped).toEqual([{ id: 'c@h3', because: ['a@h1'] }]);
  });

  it('cancels everything when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let ran = 0;
    const r = await walk(
      graphOf([node('a'), node('b')], [['a', 'b']]),
      async () => {
        ran++;
      },
      { signal: ac.signal },
    );
    expect(ran).toBe(0);
    expect(r.cancelled).toEqual(['a', 'b']);
  });

  it('fails a resource that outlives timeoutMs and aborts its signal', async () => {
    let sawAbort = false;
    const run = (n: ResourceNode, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (n.id === 'fast') return void setTimeout(resolve, 1);
        signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(signal.reason);
        });
      });
    const r = await walk(graphOf([node('fast'), node('slow')]), run, { timeoutMs: 20 });
    expect(sawAbort).toBe(true);
    expect(r.succeeded).toEqual(['fast']);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.error).toMatch(/^timed out after 20 ms/);
  });

  it('emits start before end for each resource with timestamps from the given clock', async () => {
    let t = 1000;
    const events: WalkEvent[] = [];
    await walk(graphOf([node('a'), node('b')], [['a', 'b']]), async () => {}, {
      now: () => (t += 10),
      onEvent: (e) => events.push(e),
    });
    expect(events.map((e) => `${e.type} ${e.id} ${e.at}`)).toEqual(['started a 1010', 'succeeded a 1020', 'started b 1030', 'succeeded b 1040']);
  });

  it('keeps walking when the progress listener throws', async () => {
    const r = await walk(graphOf([node('a'), node('b')], [['a', 'b']]), async () => {}, {
      onEvent: () => {
        throw new Error('display broke');
      },
    });
    expect(r.succeeded).toEqual(['a', 'b']);
  });

  it('starts the ready resource furthest along its chain first, then the one most others wait on, whatever its id', async () => {
    // z1 -> z2 -> z3 and z1 -> z4: z1 holds up three and goes before a, b, c (all at the start);
    // then z2 (one waits on it) before z4, and z3, further along, before a, b, c.
    const rec = recorder();
    const g = graphOf(
      ['a', 'b', 'c', 'z1', 'z2', 'z3', 'z4'].map((id) => node(id)),
      [
        ['z1', 'z2'],
        ['z2', 'z3'],
        ['z1', 'z4'],
      ],
    );
    await walk(g, rec.run, { parallelism: 1 });
    expect(rec.order).toEqual(['z1', 'z2', 'z3', 'z4', 'a', 'b', 'c']);
  });

  it("finishes a host's chain before starting another host's: a worker's node configuration right after its join, not after every join", async () => {
    // init -> cni; per worker: pkg@w -> join@w (also after init) -> conf@w.
    const rec = recorder();
    const workers = ['w1', 'w2', 'w3'];
    const g = graphOf(
      ['init', 'cni', ...workers.flatMap((w) => [`pkg@${w}`, `join@${w}`, `conf@${w}`])].map((id) => node(id)),
      [
        ['init', 'cni'],
        ...workers.flatMap((w): [string, string][] => [
          [`pkg@${w}`, `join@${w}`],
          ['init', `join@${w}`],
          [`join@${w}`, `conf@${w}`],
        ]),
      ],
    );
    await walk(g, rec.run, { parallelism: 1 });
    expect(rec.order).toEqual(['init', 'cni', 'pkg@w1', 'join@w1', 'conf@w1', 'pkg@w2', 'join@w2', 'conf@w2', 'pkg@w3', 'join@w3', 'conf@w3']);
  });

  it('ranks by resources waiting, not by chain length: a control-plane step that all workers wait on before a longer worker chain', async () => {
    // cp -> join -> u1, u2, u3 (3 dependents through join) against w1 -> w2 -> w3 -> w4 (a longer chain, 3 dependents of w1, ids first).
    const rec = recorder();
    const g = graphOf(
      ['cp', 'join', 'u1', 'u2', 'u3', 'u4', 'a1', 'a2', 'a3', 'a4'].map((id) => node(id)),
      [
        ['cp', 'join'],
        ['join', 'u1'],
        ['join', 'u2'],
        ['join', 'u3'],
        ['join', 'u4'],
        ['a1', 'a2'],
        ['a2', 'a3'],
        ['a3', 'a4'],
      ],
    );
    await walk(g, rec.run, { parallelism: 1 });
    expect(rec.order.slice(0, 2)).toEqual(['cp', 'join']);
  });

  it('starts ready resources in id order for reproducible runs', async () => {
    const ids = ['os-prep@w3', 'os-prep@w1', 'os-prep@w2', 'containerd@w9'];
    const rec = recorder();
    await walk(graphOf(ids.map((id) => node(id))), rec.run, { parallelism: 1 });
    expect(rec.order).toEqual(['containerd@w9', 'os-prep@w1', 'os-prep@w2', 'os-prep@w3']);
  });
});

describe('walk on random graphs', () => {
  // Random DAGs (edges only from lower to higher index), hosts, groups, failures and delays.
  const graphArb = fc.integer({ min: 1, max: 20 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 2 }),
      hosts: fc.array(fc.nat(3), { minLength: n, maxLength: n }),
      groups: fc.array(fc.option(fc.constantFrom('control-plane', 'etcd'), { nil: undefined }), { minLength: n, maxLength: n }),
      failing: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      delays: fc.array(fc.nat(3), { minLength: n, maxLength: n }),
      parallelism: fc.integer({ min: 1, max: 5 }),
      exclusivePerHost: fc.boolean(),
    }),
  );

  it('keeps every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(graphArb, async (c) => {
        const id = (i: number) => `n${String(i).padStart(2, '0')}`;
        const nodes = Array.from({ length: c.n }, (_, i) =>
          node(`os-prep@h${c.hosts[i]}`.replace('os-prep', `os-prep-${id(i)}`), c.groups[i] ? { serialGroup: c.groups[i] } : {}),
        );
        const ids = nodes.map((n) => n.id);
        const edges: [string, string][] = c.edges.filter(([a, b]) => a < b).map(([a, b]) => [ids[a]!, ids[b]!]);
        const g = graphOf(nodes, edges);
        const done = new Map<string, number>();
        const intervals: { n: ResourceNode; start: number; end: number }[] = [];
        const live = new Set<string>();
        let clock = 0;
        let max = 0;
        const run = async (n: ResourceNode) => {
          const i = ids.indexOf(n.id);
          for (const p of g.predecessors(n.id) ?? []) expect(done.has(p), `${n.id} started before ${p}`).toBe(true);
          live.add(n.id);
          max = Math.max(max, live.size);
          const start = clock++;
          await sleep(c.delays[i]!);
          live.delete(n.id);
          intervals.push({ n, start, end: clock++ });
          if (c.failing[i]) throw new Error('x');
          done.set(n.id, clock);
        };
        const r = await walk(g, run, { parallelism: c.parallelism, exclusivePerHost: c.exclusivePerHost });

        const all = [...r.succeeded, ...r.failed.map((f) => f.id), ...r.skipped.map((s) => s.id), ...r.cancelled];
        expect(all.sort()).toEqual([...ids].sort());
        expect(r.cancelled).toEqual([]);
        expect(max).toBeLessThanOrEqual(c.parallelism);
        // Failed exactly when it was told to fail and ran; skipped exactly when an ancestor failed.
        const failed = new Set(r.failed.map((f) => f.id));
        for (const s of r.skipped) {
          for (const b of s.because) expect(failed.has(b)).toBe(true);
        }
        for (const i of ids.keys()) {
          const ran = intervals.some((iv) => iv.n.id === ids[i]);
          expect(failed.has(ids[i]!)).toBe(ran && c.failing[i]!);
        }
        for (const a of intervals)
          for (const b of intervals) {
            if (a === b || !overlaps(a, b)) continue;
            if (a.n.serialGroup !== undefined) expect(a.n.serialGroup).not.toBe(b.n.serialGroup);
            if (c.exclusivePerHost) expect(a.n.host).not.toBe(b.n.host);
          }
      }),
      { numRuns: 60 },
    );
  });
});
