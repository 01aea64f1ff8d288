// Benchmark: a big cluster from bare hosts, and what it costs to keep and grow it.
//
//   npm run lab -- hold -- npx tsx bench/scale.ts [--workers 100] [--parallelism P] [--rounds 3]
//
// The lab's `scale` topology: the big cluster (lb1 lb2, cp1-3 with stacked etcd, w1..wN+1, VIP
// 198.18.0.100; w(N+1) is the worker added later) and a small one beside it (slb1 slb2, scp1-3,
// sw1-4, VIP 198.18.0.102), all systemd hosts. In one run it measures:
//   1. the big cluster (N workers) from bare, against its critical path (per-resource durations
//      from the run log, longest chain through the resource graph);
//   2. a no-op plan and a no-op apply at N+5 hosts against the ssh2 floor (connect + `true` on
//      every host) at the same concurrency, interleaved, medians of --rounds;
//   3. adding w(N+1) to the big cluster (its plan's summary, and the apply);
//   4. removing it again;
//   5. then, with the big cluster's hosts removed, the small cluster (3 workers) from bare and
//      joining sw4 to it: the reference for adding a worker (the small cluster's hosts sit idle,
//      booted, until then);
// with hactl's wall time, CPU and peak RSS for each, and the lab hosts' CPU (their cgroup).
// The lab is torn down at the end, also on failure or SIGINT/SIGTERM. Prints figures; never
// passes or fails on timing.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statfsSync, writeFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { compile } from '../src/resources/index.js';
import { loadSpecFile } from '../src/spec/index.js';
import { labDown, labRemoveHost, labUp, sshExec, type LabHost, type LabState } from '../test/lab/index.js';
import { HOSTS_ROOT } from '../test/lab/hosts.js';
import { SCALE_SMALL_VIP } from '../test/lab/topology.js';
import { criticalPath, resourceSpans } from './critical-path.js';
import { buildCli, floorCase, labHostsCpuMs, loadAverage, log, median, option, repo, run, scratch, type Measured } from './lib.js';

const args = process.argv.slice(2);
const WANTED = option(args, '--workers', 100);
const PARALLELISM = option(args, '--parallelism', 10);
const ROUNDS = option(args, '--rounds', 3);
const BIG_VIP = '198.18.0.100';

/** What a worker host of a running cluster holds in memory (systemd, sshd, containerd, the kubelet stand-in, the CNI pod), measured on the lab. */
const WORKER_MIB = 170;
/** Kept free for the control plane, the load balancers, the small cluster, hactl and the other users of this machine. */
const RESERVE_MIB = 4096;
/** What a worker host of a running cluster writes to its disk (its overlay upper dir: containerd, the Kubernetes packages and what they pull, apt's lists): about 465 MiB each at 100 workers, 590 MiB with apt's downloaded .deb files; counted with a margin. */
const WORKER_DISK_MIB = 560;
/** Kept free on the lab's disk for the control plane, the load balancers and the other users of the disk. */
const RESERVE_DISK_MIB = 8192;

interface Step extends Measured {
  hostsCpuMs?: number;
  stdout: string;
}

const sec = (ms: number): string => (ms / 1000).toFixed(1);
const mib = (m: number): string => m.toFixed(0);
const steps: { name: string; m: Step }[] = [];
/** Steps whose apply failed (and was applied again). */
const failures: string[] = [];

/** A hactl command (the built CLI, as users run it), with the lab hosts' CPU it caused. */
async function hactl(name: string, argv: string[], okCodes = [0]): Promise<Step> {
  if (stopping) throw new Error(`stopped before ${name}`);
  log(`${name}: hactl ${argv.join(' ')}`);
  let stdout = '';
  const before = labHostsCpuMs();
  const m = await run('node', ['bin/run.js', ...argv], { okCodes, stdout: (t) => (stdout = t) });
  const after = labHostsCpuMs();
  const step: Step = { ...m, stdout, ...(before !== undefined && after !== undefined ? { hostsCpuMs: after - before } : {}) };
  steps.push({ name, m: step });
  log(
    `${name}: ${sec(m.ms)} s, local CPU ${sec(m.cpuMs)} s, peak RSS ${mib(m.peakMb)} MiB${step.hostsCpuMs !== undefined ? `, hosts CPU ${sec(step.hostsCpuMs)} s` : ''}`,
  );
  return step;
}

/** A cluster spec for lab hosts, from examples/lab/ha-stacked.yaml's settings. */
function writeSpec(file: string, name: string, vip: string, routerId: number, hosts: LabHost[]): string {
  const path = join(scratch, file);
  const hostLines = hosts.map((h) => `  - { name: ${h.name}, address: ${h.address}, roles: [${h.roles.join(', ')}] }`);
  writeFileSync(
    path,
    [
      'apiVersion: hactl.io/v1alpha1',
      'kind: Cluster',
      'metadata:',
      `  name: ${name}`,
      'profile: test',
      'ssh:',
      '  user: root',
      `  privateKeyFile: ${join(repo, '.lab/ssh/id_ed25519')}`,
      `  knownHostsFile: ${join(repo, '.lab/ssh/known_hosts')}`,
      `  parallelism: ${PARALLELISM}`,
      'hosts:',
      ...hostLines,
      'controlPlaneEndpoint:',
      `  host: ${vip}`,
      'loadBalancer:',
      '  type: keepalived-haproxy',
      '  keepalived:',
      '    interface: eth0',
      `    virtualRouterId: ${routerId}`,
      'etcd:',
      '  topology: stacked',
      'kubernetes:',
      '  version: 1.37.2',
      '  # The lab hosts are hybrid cgroup hosts (see examples/lab/ha-stacked.yaml).',
      '  kubelet:',
      '    allowCgroupV1: true',
      'cni:',
      '  plugin: manifest',
      `  manifest: ${join(repo, 'test/lab/standins/manifests/lab-cni.yaml')}`,
      'packages:',
      '  replaceDefaults: true',
      '  kubernetesRepository:',
      '    baseUrl: "http://198.18.0.1:8765/"',
      `    keyFile: ${join(repo, '.lab/kubernetes-release.asc')}`,
      '  apt:',
      '    os:',
      '      - { uri: "http://198.18.0.1:8765/", suite: debian/, trusted: true }',
      '',
    ].join('\n'),
  );
  return path;
}

/** `Plan: X to add, Y to change, Z to destroy.` from a human plan. */
function summary(stdout: string): string {
  const m = /Plan: (\d+ to add, \d+ to change, \d+ to destroy)/.exec(stdout);
  if (m) return m[1]!;
  if (/No changes/.test(stdout)) return 'no changes';
  throw new Error(`no plan summary in: ${stdout.slice(-800)}`);
}

/** The resources a human plan acts on (`# ID will be created`, ...; reads left out), with their action. */
function acting(stdout: string): { id: string; host: string; action: string }[] {
  return [...stdout.matchAll(/^\s*# (\S+) (?:will|must) be (created|updated in-place|replaced|destroyed)/gm)].map((m) => ({
    id: m[1]!,
    host: m[1]!.split('@')[1] ?? '(cluster)',
    action: m[2]!.split(' ')[0]!,
  }));
}

/** Which hosts a human plan changes, and how: `w4 (created: containerd@w4, ...)`. */
function hostsChanged(stdout: string): string {
  const byHost = new Map<string, string[]>();
  for (const a of acting(stdout)) byHost.set(a.host, [...(byHost.get(a.host) ?? []), `${a.id} ${a.action}`]);
  if (byHost.size === 0) return 'none';
  return [...byHost].map(([h, xs]) => `${h}: ${xs.join(', ')}`).join('; ');
}

interface Walked {
  /** The apply, which the walk's figures below describe. */
  step: Step;
  /** After a failure of `step`, the apply that followed it (measured on its own, without a run log). */
  retried?: Step;
  walkMs: number;
  beforeWalkMs: number;
  critical: { ms: number; path: { id: string; ms: number }[] };
  resources: number;
  /** Per kind: how many, the median duration, and when the first started and the last ended (ms from the walk's start). */
  kinds: { kind: string; n: number; medianMs: number; fromMs: number; toMs: number }[];
}

/** apply with a run log; returns the step, the critical path of the walk and its spans per kind. */
async function applyWithPath(name: string, spec: string): Promise<Walked> {
  const logRoot = mkdtempSync(join(scratch, 'runs-'));
  const started = Date.now();
  const step = await hactl(name, ['apply', '-f', spec, '--auto-approve', '--log-dir', logRoot], [0, 1]);
  let retried: Step | undefined;
  if (!/Apply complete!/.test(step.stdout)) {
    // Keep the run: say what failed, apply once more (measured on its own), and go on.
    log(
      `${name} failed:\n${step.stdout
        .split('\n')
        .filter((l) => /fail|error|Apply/i.test(l))
        .slice(-20)
        .join('\n')}`,
    );
    failures.push(name);
    retried = await hactl(`${name}: the apply again after its failure`, ['apply', '-f', spec, '--auto-approve']);
  }
  const dirs = readdirSync(logRoot);
  if (dirs.length !== 1) throw new Error(`expected one run log in ${logRoot}, found ${dirs.length}`);
  const spans = resourceSpans(readFileSync(join(logRoot, dirs[0]!, 'events.log'), 'utf8'));
  const loaded = await loadSpecFile(spec);
  if (!loaded.spec) throw new Error(`${spec} does not load`);
  const graph = compile(loaded.spec);
  const duration = (id: string): number => {
    const s = spans.get(id);
    return s ? s.end - s.start : 0;
  };
  const longest = criticalPath(graph.nodes(), (id) => graph.predecessors(id) ?? [], duration);
  const first = Math.min(...[...spans.values()].map((s) => s.start));
  const last = Math.max(...[...spans.values()].map((s) => s.end));
  const byKind = new Map<string, { start: number; end: number }[]>();
  for (const [id, span] of spans) {
    const kind = id.split('@')[0]!;
    byKind.set(kind, [...(byKind.get(kind) ?? []), span]);
  }
  const kinds = [...byKind]
    .map(([kind, xs]) => ({
      kind,
      n: xs.length,
      medianMs: median(xs.map((x) => x.end - x.start)),
      fromMs: Math.min(...xs.map((x) => x.start)) - first,
      toMs: Math.max(...xs.map((x) => x.end)) - first,
    }))
    .sort((a, b) => a.fromMs - b.fromMs);
  return {
    step,
    ...(retried ? { retried } : {}),
    walkMs: last - first,
    beforeWalkMs: first - started,
    critical: { ms: longest.ms, path: longest.path.map((id) => ({ id, ms: duration(id) })) },
    resources: spans.size,
    kinds,
  };
}

/** The walk of an apply, as lines: its critical path and its spans per kind. */
function walkLines(w: Walked): string[] {
  return [
    `    walk ${sec(w.walkMs)} s, before the walk ${sec(w.beforeWalkMs)} s; critical path ${sec(w.critical.ms)} s over ${w.critical.path.length} of ${w.resources} resources; ` +
      `apply / critical path ${(w.step.ms / w.critical.ms).toFixed(2)}x`,
    `    critical path: ${w.critical.path.map((p) => `${p.id} ${sec(p.ms)} s`).join(' -> ')}`,
    `    per kind (n, median, span in the walk): ${w.kinds.map((k) => `${k.kind} ${k.n}, ${sec(k.medianMs)} s, +${sec(k.fromMs)}..+${sec(k.toMs)} s`).join('; ')}`,
  ];
}

/** The lab hosts' CPU over `ms` with no hactl command running, in cores (undefined without the cgroup). */
async function idleHostsCpu(ms: number): Promise<number | undefined> {
  const before = labHostsCpuMs();
  await new Promise((r) => setTimeout(r, ms));
  const after = labHostsCpuMs();
  const cores = before !== undefined && after !== undefined ? (after - before) / ms : undefined;
  log(`idle cluster: hosts CPU ${cores === undefined ? 'n/a' : `${cores.toFixed(2)} cores`} over ${sec(ms)} s`);
  return cores;
}

/** Free MiB on the disk that holds the lab hosts' files. */
function freeDiskMib(): number {
  mkdirSync(HOSTS_ROOT, { recursive: true });
  const st = statfsSync(HOSTS_ROOT);
  return (st.bavail * st.bsize) / 1048576;
}

/** Workers this machine can hold (memory, and the disk their files go to), and why not more (or undefined). */
function capacity(wanted: number): { workers: number; reason?: string } {
  const availableMib = (Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) || freemem() / 1024) / 1024;
  const byMemory = Math.floor((availableMib - RESERVE_MIB) / WORKER_MIB) - 1;
  const diskMib = freeDiskMib();
  const byDisk = Math.floor((diskMib - RESERVE_DISK_MIB) / WORKER_DISK_MIB) - 1;
  if (byMemory < wanted && byMemory <= byDisk) {
    return {
      workers: Math.max(1, byMemory),
      reason: `memory: ${mib(availableMib)} MiB available of ${mib(totalmem() / 1048576)} MiB, about ${WORKER_MIB} MiB per running worker and ${RESERVE_MIB} MiB kept for the rest`,
    };
  }
  if (byDisk < wanted) {
    return {
      workers: Math.max(1, byDisk),
      reason: `disk: ${mib(diskMib)} MiB free under ${HOSTS_ROOT}, about ${WORKER_DISK_MIB} MiB written per worker and ${RESERVE_DISK_MIB} MiB kept for the rest`,
    };
  }
  return { workers: wanted };
}

/**
 * The benchmark's machines do not keep the .deb files apt downloads (as `apt`, not `apt-get`,
 * does by default): 115 hosts' copies would not fit beside their installed files on this
 * machine's one disk. hactl's commands are unchanged.
 */
async function dropDownloadedPackages(hosts: LabHost[]): Promise<void> {
  const conf = 'APT::Keep-Downloaded-Packages "false";';
  for (let i = 0; i < hosts.length; i += 20) {
    await Promise.all(
      hosts.slice(i, i + 20).map(async (h) => {
        const r = await sshExec(h.name, `printf '%s\\n' '${conf}' > /etc/apt/apt.conf.d/90bench-no-archives`);
        if (r.code !== 0) throw new Error(`${h.name}: could not write the apt setting: ${r.stderr}`);
      }),
    );
  }
}

const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
/** inotify instances a running lab host holds: systemd 5, dbus 1, containerd 1 (counted on the lab), plus room. */
const INOTIFY_PER_HOST = 8;
let inotifyRestore: string | undefined;

/**
 * Every lab host's systemd, dbus and containerd run as root of this machine's user namespace, so
 * they share one fs.inotify.max_user_instances (Debian's default 128: about 18 lab hosts). Raised
 * for the run when too low, and put back after the teardown.
 */
function ensureInotify(hosts: number): void {
  const current = Number(readFileSync(INOTIFY_INSTANCES, 'utf8'));
  const needed = 128 + hosts * INOTIFY_PER_HOST;
  if (current >= needed) return;
  log(`fs.inotify.max_user_instances ${current} -> ${needed} for ${hosts} systemd hosts (put back after the teardown)`);
  writeFileSync(INOTIFY_INSTANCES, `${needed}\n`);
  inotifyRestore = String(current);
}

let tornDown = false;
async function teardown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  log('tearing down the lab');
  try {
    await labDown({ log });
  } finally {
    if (inotifyRestore !== undefined) {
      writeFileSync(INOTIFY_INSTANCES, `${inotifyRestore}\n`);
      log(`fs.inotify.max_user_instances put back to ${inotifyRestore}`);
    }
  }
}
/** Set by SIGINT/SIGTERM: no further hactl command starts. */
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stopping = true;
    log(`${sig}: tearing down`);
    void teardown().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const { workers, reason } = capacity(WANTED);
  if (reason) log(`${workers} workers instead of ${WANTED}: ${reason}`);
  buildCli();
  const loadBefore = loadAverage();
  const upStarted = Date.now();
  let lab: LabState;
  try {
    ensureInotify(5 + workers + 1 + 9);
    lab = await labUp({ topology: 'scale', workers: workers + 1, fresh: true, log });
  } catch (err) {
    await teardown();
    throw err;
  }
  const labUpMs = Date.now() - upStarted;
  const out: string[] = [];
  try {
    await dropDownloadedPackages(lab.hosts);
    log(`disk: ${mib(freeDiskMib())} MiB free under ${HOSTS_ROOT} before the apply`);
    const byName = new Map(lab.hosts.map((h) => [h.name, h]));
    const pick = (names: string[]): LabHost[] => names.map((n) => byName.get(n)!);
    const smallNames = ['slb1', 'slb2', 'scp1', 'scp2', 'scp3', 'sw1', 'sw2', 'sw3'];
    const small = writeSpec('small.yaml', 'scale-small', SCALE_SMALL_VIP, 52, pick(smallNames));
    const smallPlus = writeSpec('small-plus.yaml', 'scale-small', SCALE_SMALL_VIP, 52, pick([...smallNames, 'sw4']));
    const bigHosts = pick(['lb1', 'lb2', 'cp1', 'cp2', 'cp3', ...Array.from({ length: workers }, (_, i) => `w${i + 1}`)]);
    const extra = byName.get(`w${workers + 1}`)!;
    const big = writeSpec('big.yaml', 'scale-big', BIG_VIP, 51, bigHosts);
    const bigPlus = writeSpec('big-plus.yaml', 'scale-big', BIG_VIP, 51, [...bigHosts, extra]);

    // 1. The big cluster from bare.
    const bare = await applyWithPath(`big cluster (${workers} workers) from bare`, big);

    log(`disk: ${mib(freeDiskMib())} MiB free under ${HOSTS_ROOT} with the big cluster built`);

    // 2. No-op plan and apply against the floor, interleaved.
    // Each floor is logged as measured, so that its figure outlives a later step's failure.
    const logged = (name: string, measure: () => Promise<Measured>) => async (): Promise<Measured> => {
      const m = await measure();
      log(`${name}: ${sec(m.ms)} s, local CPU ${sec(m.cpuMs)} s`);
      return m;
    };
    const floorAtP = logged(`ssh2 floor, concurrency ${PARALLELISM}`, floorCase(bigHosts, PARALLELISM));
    const floorAll = logged(`ssh2 floor, all ${bigHosts.length} at once`, floorCase(bigHosts));
    const plans: Step[] = [];
    const plansAll: Step[] = [];
    const floors: Measured[] = [];
    const floorsAll: Measured[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      plans.push(await hactl(`no-op plan, round ${r}`, ['plan', '-f', big, '--detailed-exitcode'], [0, 2]));
      floors.push(await floorAtP());
      plansAll.push(
        await hactl(`no-op plan --parallelism ${bigHosts.length}, round ${r}`, [
          'plan',
          '-f',
          big,
          '--detailed-exitcode',
          '--parallelism',
          String(bigHosts.length),
        ]),
      );
      floorsAll.push(await floorAll());
    }
    const notEmpty = [...plans, ...plansAll].filter((p) => !/No changes/.test(p.stdout));
    if (notEmpty.length > 0) log(`a no-op plan was not empty (${summary(notEmpty[0]!.stdout)}):\n${notEmpty[0]!.stdout.slice(-3000)}`);
    const noopApply = await hactl('no-op apply', ['apply', '-f', big, '--auto-approve']);
    // What the running cluster costs the machine with hactl idle (kubelets, control plane, load
    // balancers): the background every later step of the big cluster runs against.
    const idle = await idleHostsCpu(30_000);

    // 3. One worker added to the big cluster; 4. removed again.
    const bigPlan = await hactl(`plan: ${extra.name} added to the big cluster`, ['plan', '-f', bigPlus, '--detailed-exitcode'], [2]);
    const bigJoinWalk = await applyWithPath(`apply: ${extra.name} joins the big cluster`, bigPlus);
    // A join that failed and was applied again is measured by the apply that joined it.
    const bigJoin = bigJoinWalk.retried ?? bigJoinWalk.step;
    const removePlan = await hactl(`plan: ${extra.name} removed`, ['plan', '-f', big, '--detailed-exitcode'], [2]);
    const remove = await hactl(`apply: ${extra.name} removed`, ['apply', '-f', big, '--auto-approve']);

    // 5. The reference, last (the big cluster's figures come first): a worker joining a 3-worker
    // cluster, with the big cluster's hosts removed so that they cost it nothing; with their
    // files, not only stopped: a hundred hosts' installs fill most of the disk.
    log('removing the big cluster hosts: the small cluster has the machine to itself');
    for (const h of [...bigHosts, extra]) await labRemoveHost(h.name);
    log(`disk: ${mib(freeDiskMib())} MiB free under ${HOSTS_ROOT} with the big cluster removed`);
    const smallBare = await hactl('small cluster from bare', ['apply', '-f', small, '--auto-approve'], [0, 1]);
    if (!/Apply complete!/.test(smallBare.stdout)) {
      failures.push('small cluster from bare');
      log(`small cluster from bare failed:\n${smallBare.stdout.slice(-3000)}`);
      await hactl('small cluster: the apply again after its failure', ['apply', '-f', small, '--auto-approve']);
    }
    const smallPlan = await hactl('plan: sw4 added to the small cluster', ['plan', '-f', smallPlus, '--detailed-exitcode'], [2]);
    const smallJoinWalk = await applyWithPath('apply: sw4 joins the small cluster', smallPlus);
    const smallJoin = smallJoinWalk.retried ?? smallJoinWalk.step;

    const med = (xs: Measured[], f: (m: Measured) => number = (m) => m.ms): number => median(xs.map(f));
    const medHosts = (xs: Step[]): string => {
      const h = xs.map((x) => x.hostsCpuMs).filter((x): x is number => x !== undefined);
      return h.length > 0 ? `${sec(median(h))} s` : 'n/a';
    };
    const line = (s: Step): string =>
      `${sec(s.ms)} s (local CPU ${sec(s.cpuMs)} s, peak RSS ${mib(s.peakMb)} MiB, hosts CPU ${s.hostsCpuMs !== undefined ? `${sec(s.hostsCpuMs)} s` : 'n/a'})`;
    out.push(
      `hactl at scale: ${bigHosts.length} hosts (2 lb, 3 control-plane with stacked etcd, ${workers} systemd workers), parallelism ${PARALLELISM}; ` +
        `load average before: ${loadBefore}, after: ${loadAverage()}; lab of ${lab.hosts.length} hosts up in ${sec(labUpMs)} s`,
    );
    if (reason) out.push(`  ${workers} workers, not ${WANTED}: ${reason}`);
    if (failures.length > 0) out.push(`  FAILED and applied again: ${failures.join('; ')}`);
    if (notEmpty.length > 0) out.push(`  NOT EMPTY: ${notEmpty.length} of the no-op plans (${summary(notEmpty[0]!.stdout)})`);
    out.push(`  apply from bare            ${line(bare.step)}`);
    out.push(...walkLines(bare));
    out.push(
      `  no-op plan (parallelism ${PARALLELISM}), median of ${ROUNDS}   ${sec(med(plans))} s, local CPU ${sec(med(plans, (m) => m.cpuMs))} s, peak RSS ${mib(Math.max(...plans.map((p) => p.peakMb)))} MiB, hosts CPU ${medHosts(plans)}`,
    );
    out.push(`  ssh2 floor (concurrency ${PARALLELISM}), median of ${ROUNDS}   ${sec(med(floors))} s, local CPU ${sec(med(floors, (m) => m.cpuMs))} s`);
    out.push(`    no-op plan / floor: ${(med(plans) / med(floors)).toFixed(2)}x (target <= 2x)`);
    out.push(
      `  no-op plan (parallelism ${bigHosts.length}), median of ${ROUNDS}   ${sec(med(plansAll))} s, local CPU ${sec(med(plansAll, (m) => m.cpuMs))} s, peak RSS ${mib(Math.max(...plansAll.map((p) => p.peakMb)))} MiB, hosts CPU ${medHosts(plansAll)}`,
    );
    out.push(
      `  ssh2 floor (all ${bigHosts.length} at once), median of ${ROUNDS}   ${sec(med(floorsAll))} s, local CPU ${sec(med(floorsAll, (m) => m.cpuMs))} s`,
    );
    out.push(`    no-op plan / floor: ${(med(plansAll) / med(floorsAll)).toFixed(2)}x`);
    out.push(`  no-op apply                ${line(noopApply)}; ${(noopApply.ms / med(floors)).toFixed(2)}x the floor at concurrency ${PARALLELISM}`);
    out.push(`  the big cluster idle (no hactl running, 30 s): hosts CPU ${idle === undefined ? 'n/a' : `${idle.toFixed(2)} cores`} of this machine's 2`);
    out.push(`  join sw4 to the 3-worker cluster   ${line(smallJoin)}; its plan: ${summary(smallPlan.stdout)} (acting: ${hostsChanged(smallPlan.stdout)})`);
    out.push(
      `  join ${extra.name} to the ${workers}-worker cluster   ${line(bigJoin)}; its plan: ${summary(bigPlan.stdout)} (acting: ${hostsChanged(bigPlan.stdout)})`,
    );
    out.push(...walkLines(bigJoinWalk));
    out.push(`    big join / small join: ${(bigJoin.ms / smallJoin.ms).toFixed(2)}x (target <= 1.2x)`);
    out.push(`    the small join's walk:`, ...walkLines(smallJoinWalk));
    out.push(`  remove ${extra.name}   ${line(remove)}; its plan: ${summary(removePlan.stdout)} (acting: ${hostsChanged(removePlan.stdout)})`);
    const hactlSteps = steps.map((s) => s.m);
    out.push(
      `  hactl peak RSS over every command of the big cluster: ${mib(Math.max(...[bare.step, ...plans, ...plansAll, noopApply, bigPlan, bigJoin, removePlan, remove].map((s) => s.peakMb)))} MiB (target < 200 MiB); over all: ${mib(Math.max(...hactlSteps.map((s) => s.peakMb)))} MiB`,
    );
    out.push(`  every step (wall / local CPU / peak RSS / hosts CPU):`);
    for (const s of steps)
      out.push(
        `    ${s.name}: ${sec(s.m.ms)} s / ${sec(s.m.cpuMs)} s / ${mib(s.m.peakMb)} MiB / ${s.m.hostsCpuMs !== undefined ? `${sec(s.m.hostsCpuMs)} s` : 'n/a'}`,
      );
  } finally {
    await teardown();
  }
  console.log(out.join('\n'));
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  for (const s of steps) console.error(`bench: measured before the failure: ${s.name}: ${sec(s.m.ms)} s / ${sec(s.m.cpuMs)} s CPU / ${mib(s.m.peakMb)} MiB`);
  process.exit(1);
});
