// Benchmark: `hactl facts` (the whole process) on 20 light lab hosts against two references
// measured in the same run: 20 parallel OpenSSH `ssh host true` on fresh connections, and the
// in-process floor (bench/floor.ts: ssh2, all connections at once, one trivial command each).
// Besides, hactl's transport alone running `true` (bench/transport-trivial.ts), which splits the
// gap between the floor and hactl facts into connection handling and start-up plus probe.
// Prints medians of 5 rounds and their ratios, with the CPU each case cost this machine and the lab's
// hosts (which share its cores); never passes or fails on timing.
//
//   npm run lab -- hold -- npx tsx bench/facts.ts [--rounds N] [--light N]
//
// Uses a light lab that is already up with enough hosts (and leaves it up); otherwise brings one
// up and tears it down afterwards.
import {
  buildCli,
  floorCase,
  loadAverage,
  log,
  median,
  opensshCase,
  option,
  run,
  transportTrivialCase,
  withHostsCpu,
  withLightLab,
  writeLightSpec,
  type Measured,
} from './lib.js';

const args = process.argv.slice(2);
const ROUNDS = option(args, '--rounds', 5);
const LIGHT = option(args, '--light', 20);

async function main(): Promise<void> {
  buildCli();
  await withLightLab(LIGHT, async (state) => {
    const hosts = state.hosts.slice(0, LIGHT);
    const spec = writeLightSpec(hosts);
    const cases: Record<string, () => Promise<Measured>> = {
      'hactl facts (spec default parallelism)': () => run('node', ['bin/run.js', 'facts', '-f', spec, '-o', 'json']),
      [`hactl facts --parallelism ${hosts.length}`]: () =>
        run('node', ['bin/run.js', 'facts', '-f', spec, '-o', 'json', '--parallelism', String(hosts.length)]),
      [`${hosts.length} x OpenSSH ssh true`]: opensshCase(hosts),
      'ssh2 floor (bench/floor.ts)': floorCase(hosts),
      // Apart from the ratio: hactl's transport alone, so the rest of the gap is start-up and probe.
      "hactl's transport, true (transport-trivial)": transportTrivialCase(hosts),
    };

    // Check every case works once before timing anything.
    for (const [name, fn] of Object.entries(cases)) log(`warm-up ${name}: ${(await fn()).ms.toFixed(0)} ms`);
    const loadBefore = loadAverage();
    const runs: Record<string, (Measured & { hostsCpuMs?: number })[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved, so every case sees the same machine load.
      for (const [name, fn] of Object.entries(cases)) runs[name]!.push(await withHostsCpu(fn));
      log(`round ${r + 1}/${ROUNDS} done`);
    }

    const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v.map((m) => m.ms))]));
    const [factsDefault, factsFull, openssh, floor, transport] = Object.values(med) as [number, number, number, number, number];
    console.log(`hosts: ${hosts.length} light lab hosts; rounds: ${ROUNDS}; load average before: ${loadBefore}, after: ${loadAverage()}; medians in seconds`);
    for (const [k, v] of Object.entries(med)) {
      const times = runs[k]!.map((m) => (m.ms / 1000).toFixed(2)).join(' ');
      const hosts = runs[k]!.every((m) => m.hostsCpuMs !== undefined) ? `  hosts CPU ${(median(runs[k]!.map((m) => m.hostsCpuMs!)) / 1000).toFixed(3)}` : '';
      console.log(
        `  ${k.padEnd(44)} ${(v / 1000).toFixed(3)}  local CPU ${(median(runs[k]!.map((m) => m.cpuMs)) / 1000).toFixed(3)}${hosts}  (runs: ${times})`,
      );
    }
    console.log('ratios of medians:');
    console.log(
      `  hactl facts / ssh2 floor          ${(factsDefault / floor).toFixed(2)}x (default parallelism), ${(factsFull / floor).toFixed(2)}x (--parallelism ${hosts.length})   target <= 1.5x`,
    );
    console.log(
      `  hactl facts / OpenSSH ssh true    ${(factsDefault / openssh).toFixed(2)}x (default parallelism), ${(factsFull / openssh).toFixed(2)}x (--parallelism ${hosts.length})`,
    );
    console.log(`  OpenSSH ssh true / ssh2 floor     ${(openssh / floor).toFixed(2)}x`);
    console.log(`  hactl's transport / ssh2 floor    ${(transport / floor).toFixed(2)}x (the rest of hactl facts' gap: start-up, spec, probe)`);
  });
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
