// Deterministic ordering of resource ids and graph walks that break ties by that order, so every
// rendering, plan and test sees the same sequence on every run.

import type { ResourceGraph } from './types.js';

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Natural order of ids: digit runs compare as numbers, so `join-worker@node2` sorts before
 * `join-worker@node10`. Locale-independent (no Intl) so the order is the same on every machine.
 */
export function compareIds(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      // Skip leading zeros, then the longer run is the larger number.
      let si = i;
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++;
      let sj = j;
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++;
      const lenDiff = ei - si - (ej - sj);
      if (lenDiff !== 0) return lenDiff;
      for (; si < ei; si++, sj++) {
        const d = a.charCodeAt(si) - b.charCodeAt(sj);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  if (a.length - i !== b.length - j) return a.length - i - (b.length - j);
  // Equal under natural order (e.g. `n01` and `n1`): fall back to plain order to stay total.
  return compareStrings(a, b);
}

/** Plain code-unit order, the same in every locale: for whatever is sorted so that output is stable. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortIds(ids: Iterable<string>): string[] {
  return [...ids].sort(compareIds);
}

/** Min-heap of integers; ranks stand in for ids so the heap never compares strings. */
class RankHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Kahn's algorithm with ties broken by id order. Returns the ids that could be ordered; fewer
 * than the node count means the rest sit on or behind a cycle.
 */
export function kahn(g: ResourceGraph): string[] {
  const ids = sortIds(g.nodes());
  const rank = new Map<string, number>();
  ids.forEach((id, i) => rank.set(id, i));
  const indegree = new Int32Array(ids.length);
  const heap = new RankHeap();
  ids.forEach((id, i) => {
    indegree[i] = g.predecessors(id)?.length ?? 0;
    if (indegree[i] === 0) heap.push(i);
  });
  const order: string[] = [];
  while (heap.size > 0) {
    const id = ids[heap.pop()]!;
    order.push(id);
    for (const next of g.successors(id) ?? []) {
      const r = rank.get(next)!;
      if (--indegree[r]! === 0) heap.push(r);
    }
  }
  return order;
}
