import { describe, expect, it } from 'vitest';
import { criticalPath, resourceSpans } from '../../bench/critical-path.js';

describe('resourceSpans', () => {
  it('pairs each started line with its succeeded or failed line and ignores the rest', () => {
    const log = [
      '[2026-01-01T00:00:00.000Z] apply (parallelism 10)',
      '[2026-01-01T00:00:01.000Z] started preflight@cp1',
      '[2026-01-01T00:00:01.500Z] started preflight@w1',
      '[2026-01-01T00:00:03.250Z] succeeded preflight@cp1',
      '[2026-01-01T00:00:04.000Z] failed preflight@w1: exit 1',
      '[2026-01-01T00:00:05.000Z] skipped containerd@w1 (because preflight@w1 failed)',
    ].join('\n');
    const spans = resourceSpans(log);
    expect([...spans.keys()]).toEqual(['preflight@cp1', 'preflight@w1']);
    expect(spans.get('preflight@cp1')!.end - spans.get('preflight@cp1')!.start).toBe(2250);
    expect(spans.get('preflight@w1')!.end - spans.get('preflight@w1')!.start).toBe(2500);
  });
});

describe('criticalPath', () => {
  // a -> b -> d, a -> c -> d: d waits for the slower of b and c.
  const preds: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: [] };
  const ms: Record<string, number> = { a: 10, b: 5, c: 30, d: 1, e: 40 };

  it('follows the longest chain of durations', () => {
    expect(
      criticalPath(
        ['a', 'b', 'c', 'd'],
        (id) => preds[id]!,
        (id) => ms[id]!,
      ),
    ).toEqual({ ms: 41, path: ['a', 'c', 'd'] });
  });

  it('is a lone resource when nothing chains longer', () => {
    expect(
      criticalPath(
        ['a', 'b', 'c', 'd', 'e'],
        (id) => preds[id]!,
        (id) => ({ ...ms, e: 50 })[id]!,
      ),
    ).toEqual({ ms: 50, path: ['e'] });
  });
});
