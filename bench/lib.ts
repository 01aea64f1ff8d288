// What the lab benchmarks share: timing a process (wall, CPU, peak memory), medians, the built
// CLI, the in-process floor, N parallel OpenSSH logins, cluster specs for lab hosts, and taking
// a lab of light hosts without disturbing one that is already up and fits.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import ts from 'typescript';
import { clientKeyFile, knownHostsFile, labDown, labUp, readLabState, type LabHost, type LabState } from '../test/lab/index.js';
import { CGROUP_PARENT } from '../test/lab/paths.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const log = (m: string): void => console.error(`bench: ${m}`);

export interface Measured {
  ms: number;
  /** CPU (user + system) of the process and its children, on this machine. */
  cpuMs: number;
  /** Peak resident memory of the largest process, in MiB. */
  peakMb: number;
}

/**
 * CPU used so far by every lab host together (their sshd, shells and commands), in ms, from the
 * lab's cgroup (cgroup v1 cpuacct or v2 cpu.stat); undefined when neither can be read. The lab's
 * hosts run on this machine's cores, so what a case costs them is part of what it costs here.
 */
export function labHostsCpuMs(): number | undefined {
  const v1 = `/sys/fs/cgroup/cpuacct/${CGROUP_PARENT}/cpuacct.usage`;
  const v2 = `/sys/fs/cgroup/${CGROUP_PARENT}/cpu.stat`;
  try {
    if (existsSync(v1)) return Number(readFileSync(v1, 'utf8')) / 1e6;
    if (existsSync(v2)) return Number(/^usage_usec (\d+)$/m.exec(readFileSync(v2, 'utf8'))?.[1]) / 1e3;
  } catch {
    // not readable: the figure is left out
  }
  return undefined;
}

/** `fn` measured, with the lab hosts' CPU it caused added as `hostsCpuMs`. */
export async function withHostsCpu(fn: () => Promise<Measured>): Promise<Measured & { hostsCpuMs?: number }> {
  const before = labHostsCpuMs();
  const m = await fn();
  const after = labHostsCpuMs();
  return before !== undefined && after !== undefined ? { ...m, hostsCpuMs: after - before } : m;
}

export function option(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const scratch = mkdtempSync(join(tmpdir(), 'hactl-bench-'));
// Specs, GNU time's reports, inventories: nothing in it outlives the run.
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let timeFileSeq = 0;

/** Run a process to completion; resolves with wall-clock time, CPU and peak memory (GNU time sees the children too). */
export function run(
  cmd: string,
  argv: string[],
  opts: { okCodes?: number[]; env?: NodeJS.ProcessEnv; stdout?: (text: string) => void } = {},
): Promise<Measured> {
  return new Promise((resolvePromise, reject) => {
    const timeFile = join(scratch, `time.${++timeFileSeq}`);
    const started = performance.now();
    const p = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, cmd, ...argv], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = performance.now() - started;
      const stdout = Buffer.concat(out).toString();
      if (!(opts.okCodes ?? [0]).includes(code ?? -1)) {
        reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.slice(-1500)} ${stdout.slice(-1500)}`));
        return;
      }
      opts.stdout?.(stdout);
      const [u, s, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolvePromise({ ms, cpuMs: ((u ?? 0) + (s ?? 0)) * 1000, peakMb: (kb ?? 0) / 1024 });
    });
  });
}

/** `npm run build`: the CLI is measured as users run it, from the bundle in dist/. */
export function buildCli(): void {
  execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'ignore' });
  if (!existsSync(join(repo, 'dist', 'hactl.cjs'))) throw new Error('dist/hactl.cjs missing after npm run build');
}

/** bench/floor.ts as plain JavaScript, run by plain node like the CLI (no TypeScript loader in either). */
export function floorScript(): string {
  const dir = join(repo, 'node_modules', '.cache', 'hactl-bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'floor.mjs');
  const src = readFileSync(join(repo, 'bench', 'floor.ts'), 'utf8');
  writeFileSync(out, ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  return out;
}

/**
 * bench/transport-trivial.ts bundled with hactl's transport (packages left in node_modules, as
 * the floor loads ssh2), run by plain node.
 */
export function transportTrivialCase(hosts: LabHost[]): () => Promise<Measured> {
  const out = join(repo, 'node_modules', '.cache', 'hactl-bench', 'transport-trivial.mjs');
  mkdirSync(dirname(out), { recursive: true });
  buildSync({
    entryPoints: [join(repo, 'bench', 'transport-trivial.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  const file = hostsJson(hosts);
  return () => run('node', [out, file, clientKeyFile, knownHostsFile]);
}

/** A hosts file (the lab's format) for the floor, with only `hosts`. */
export function hostsJson(hosts: LabHost[]): string {
  const file = join(scratch, `hosts-${hosts.length}.json`);
  writeFileSync(file, JSON.stringify({ hosts: hosts.map((h) => ({ name: h.name, address: h.address })) }));
  return file;
}

/** The floor on `hosts`, all at once or at most `concurrency` at a time. */
export function floorCase(hosts: LabHost[], concurrency?: number): () => Promise<Measured> {
  const script = floorScript();
  const file = hostsJson(hosts);
  return () => run('node', [script, file, clientKeyFile, ...(concurrency !== undefined ? [String(concurrency)] : [])]);
}

/** N parallel OpenSSH `ssh host true` on fresh connections; CPU and memory summed/maxed over the N processes. */
export function opensshCase(hosts: LabHost[]): () => Promise<Measured> {
  return async () => {
    const started = performance.now();
    const each = await Promise.all(
      hosts.map((h) =>
        run('ssh', [
          '-F',
          '/dev/null',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          `UserKnownHostsFile=${knownHostsFile}`,
          '-o',
          'BatchMode=yes',
          '-o',
          'ControlMaster=no',
          '-o',
          'ControlPath=none',
          '-i',
          clientKeyFile,
          `root@${h.address}`,
          'true',
        ]),
      ),
    );
    return { ms: performance.now() - started, cpuMs: each.reduce((a, r) => a + r.cpuMs, 0), peakMb: Math.max(...each.map((r) => r.peakMb)) };
  };
}

/** A cluster spec for lab hosts: the first a control-plane host, the rest workers. */
export function writeLightSpec(hosts: LabHost[], name = `bench-${hosts.length}`): string {
  const file = join(scratch, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: hactl.io/v1alpha1',
      'kind: Cluster',
      'metadata:',
      `  name: ${name}`,
      'profile: test',
      'ssh:',
      '  user: root',
      `  privateKeyFile: ${clientKeyFile}`,
      `  knownHostsFile: ${knownHostsFile}`,
      'hosts:',
      ...hosts.flatMap((h, i) => [`  - name: ${h.name}`, `    address: ${h.address}`, `    roles: [${i === 0 ? 'control-plane' : 'worker'}]`]),
      'kubernetes:',
      '  version: 1.36.4',
      '',
    ].join('\n'),
  );
  return file;
}

export { clientKeyFile, knownHostsFile, scratch };

/**
 * At least `count` light lab hosts for `fn`: a light lab already up with enough hosts is used
 * and left up (unless `fresh`: a benchmark that changes the hosts); otherwise one is brought up (replacing another kind of lab: run the benchmarks
 * inside `npm run lab -- hold --`, so no one else is using it) and torn down afterwards.
 */
export async function withLightLab<T>(count: number, fn: (state: LabState) => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T> {
  let state = readLabState();
  let broughtUp = false;
  if (opts.fresh || !state || state.topology !== 'light' || state.hosts.length < count) {
    if (state) log(`replacing the ${state.topology} lab (${state.hosts.length} hosts) with ${count} fresh light hosts`);
    else log(`bringing up ${count} light hosts`);
    state = await labUp({ light: count, fresh: true, log });
    broughtUp = true;
  }
  try {
    const result = await fn(state);
    const now = readLabState();
    if (!now || JSON.stringify(now.hosts) !== JSON.stringify(state.hosts)) throw new Error('the lab changed during the run (taken over?): figures discarded');
    return result;
  } finally {
    if (broughtUp) {
      log('tearing down the lab this benchmark brought up');
      await labDown({ log });
    }
  }
}
