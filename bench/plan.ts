// Benchmark: `hactl plan` (the whole process) on 5, 10, 20 and 40 light lab hosts, bare and
// converged, against references on the same hosts in the same run:
//   - the in-process floor (bench/floor.ts: ssh2, all connections at once, `true` on each);
//   - N parallel OpenSSH `ssh host true` on fresh connections;
//   - Ansible (Debian's ansible-core): `ansible all -m setup` with forks = N, and
//     bench/ansible/os-prep.yml (what hactl's os-prep does) with --check --diff, forks = N.
// Prints medians and ratios, and hactl's peak memory; never passes or fails on timing.
//
//   npm run lab -- hold -- npx tsx bench/plan.ts [--sizes 5,10,20,40] [--states bare,converged] [--rounds 5] [--ansible-rounds 3] [--no-ansible]
//
// Converged: light hosts are tini + sshd without systemd, so preflight reports every resource
// that needs services (containerd, the kubelet, ...) as impossible there and apply refuses them;
// what a light host can hold is os-prep. "Converged" for N hosts is after the os-prep playbook ran
// for real with the N-host inventory (os-prep's /etc/hosts block names the host itself):
// it writes what hactl's os-prep writes, and the benchmark checks that `hactl plan` then reports
// os-prep unchanged on every host (so both tools look at converged hosts).
// hactl runs with --parallelism N (Ansible with forks = N): every host at once, like the floor.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from '../test/lab/index.js';
import {
  buildCli,
  clientKeyFile,
  floorCase,
  knownHostsFile,
  loadAverage,
  log,
  median,
  opensshCase,
  repo,
  run,
  scratch,
  withLightLab,
  writeLightSpec,
  type Measured,
} from './lib.js';

const args = process.argv.slice(2);
const listOption = (name: string, def: number[]): number[] => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]!.split(',').map(Number) : def;
};
const numberOption = (name: string, def: number): number => listOption(name, [def])[0]!;
const SIZES = listOption('--sizes', [5, 10, 20, 40]);
const ROUNDS = numberOption('--rounds', 5);
const ANSIBLE_ROUNDS = numberOption('--ansible-rounds', 3);
const WITH_ANSIBLE = !args.includes('--no-ansible');
const STATES = (args.includes('--states') ? args[args.indexOf('--states') + 1]!.split(',') : ['bare', 'converged']) as State[];
const PLAYBOOK = join(repo, 'bench', 'ansible', 'os-prep.yml');

type State = 'bare' | 'converged';

/** SIGINT/SIGTERM: finish the case running, then report what was measured and tear down. */
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stopping = true;
    log(`${sig}: stopping after the case running; the figures so far follow`);
  });
}
const CASES = ['hactl plan', 'ssh2 floor', 'OpenSSH ssh true', 'ansible -m setup', 'os-prep playbook --check --diff'] as const;
type CaseName = (typeof CASES)[number];
const ANSIBLE_CASES: CaseName[] = ['ansible -m setup', 'os-prep playbook --check --diff'];

/** Debian's ansible-core, installed with apt when missing (the benchmark's only system package). */
function ensureAnsible(): void {
  if (existsSync('/usr/bin/ansible-playbook')) return;
  log('installing ansible-core with apt');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['-q', '-y', 'install', '--no-install-recommends', 'ansible-core'], { stdio: 'inherit', env });
}

function ansibleVersion(): string {
  return execFileSync('ansible', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
}

function writeInventory(hosts: LabHost[]): string {
  const file = join(scratch, `inventory-${hosts.length}.json`);
  const inventory = {
    all: {
      hosts: Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address }])),
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: clientKeyFile,
        ansible_ssh_common_args: `-F /dev/null -o UserKnownHostsFile=${knownHostsFile} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes`,
        ansible_python_interpreter: '/usr/bin/python3',
      },
    },
  };
  writeFileSync(file, JSON.stringify(inventory, null, 2));
  return file;
}

/**
 * Ansible as users run it (its default ssh settings: one multiplexed connection per host for the
 * run), but each run starting cold: its own control-socket directory, whose masters are closed
 * afterwards so the next run cannot reuse them.
 */
async function ansible(cmd: 'ansible' | 'ansible-playbook', argv: string[], okCodes = [0]): Promise<Measured> {
  const controlDir = mkdtempSync(join(scratch, 'cp-'));
  const env = {
    ...process.env,
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    ANSIBLE_LOCAL_TEMP: join(controlDir, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
  };
  try {
    return await run(cmd, argv, { env, okCodes });
  } finally {
    for (const socket of readdirSync(controlDir).filter((n) => n !== 'tmp')) {
      try {
        execFileSync('ssh', ['-o', `ControlPath=${join(controlDir, socket)}`, '-O', 'exit', 'closing'], { stdio: 'ignore' });
      } catch {
        // the master may have gone already
      }
    }
    rmSync(controlDir, { recursive: true, force: true });
  }
}

interface PlanSummary {
  observed: number;
  osPrepUnchanged: number;
  /** What hactl would still change in os-prep on the first host where it would (attributes, files, steps). */
  firstOsPrepChange: string;
}

function summarisePlan(json: string, hosts: LabHost[]): PlanSummary {
  const plan = JSON.parse(json) as {
    hosts: { name: string; factsDigest?: string }[];
    changes: { kind: string; action: string; attributes: unknown[]; files: unknown[]; steps: string[] }[];
  };
  const changed = plan.changes.find((c) => c.kind === 'os-prep' && c.action !== 'no-op');
  return {
    firstOsPrepChange: changed
      ? JSON.stringify({ action: changed.action, attributes: changed.attributes, files: changed.files, steps: changed.steps }).slice(0, 3000)
      : 'none',
    observed: hosts.filter((h) => /^[0-9a-f]{64}$/.test(plan.hosts.find((p) => p.name === h.name)?.factsDigest ?? '')).length,
    osPrepUnchanged: plan.changes.filter((c) => c.kind === 'os-prep' && c.action === 'no-op').length,
  };
}

function casesFor(hosts: LabHost[]): Record<CaseName, () => Promise<Measured>> {
  const n = String(hosts.length);
  const spec = writeLightSpec(hosts);
  const inventory = writeInventory(hosts);
  return {
    // Exit 1: preflight's errors on hosts without systemd; the check after warm-up makes sure every host was observed.
    'hactl plan': () => run('node', ['bin/run.js', 'plan', '-f', spec, '-o', 'json', '--parallelism', n], { okCodes: [0, 1, 2] }),
    'ssh2 floor': floorCase(hosts),
    'OpenSSH ssh true': opensshCase(hosts),
    'ansible -m setup': () => ansible('ansible', ['all', '-i', inventory, '-m', 'setup', '--forks', n]),
    'os-prep playbook --check --diff': () => ansible('ansible-playbook', ['-i', inventory, '--forks', n, '--check', '--diff', PLAYBOOK]),
  };
}

async function checkPlan(hosts: LabHost[], state: State): Promise<PlanSummary> {
  let summary: PlanSummary | undefined;
  const spec = writeLightSpec(hosts);
  await run('node', ['bin/run.js', 'plan', '-f', spec, '-o', 'json', '--parallelism', String(hosts.length)], {
    okCodes: [0, 1, 2],
    stdout: (out) => (summary = summarisePlan(out, hosts)),
  });
  if (summary!.observed !== hosts.length) throw new Error(`hactl plan observed ${summary!.observed} of ${hosts.length} hosts`);
  if (state === 'converged' && summary!.osPrepUnchanged !== hosts.length) {
    throw new Error(
      `after the os-prep playbook, hactl plan finds os-prep unchanged on only ${summary!.osPrepUnchanged} of ${hosts.length} hosts; ` +
        `first change: ${summary!.firstOsPrepChange}`,
    );
  }
  return summary!;
}

type Results = Map<string, { hosts: number; state: State; name: CaseName; runs: Measured[] }>;

async function measureState(all: LabHost[], state: State, results: Results): Promise<void> {
  for (const size of SIZES) {
    if (stopping) return;
    const hosts = all.slice(0, size);
    if (state === 'converged') {
      // Per size: os-prep's /etc/hosts block lists every host of the cluster, so converged for
      // N hosts is after the playbook ran with the N-host inventory.
      log(`converging os-prep on ${size} hosts with the playbook`);
      await ansible('ansible-playbook', ['-i', writeInventory(hosts), '--forks', String(size), PLAYBOOK]);
    }
    const cases = casesFor(hosts);
    const names = CASES.filter((c) => WITH_ANSIBLE || !ANSIBLE_CASES.includes(c));
    const summary = await checkPlan(hosts, state);
    log(`${state}, ${size} hosts: hactl plan observes all, os-prep unchanged on ${summary.osPrepUnchanged}`);
    for (const name of names) {
      // One untimed run of each case first (caches, and a check that it works); Ansible's runs are long, so only at the first size.
      if (size === SIZES[0] || !ANSIBLE_CASES.includes(name)) {
        const warm = await cases[name]();
        log(`  warm-up ${name}: ${(warm.ms / 1000).toFixed(2)} s`);
      }
      results.set(`${state}/${size}/${name}`, { hosts: size, state, name, runs: [] });
    }
    const rounds = Math.max(ROUNDS, WITH_ANSIBLE ? ANSIBLE_ROUNDS : 0);
    for (let r = 0; r < rounds; r++) {
      // Interleaved, so every case sees the same machine load.
      for (const name of names) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the signal handler while the cases run
        if (stopping || r >= (ANSIBLE_CASES.includes(name) ? ANSIBLE_ROUNDS : ROUNDS)) continue;
        results.get(`${state}/${size}/${name}`)!.runs.push(await cases[name]());
      }
    }
    // Each size as soon as it is measured: the whole run takes long.
    const med = (c: CaseName): string => {
      const r = results.get(`${state}/${size}/${c}`);
      return r && r.runs.length > 0 ? `${(median(r.runs.map((m) => m.ms)) / 1000).toFixed(2)} s` : '-';
    };
    log(`${state}, ${size} hosts (load average ${loadAverage()}): ${names.map((c) => `${c} ${med(c)}`).join(', ')}`);
  }
}

function report(results: Results, loadBefore: string): void {
  const sec = (ms: number): string => (ms / 1000).toFixed(2);
  console.log(
    `hactl plan against references on the same light lab hosts, same run; medians of ${ROUNDS} runs (Ansible: ${ANSIBLE_ROUNDS}); ` +
      `load average before: ${loadBefore}, after: ${loadAverage()}`,
  );
  if (WITH_ANSIBLE) console.log(`Ansible: ${ansibleVersion()}`);
  for (const state of STATES) {
    console.log(`\n${state}:`);
    console.log(`  ${'hosts'.padStart(5)}  ${CASES.map((c) => c.padStart(c.length < 12 ? 12 : c.length)).join('  ')}`);
    for (const size of SIZES) {
      const cells = CASES.map((c) => {
        const r = results.get(`${state}/${size}/${c}`);
        const text = r && r.runs.length > 0 ? `${sec(median(r.runs.map((m) => m.ms)))} s` : '-';
        return text.padStart(c.length < 12 ? 12 : c.length);
      });
      console.log(`  ${String(size).padStart(5)}  ${cells.join('  ')}`);
    }
  }
  console.log('\nratios of medians (targets: plan <= 1.5x the floor, >= 15x faster than ansible -m setup, >= 50x faster than the playbook):');
  for (const state of STATES) {
    for (const size of SIZES) {
      const med = (c: CaseName): number | undefined => {
        const r = results.get(`${state}/${size}/${c}`);
        return r && r.runs.length > 0 ? median(r.runs.map((m) => m.ms)) : undefined;
      };
      const plan = med('hactl plan');
      if (plan === undefined) continue;
      const ratio = (label: string, a: number | undefined, b: number | undefined, digits: number): string[] =>
        a !== undefined && b !== undefined ? [`${label} ${(a / b).toFixed(digits)}x`] : [];
      const parts = [
        ...ratio('plan/floor', plan, med('ssh2 floor'), 2),
        ...ratio('plan/OpenSSH', plan, med('OpenSSH ssh true'), 2),
        ...ratio('setup/plan', med('ansible -m setup'), plan, 1),
        ...ratio('playbook/plan', med('os-prep playbook --check --diff'), plan, 1),
      ];
      console.log(`  ${state.padEnd(9)} ${String(size).padStart(2)} hosts: ${parts.join(', ')}`);
    }
  }
  console.log("\nhactl plan CPU and peak memory (medians; CPU of this machine, which also runs the hosts' sshd):");
  for (const state of STATES) {
    for (const size of SIZES) {
      const r = results.get(`${state}/${size}/hactl plan`);
      if (!r || r.runs.length === 0) continue;
      const ansibleCpu = results.get(`${state}/${size}/ansible -m setup`);
      console.log(
        `  ${state.padEnd(9)} ${String(size).padStart(2)} hosts: CPU ${sec(median(r.runs.map((m) => m.cpuMs)))} s, peak RSS ${median(r.runs.map((m) => m.peakMb)).toFixed(0)} MiB` +
          (ansibleCpu && ansibleCpu.runs.length > 0 ? `; ansible -m setup CPU ${sec(median(ansibleCpu.runs.map((m) => m.cpuMs)))} s` : ''),
      );
    }
  }
}

async function main(): Promise<void> {
  if (WITH_ANSIBLE) ensureAnsible();
  buildCli();
  const most = Math.max(...SIZES);
  await withLightLab(
    most,
    async (lab) => {
      const all = lab.hosts.slice(0, most);
      const loadBefore = loadAverage();
      const results: Results = new Map();
      if (STATES.includes('bare')) await measureState(all, 'bare', results);
      let failure: { error: unknown } | undefined;
      try {
        // Converging needs the playbook.
        if (WITH_ANSIBLE && !stopping && STATES.includes('converged')) await measureState(all, 'converged', results);
      } catch (error) {
        failure = { error };
      }
      // What was measured is printed even when a later part failed.
      report(results, loadBefore);
      if (failure !== undefined) throw failure.error;
    },
    { fresh: true },
  );
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
