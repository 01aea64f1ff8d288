// Times load (YAML parse, schema, semantic checks, defaults) + compile of generated specs of 10 to
// 5,000 hosts and reports peak memory. Prints figures; never fails on them. The load average is
// printed too: on a busy machine the times are not comparable.
//
//   npx tsx bench/validate-compile.ts                 all sizes
//   npx tsx bench/validate-compile.ts 1000            one size
//   npx tsx bench/validate-compile.ts --profile 1000  also write a CPU profile per size (path printed)
//
// Each size runs in its own child process so its peak RSS is its own. The child is this file
// bundled to plain JavaScript (esbuild, which tsx ships with) and run by plain node, so the figures
// are those of the built CLI, not of the TypeScript loader (which alone adds ~35 MB of RSS).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { compile } from '../src/resources/index.js';
import { loadSpec } from '../src/spec/index.js';
import { generateSpecYaml } from './spec-generator.js';

const SIZES = [10, 100, 1_000, 5_000];
const RUNS = 5;
const TARGET = { hosts: 1_000, seconds: 0.5, megabytes: 150 };

interface Timing {
  loadMs: number;
  compileMs: number;
  totalMs: number;
  /** CPU time (user + system, all threads) of the pass: less skewed than wall time on a busy machine. */
  cpuMs: number;
}

interface Result {
  hosts: number;
  resources: number;
  /** The first pass: what one `hactl` invocation pays (schema compilation, unoptimised code). */
  cold: Timing;
  /** Median of the later passes. */
  warm: Timing;
  baselineMb: number;
  peakMb: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs in the child: RUNS independent load+compile passes over one generated spec. */
function measure(hosts: number): Result {
  const text = generateSpecYaml(hosts);
  // Collect before each pass so the peak is that of one pass, not of garbage left by earlier ones.
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
  gc();
  const baselineMb = process.memoryUsage().rss / 2 ** 20;
  const passes: Timing[] = [];
  let resources = 0;
  for (let i = 0; i < RUNS; i++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = loadSpec(text, `bench-${hosts}.yaml`);
    const t1 = performance.now();
    if (r.spec === undefined) {
      const errors = r.diagnostics.filter((d) => d.severity === 'error').slice(0, 3);
      throw new Error(`generated spec is invalid: ${errors.map((d) => `${d.path}: ${d.message}`).join('; ')}`);
    }
    resources = compile(r.spec).nodeCount();
    const t2 = performance.now();
    const cpu = process.cpuUsage(c0);
    passes.push({ loadMs: t1 - t0, compileMs: t2 - t1, totalMs: t2 - t0, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  const warm = passes.slice(1);
  return {
    hosts,
    resources,
    cold: passes[0]!,
    warm: {
      loadMs: median(warm.map((p) => p.loadMs)),
      compileMs: median(warm.map((p) => p.compileMs)),
      totalMs: median(warm.map((p) => p.totalMs)),
      cpuMs: median(warm.map((p) => p.cpuMs)),
    },
    baselineMb,
    // maxRSS is in kilobytes.
    peakMb: process.resourceUsage().maxRSS / 1024,
  };
}

async function bundleSelf(): Promise<string> {
  // Inside node_modules so the bundle's external imports resolve to the project's packages, and
  // two levels below the root like src/spec, which finds schemas/ relative to its own file.
  const dir = fileURLToPath(new URL('../node_modules/.hactl-bench/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const outfile = `${dir}validate-compile.mjs`;
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

function runChild(script: string, hosts: number, profDir: string | undefined): Result {
  const flags = ['--expose-gc', ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [])];
  const r = spawnSync(process.execPath, [...flags, script, '--child', String(hosts)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`benchmark child for ${hosts} hosts failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Result;
}

function table(results: Result[]): string {
  const head = [
    'hosts',
    'resources',
    'cold load ms',
    'cold compile ms',
    'cold total ms',
    'cold CPU ms',
    'warm load ms',
    'warm compile ms',
    'warm total ms',
    'warm CPU ms',
    'baseline RSS MB',
    'peak RSS MB',
  ];
  const ms = (x: number): string => x.toFixed(1);
  const rows = results.map((r) => [
    String(r.hosts),
    String(r.resources),
    ms(r.cold.loadMs),
    ms(r.cold.compileMs),
    ms(r.cold.totalMs),
    ms(r.cold.cpuMs),
    ms(r.warm.loadMs),
    ms(r.warm.compileMs),
    ms(r.warm.totalMs),
    ms(r.warm.cpuMs),
    r.baselineMb.toFixed(0),
    r.peakMb.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    process.stdout.write(JSON.stringify(measure(Number(argv[1]))) + '\n');
    return;
  }
  const profDir = argv.includes('--profile') ? mkdtempSync(join(tmpdir(), 'hactl-bench-prof-')) : undefined;
  const sizes = argv.filter((a) => /^\d+$/.test(a)).map(Number);
  const script = await bundleSelf();
  const results: Result[] = [];
  for (const n of sizes.length > 0 ? sizes : SIZES) {
    results.push(runChild(script, n, profDir));
    process.stderr.write(`  ${n} hosts done\n`);
  }
  console.log(
    `load (YAML, schema, semantic checks, defaults) + compile; cold = first pass in a fresh process, ` +
      `warm = median of the other ${RUNS - 1}; node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
  );
  console.log(table(results));
  const t = results.find((r) => r.hosts === TARGET.hosts);
  const ms = (x: number): string => x.toFixed(0);
  if (t) {
    const verdict = (ms: number): string =>
      `${(ms / 1000).toFixed(3)} s, ${t.peakMb.toFixed(0)} MB: ${ms / 1000 < TARGET.seconds && t.peakMb < TARGET.megabytes ? 'met' : 'NOT met'}`;
    console.log(
      `target: ${TARGET.hosts} hosts in < ${TARGET.seconds} s and < ${TARGET.megabytes} MB peak RSS -> ` +
        `cold ${verdict(t.cold.totalMs)}; warm ${verdict(t.warm.totalMs)}`,
    );
    console.log(`  (CPU time, less inflated than wall time by other processes on the machine: cold ${ms(t.cold.cpuMs)} ms, warm ${ms(t.warm.cpuMs)} ms)`);
  }
  if (profDir) console.log(`CPU profiles in ${profDir} (open in Chrome DevTools or speedscope)`);
}

await main(process.argv.slice(2));
