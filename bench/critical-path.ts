// The critical path of an apply: per-resource durations from a run's events.log (see
// src/apply/runlog.ts), and the longest chain of them through the resource graph.

interface Span {
  start: number;
  end: number;
}

/** started/succeeded (or failed) times per resource from a run's events.log. */
export function resourceSpans(eventsLog: string): Map<string, Span> {
  const spans = new Map<string, Span>();
  for (const line of eventsLog.split('\n')) {
    const m = /^\[([^\]]+)\] (started|succeeded|failed) (\S+?)(:|$)/.exec(line);
    if (!m) continue;
    const at = Date.parse(m[1]!);
    const id = m[3]!;
    if (m[2] === 'started') spans.set(id, { start: at, end: at });
    else {
      const s = spans.get(id);
      if (s) s.end = at;
    }
  }
  return spans;
}

/** The longest chain of durations through the graph (edges v -> w: w depends on v), and its resources. */
export function criticalPath(nodes: string[], predecessors: (id: string) => string[], durationMs: (id: string) => number): { ms: number; path: string[] } {
  const best = new Map<string, { ms: number; path: string[] }>();
  const visit = (id: string): { ms: number; path: string[] } => {
    const known = best.get(id);
    if (known) return known;
    let longest = { ms: 0, path: [] as string[] };
    for (const p of predecessors(id)) {
      const r = visit(p);
      if (r.ms > longest.ms) longest = r;
    }
    const result = { ms: longest.ms + durationMs(id), path: [...longest.path, id] };
    best.set(id, result);
    return result;
  };
  let top = { ms: 0, path: [] as string[] };
  for (const id of nodes) {
    const r = visit(id);
    if (r.ms > top.ms) top = r;
  }
  return top;
}
