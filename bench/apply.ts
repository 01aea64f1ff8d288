// Benchmark: `hactl apply` (the whole process) of examples/lab/ha-stacked.yaml on fresh ha-stacked
// lab hosts, against the critical path of the same run: the longest chain of per-resource
// durations through the resource graph, read from the run's log (events.log in .hactl/runs/).
// The ratio says how much the walk itself (scheduling, caps, the lock, planning first) adds to
// what the dependencies force. Prints figures; never passes or fails on timing.
//
//   npm run lab -- hold -- npx tsx bench/apply.ts [--runs N]
//
// Each run brings the lab up fresh (bare hosts) and it is torn down at the end. A full apply
// takes minutes, so the default is one run; --runs N prints medians.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/resources/index.js';
import { loadSpecFile } from '../src/spec/index.js';
import { labDown, labUp } from '../test/lab/index.js';
import { criticalPath, resourceSpans } from './critical-path.js';
import { buildCli, loadAverage, log, median, option, repo, run, scratch, type Measured } from './lib.js';

const RUNS = option(process.argv.slice(2), '--runs', 1);
const SPEC = join(repo, 'examples', 'lab', 'ha-stacked.yaml');

interface ApplyRun {
  process: Measured;
  walkMs: number;
  beforeWalkMs: number;
  critical: { ms: number; path: { id: string; ms: number }[] };
  resources: number;
}

async function applyOnce(index: number): Promise<ApplyRun> {
  log(`run ${index}: bringing up a fresh ha-stacked lab`);
  await labUp({ topology: 'ha-stacked', fresh: true, log });
  const logRoot = mkdtempSync(join(scratch, 'runs-'));
  log(`run ${index}: hactl apply (a few minutes)`);
  const started = Date.now();
  const measured = await run('node', ['bin/run.js', 'apply', '-f', SPEC, '--auto-approve', '--log-dir', logRoot]);
  const dirs = readdirSync(logRoot);
  if (dirs.length !== 1) throw new Error(`expected one run log in ${logRoot}, found ${dirs.length}`);
  const spans = resourceSpans(readFileSync(join(logRoot, dirs[0]!, 'events.log'), 'utf8'));

  const loaded = await loadSpecFile(SPEC);
  if (!loaded.spec) throw new Error(`${SPEC} does not load`);
  const graph = compile(loaded.spec);
  const missing = graph.nodes().filter((id) => !spans.has(id));
  if (missing.length > 0) log(`run ${index}: not run (no change needed or not appliable): ${missing.join(', ')}`);
  const duration = (id: string): number => {
    const s = spans.get(id);
    return s ? s.end - s.start : 0;
  };
  const longest = criticalPath(graph.nodes(), (id) => graph.predecessors(id) ?? [], duration);
  const critical = { ms: longest.ms, path: longest.path.map((id) => ({ id, ms: duration(id) })) };
  const first = Math.min(...[...spans.values()].map((s) => s.start));
  const last = Math.max(...[...spans.values()].map((s) => s.end));
  return { process: measured, walkMs: last - first, beforeWalkMs: first - started, critical, resources: spans.size };
}

async function main(): Promise<void> {
  buildCli();
  const loadBefore = loadAverage();
  const runs: ApplyRun[] = [];
  try {
    for (let i = 1; i <= RUNS; i++) runs.push(await applyOnce(i));
  } finally {
    log('tearing down the lab');
    await labDown({ log });
  }
  const sec = (ms: number): string => (ms / 1000).toFixed(1);
  const med = (f: (r: ApplyRun) => number): number => median(runs.map(f));
  console.log(
    `hactl apply of examples/lab/ha-stacked.yaml from bare hosts; ${RUNS} run(s), medians; load average before: ${loadBefore}, after: ${loadAverage()}`,
  );
  for (const [i, r] of runs.entries()) {
    console.log(
      `  run ${i + 1}: apply ${sec(r.process.ms)} s (walk ${sec(r.walkMs)} s, before the walk ${sec(r.beforeWalkMs)} s), ` +
        `critical path ${sec(r.critical.ms)} s over ${r.critical.path.length} of ${r.resources} resources, local CPU ${sec(r.process.cpuMs)} s, peak RSS ${r.process.peakMb.toFixed(0)} MiB`,
    );
  }
  const last = runs.at(-1)!;
  console.log(`  critical path (last run): ${last.critical.path.map((p) => `${p.id} ${sec(p.ms)} s`).join(' -> ')}`);
  console.log('ratios of medians:');
  console.log(`  apply (whole process) / critical path   ${(med((r) => r.process.ms) / med((r) => r.critical.ms)).toFixed(3)}x   target <= 1.15x`);
  console.log(`  walk (first start to last end) / critical path   ${(med((r) => r.walkMs) / med((r) => r.critical.ms)).toFixed(3)}x`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
