// Benchmark: `hactl facts` (the whole process) on 20 light lab hosts against two references
// measured in the same run: 20 parallel OpenSSH `ssh host true` on fresh connections, and the
// in-process floor (bench/floor.ts: ssh2, all connections at once, one trivial command each).
// Prints medians of 5 rounds and their ratios; never passes or fails on timing.
//
//   npx tsx bench/facts.ts [--rounds N] [--light N] [--any-lab]
//
// Uses a light lab that is already up (and leaves it up); brings one up only when no lab is
// up, and then tears down only that. Refuses to run while another kind of lab is up, unless
// --any-lab: then it measures that lab's hosts as they are (every case only reads).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { clientKeyFile, hostsFile, knownHostsFile, labDown, labUp, readLabState, type LabState } from '../test/lab/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('--rounds', 5);
const LIGHT = opt('--light', 20);
const log = (m: string) => console.error(`bench: ${m}`);

let cpuFileSeq = 0;
const cpuDir = mkdtempSync(join(tmpdir(), 'hactl-bench-cpu-'));

/** Run a process to completion; resolves with wall-clock ms and the CPU ms (user + sys) it used. */
function run(cmd: string, argv: string[], opts: { okCodes?: number[] } = {}): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const cpuFile = join(cpuDir, `cpu.${++cpuFileSeq}`);
    const started = performance.now();
    // GNU time reports the child's CPU time, which Node cannot see.
    const p = spawn('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, cmd, ...argv], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = performance.now() - started;
      if (!(opts.okCodes ?? [0]).includes(code ?? -1)) {
        reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.slice(0, 400)} ${out.slice(-1500)}`));
        return;
      }
      const [u, sy] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolvePromise({ ms, cpuMs: ((u ?? 0) + (sy ?? 0)) * 1000 });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  // The CLI runs from dist/ as users run it: build it (type errors elsewhere do not stop emit).
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
  } catch {
    log('tsc reported errors (emitted anyway)');
  }
  if (!existsSync(join(repo, 'dist', 'commands', 'facts.js'))) throw new Error('dist/commands/facts.js missing after build');

  // The floor as plain JavaScript run by plain node, like the CLI (no tsx start-up in either).
  const floorDir = join(repo, 'node_modules', '.cache', 'hactl-bench');
  mkdirSync(floorDir, { recursive: true });
  const floorJs = join(floorDir, 'floor.mjs');
  const src = readFileSync(join(repo, 'bench', 'floor.ts'), 'utf8');
  writeFileSync(floorJs, ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);

  let state: LabState | undefined = readLabState();
  let broughtUp = false;
  const anyLab = args.includes('--any-lab');
  if (state && !anyLab && !(state.hosts.length === LIGHT && state.hosts.every((h) => h.kind === 'light'))) {
    throw new Error(`a ${state.topology} lab with ${state.hosts.length} hosts is up (someone else's?): not touching it; retry when it is down`);
  }
  if (!state) {
    log(`bringing up ${LIGHT} light hosts`);
    state = await labUp({ light: LIGHT, log });
    broughtUp = true;
  }
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-bench-'));
    const spec = join(dir, 'cluster.yaml');
    const hosts = state.hosts;
    writeFileSync(
      spec,
      [
        'apiVersion: hactl.io/v1alpha1',
        'kind: Cluster',
        'metadata:',
        '  name: bench',
        'profile: test',
        'ssh:',
        '  user: root',
        `  privateKeyFile: ${clientKeyFile}`,
        `  knownHostsFile: ${knownHostsFile}`,
        'hosts:',
        ...hosts.flatMap((h, i) => [`  - name: ${h.name}`, `    address: ${h.address}`, `    roles: [${i === 0 ? 'control-plane' : 'worker'}]`]),
        'kubernetes:',
        '  version: 1.31.4',
        '',
      ].join('\n'),
    );

    const cases: Record<string, () => Promise<{ ms: number; cpuMs: number }>> = {
      [`hactl facts (spec default parallelism)`]: () => run('node', ['bin/run.js', 'facts', '-f', spec, '-o', 'json']),
      [`hactl facts --parallelism ${hosts.length}`]: () => run('node', ['bin/run.js', 'facts', '-f', spec, '-o', 'json', '--parallelism', String(hosts.length)]),
      [`${hosts.length} x OpenSSH ssh true`]: async () => {
        const started = performance.now();
        const each = await Promise.all(
          hosts.map((h) =>
            run('ssh', [
              '-o', 'StrictHostKeyChecking=yes',
              '-o', `UserKnownHostsFile=${knownHostsFile}`,
              '-o', 'BatchMode=yes',
              '-o', 'ControlMaster=no',
              '-o', 'ControlPath=none',
              '-i', clientKeyFile,
              `root@${h.address}`,
              'true',
            ]),
          ),
        );
        return { ms: performance.now() - started, cpuMs: each.reduce((a, r) => a + r.cpuMs, 0) };
      },
      'ssh2 floor (bench/floor.ts)': () => run('node', [floorJs, hostsFile, clientKeyFile]),
    };

    // Check every case works once before timing anything.
    for (const [name, fn] of Object.entries(cases)) log(`warm-up ${name}: ${(await fn()).ms.toFixed(0)} ms`);
    const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved, so every case sees the same machine load.
      for (const [name, fn] of Object.entries(cases)) {
        const m = await fn();
        times[name]!.push(m.ms);
        cpu[name]!.push(m.cpuMs);
      }
      log(`round ${r + 1}/${ROUNDS} done`);
    }

    // Other engineers share the one lab: make sure it is still the one measured.
    const now = readLabState();
    if (!now || JSON.stringify(now.hosts) !== JSON.stringify(state.hosts)) throw new Error('the lab changed during the run (taken over?): figures discarded');
    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const [factsDefault, factsFull, openssh, floor] = Object.values(med) as [number, number, number, number];
    const kinds = [...new Set(hosts.map((h) => h.kind))].join('+');
    console.log(`hosts: ${hosts.length} ${kinds} lab hosts (${state.topology}); rounds: ${ROUNDS}; load average before: ${loadBefore}; medians in seconds`);
    for (const [k, v] of Object.entries(med)) {
      const runs = times[k]!.map((x) => (x / 1000).toFixed(2)).join(' ');
      console.log(`  ${k.padEnd(44)} ${(v / 1000).toFixed(3)}  local CPU ${(median(cpu[k]!) / 1000).toFixed(3)}  (runs: ${runs})`);
    }
    console.log('ratios of medians:');
    console.log(`  hactl facts / ssh2 floor          ${(factsDefault / floor).toFixed(2)}x (default parallelism), ${(factsFull / floor).toFixed(2)}x (--parallelism ${hosts.length})   target <= 1.5x`);
    console.log(`  hactl facts / OpenSSH ssh true    ${(factsDefault / openssh).toFixed(2)}x (default parallelism), ${(factsFull / openssh).toFixed(2)}x (--parallelism ${hosts.length})`);
    console.log(`  OpenSSH ssh true / ssh2 floor     ${(openssh / floor).toFixed(2)}x`);
  } finally {
    if (broughtUp) {
      // Only if it is still ours: another engineer's run may have replaced it meanwhile.
      const now = readLabState();
      if (now && JSON.stringify(now.hosts) === JSON.stringify(state.hosts)) {
        log('tearing down the lab this benchmark brought up');
        await labDown({ log });
      } else {
        log('the lab is no longer the one this benchmark brought up: leaving it alone');
      }
    }
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
