// Bringing the lab up and down: bridge, mirror server, hosts; and teardown that undoes all of it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { killCgroupPids, createHostCgroups, hostMemoryBytes, labCgroupsExist, removeCgroups } from './cgroups.js';
import { mapLimit, run, sleep } from './exec.js';
import { HOSTS_ROOT, consoleTail, createBridge, createHostNetwork, launchHost, ledgerEntry, prepareHostFiles } from './hosts.js';
import { ensureBaseImage, parseLabOs, staleBaseImages, type LabOs } from './image.js';
import { ensureMirror, mirrorUrl, staleMirrors, writeRepositoryKey } from './mirror.js';
import {
  BRIDGE,
  BRIDGE_ADDRESS,
  MIRROR_PORT,
  NAME_PREFIX,
  clientKeyFile,
  hostsFile,
  knownHostsFile,
  labSourceDir,
  ledgerFile,
  repoRoot,
  sshDir,
  stateDir,
} from './paths.js';
import { alive, procRef, procStart, signal, waitGone, waitReaped, type ProcRef } from './procs.js';
import { sshExecAddress } from './ssh.js';
import { readLabState, readLedger, writeLabState, writeLedger, type LabState, type Ledger, type LedgerHost } from './state.js';
import { topology as topologyOf, type HostPlan } from './topology.js';

export interface LabUpOptions {
  topology?: string;
  /** N light hosts (tini + sshd) instead of a named topology. */
  light?: number;
  /** The `scale` topology's worker count. */
  workers?: number;
  /** The hosts' operating system (default debian-13). */
  os?: string;
  /** Tear down and recreate even if the same lab is already up and healthy. */
  fresh?: boolean;
  log?: (msg: string) => void;
}

/** The mirror server's cgroup under the lab's; no host is named like this. */
const MIRROR_CGROUP = '_mirror';

let interrupted: string | undefined;

/** Makes a bring-up in progress stop at its next step (and tear down what it made). */
export function interruptLabUp(reason: string): void {
  interrupted = reason;
}

function checkInterrupted(): void {
  if (interrupted !== undefined) throw new Error(`lab bring-up interrupted: ${interrupted}`);
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the host lab needs root (namespaces, mounts, cgroups)');
}

async function ensureClientKey(): Promise<void> {
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  if (existsSync(clientKeyFile) && existsSync(`${clientKeyFile}.pub`)) return;
  rmSync(clientKeyFile, { force: true });
  rmSync(`${clientKeyFile}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hactl-lab', '-f', clientKeyFile]);
}

function httpOk(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const req = get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolvePromise(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolvePromise(false));
  });
}

async function startMirrorServer(dir: string): Promise<ProcRef> {
  const log = openSync(join(stateDir, 'mirror.log'), 'w');
  let child;
  try {
    // In the lab's own cgroup, like the hosts, so teardown finds it even without the ledger.
    const procs = createHostCgroups(MIRROR_CGROUP);
    child = spawn(
      'sh',
      [
        '-c',
        'for f in $HL_CGROUP_PROCS; do echo $$ > "$f"; done; exec "$@"',
        'mirror-server',
        process.execPath,
        '--import',
        'tsx',
        join(labSourceDir, 'mirror-server.ts'),
        dir,
        BRIDGE_ADDRESS,
        String(MIRROR_PORT),
      ],
      {
        cwd: repoRoot,
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, HL_CGROUP_PROCS: procs.join(' ') },
      },
    );
  } finally {
    closeSync(log);
  }
  child.unref();
  const ref = child.pid === undefined ? undefined : procRef(child.pid);
  if (!ref) throw new Error('mirror server did not start');
  const url = `${mirrorUrl(BRIDGE_ADDRESS, MIRROR_PORT)}Release`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await httpOk(url, 1000)) return ref;
    if (!alive(ref)) break;
    await sleep(100);
  }
  signal(ref, 'SIGKILL');
  const text = existsSync(join(stateDir, 'mirror.log')) ? readFileSync(join(stateDir, 'mirror.log'), 'utf8') : '';
  throw new Error(`mirror server not answering on ${url}: ${text.trim()}`);
}

/** Resolves when the host's sshd sends its banner. */
function sshBanner(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const sock = connect({ host: address, port: 22, timeout: timeoutMs });
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      data += d;
      if (data.includes('\n')) {
        sock.destroy();
        resolvePromise(data.startsWith('SSH-'));
      }
    });
    sock.on('timeout', () => {
      sock.destroy();
      resolvePromise(false);
    });
    sock.on('error', () => resolvePromise(false));
    sock.on('close', () => resolvePromise(data.startsWith('SSH-')));
  });
}

/** Waits until the host accepts the lab's key and, for systemd hosts, finished booting. */
export async function waitHostReady(entry: LedgerHost, timeoutMs = 90_000, log: (m: string) => void = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await sshBanner(entry.address, 1000))) {
    checkInterrupted();
    if (!alive(entry.init)) throw new Error(`${entry.name}: host exited while starting${consoleTail(entry)}`);
    if (Date.now() > deadline) throw new Error(`${entry.name}: sshd not reachable${consoleTail(entry)}`);
    await sleep(100);
  }
  // A light host is sshd alone: its banner is readiness. A systemd host must also finish booting.
  if (entry.kind !== 'systemd') return;
  const check = 'systemctl is-system-running --wait; systemctl --failed --plain --no-legend';
  for (;;) {
    const left = deadline - Date.now();
    const r = await sshExecAddress(entry.address, check, { timeoutMs: Math.max(left, 1000) });
    if (r.code === 0 || r.stdout.startsWith('degraded')) {
      if (r.code !== 0) log(`${entry.name}: systemd degraded: ${r.stdout.trim().split('\n').slice(1).join('; ')}`);
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${entry.name}: not ready: ${(r.stdout + r.stderr).trim()}${consoleTail(entry)}`);
    }
    checkInterrupted();
    await sleep(200);
  }
}

function knownHostsLine(address: string, publicKey: string): string {
  return `${address} ${publicKey}`;
}

function staleCaches(): string[] {
  return [...staleBaseImages(), ...staleMirrors()];
}

function sameLab(state: LabState | undefined, name: string, count: number, os: LabOs): boolean {
  return state !== undefined && state.topology === name && state.hosts.length === count && state.os === os;
}

/**
 * One lab per machine (one bridge). A lock directory holding the owner's PID serialises bring-up
 * and teardown between processes; a test run holds it for its whole session (acquireLabSession),
 * so another run waits instead of tearing down hosts in use. The owner's descendants (test
 * workers) are part of its session and pass.
 */
const lockDir = join(stateDir, 'lock');

/** The lock's owner; undefined when there is no lock or its owner is gone (PID and start time). */
function lockOwner(): number | undefined {
  try {
    const [pidText, start] = readFileSync(join(lockDir, 'pid'), 'utf8').trim().split(' ');
    const pid = Number(pidText);
    return Number.isInteger(pid) && pid > 0 && procStart(pid) === start ? pid : undefined;
  } catch {
    return undefined;
  }
}

function selfAndAncestors(): Set<number> {
  const pids = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

function statMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

async function acquireLock(log: (m: string) => void): Promise<() => void> {
  mkdirSync(stateDir, { recursive: true });
  const deadline = Date.now() + 1_800_000;
  let lastNote = 0;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), `${process.pid} ${procStart(process.pid)}\n`);
      return () => {
        if (lockOwner() === process.pid) rmSync(lockDir, { recursive: true, force: true });
      };
    } catch {
      const owner = lockOwner();
      // Left by a process that is gone; a lock being created has no pid file for a moment only.
      const orphan = !existsSync(join(lockDir, 'pid')) && Date.now() - statMtime(lockDir) > 10_000;
      if (owner === undefined && (existsSync(join(lockDir, 'pid')) || orphan)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lab is locked by PID ${owner} (${lockDir})`);
      if (Date.now() - lastNote > 30_000) {
        log(`waiting for the lab, in use by PID ${owner ?? '?'}`);
        lastNote = Date.now();
      }
      await sleep(250);
    }
  }
}

/** Runs `fn` holding the lab lock (passes when this process or an ancestor holds it). */
export async function withLabLock<T>(log: (m: string) => void, fn: () => Promise<T>): Promise<T> {
  const owner = lockOwner();
  if (owner !== undefined && selfAndAncestors().has(owner)) return fn();
  const release = await acquireLock(log);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Holds the lab for this process and its descendants until the returned function is called. */
export async function acquireLabSession(log: (m: string) => void = () => undefined): Promise<() => void> {
  const owner = lockOwner();
  if (owner !== undefined && selfAndAncestors().has(owner)) return () => undefined;
  return acquireLock(log);
}

/** Brings up a topology (default ha-stacked) or N light hosts; reuses a healthy identical lab. */
export async function labUp(opts: LabUpOptions = {}): Promise<LabState> {
  requireRoot();
  return withLabLock(opts.log ?? (() => undefined), () => labUpLocked(opts));
}

async function labUpLocked(opts: LabUpOptions): Promise<LabState> {
  const log = opts.log ?? (() => undefined);
  const topo = opts.light !== undefined ? topologyOf('light', opts.light) : topologyOf(opts.topology ?? 'ha-stacked', opts.workers);
  const os = parseLabOs(opts.os);
  if (!opts.fresh) {
    const current = readLabState();
    if (sameLab(current, topo.name, topo.hosts.length, os) && (await labHealthy())) {
      log(`lab ${topo.name} on ${os} already up`);
      return current as LabState;
    }
  }
  interrupted = undefined;
  await labDownLocked(log);
  // Nothing runs on older images now: drop them so the cache holds one base and one mirror.
  for (const dir of staleCaches()) rmSync(dir, { recursive: true, force: true });
  const started = Date.now();
  try {
    return await bringUp(topo.name, topo.hosts, opts.light, os, log, started);
  } catch (err) {
    log('bring-up failed, tearing down');
    await labDownLocked(log);
    throw err;
  }
}

async function bringUp(
  name: LabState['topology'],
  plans: HostPlan[],
  light: number | undefined,
  os: LabOs,
  log: (m: string) => void,
  started: number,
): Promise<LabState> {
  await ensureClientKey();
  const baseDir = await ensureBaseImage(os, log);
  const mirrorDir = await ensureMirror(os, baseDir, log);
  // Lab specs name this file as the per-minor repositories' signing key (keyFile).
  writeRepositoryKey(mirrorDir);
  const ledger: Ledger = { topology: name, light, os, baseDir, mirrorDir, hosts: {} };
  for (const p of plans) ledger.hosts[p.name] = ledgerEntry(p);
  // Recorded before anything is created, so a crash at any point can be undone.
  writeLedger(ledger);
  const t0 = Date.now();
  await createBridge(BRIDGE_ADDRESS);
  ledger.mirror = await startMirrorServer(mirrorDir);
  writeLedger(ledger);

  const pubKeys = new Map<string, string>();
  await mapLimit(plans, 8, async (p) => {
    checkInterrupted();
    const entry = ledger.hosts[p.name] as LedgerHost;
    pubKeys.set(p.name, await prepareHostFiles(p, entry, baseDir));
    await createHostNetwork(entry);
  });
  writeFileSync(knownHostsFile, plans.map((p) => knownHostsLine(p.address, pubKeys.get(p.name) as string)).join('\n') + '\n');
  const tPrepared = Date.now();
  await mapLimit(plans, 8, async (p) => {
    checkInterrupted();
    const entry = ledger.hosts[p.name] as LedgerHost;
    const { launcher, init } = await launchHost(entry, baseDir);
    entry.launcher = launcher;
    entry.init = init;
    writeLedger(ledger);
  });
  // Booting is CPU-bound anyway; the limit only bounds the number of ssh clients at once.
  const tLaunched = Date.now();
  await mapLimit(plans, 10, (p) => waitHostReady(ledger.hosts[p.name] as LedgerHost, 180_000, log));
  const state: LabState = {
    topology: name,
    os,
    bridge: BRIDGE,
    bridgeAddress: BRIDGE_ADDRESS,
    mirrorUrl: mirrorUrl(BRIDGE_ADDRESS, MIRROR_PORT),
    hosts: plans.map((p) => ({
      name: p.name,
      address: p.address,
      kind: p.kind,
      roles: p.roles,
      pid: (ledger.hosts[p.name] as LedgerHost).init?.pid ?? 0,
    })),
  };
  writeLabState(state);
  const secs = (ms: number): string => (ms / 1000).toFixed(1);
  log(
    `lab ${name} on ${os} up: ${plans.length} host(s) in ${secs(Date.now() - t0)} s (files and network ` +
      `${secs(tPrepared - t0)} s, start ${secs(tLaunched - tPrepared)} s, boot to ssh-ready ` +
      `${secs(Date.now() - tLaunched)} s; ${secs(Date.now() - started)} s with image and mirror checks)`,
  );
  return state;
}

async function listNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFailure: true });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

async function listLabLinks(): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show'], { allowFailure: true });
  const names: string[] = [];
  for (const l of r.stdout.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(l);
    if (m?.[1] && (m[1] === BRIDGE || m[1].startsWith(NAME_PREFIX))) names.push(m[1]);
  }
  return names;
}

export function outerMountsUnder(dir: string): string[] {
  const mounts: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && (mp === dir || mp.startsWith(`${dir}/`))) mounts.push(mp);
  }
  return mounts.sort((a, b) => b.length - a.length);
}

/**
 * Tears everything down: kills the processes the lab started (by recorded PID and start time, then
 * whatever remains in the lab's own cgroups), removes namespaces, links, cgroups, host directories
 * and state files. Safe to call when nothing is up, and after a crashed run.
 */
export async function labDown(opts: { log?: (m: string) => void } = {}): Promise<void> {
  requireRoot();
  const log = opts.log ?? (() => undefined);
  await withLabLock(log, () => labDownLocked(log));
}

async function labDownLocked(log: (m: string) => void): Promise<void> {
  const ledger = readLedger();
  const entries = Object.values(ledger.hosts);
  const refs: Array<ProcRef | undefined> = [];
  // Killing a host's init ends every process in its PID namespace; its launcher (unshare) then
  // reaps it and exits, so no zombie is left for the outer PID 1.
  for (const e of entries) {
    signal(e.init, 'SIGKILL');
    refs.push(e.init, e.launcher);
  }
  signal(ledger.mirror, 'SIGTERM');
  refs.push(ledger.mirror);
  await waitGone(refs, 5000);
  for (const e of entries) signal(e.launcher, 'SIGKILL');
  signal(ledger.mirror, 'SIGKILL');
  // Anything left in the lab's cgroups descends from a host the lab started.
  await killCgroupPids();
  await waitGone(refs, 5000);
  await waitReaped(refs, 5000);

  for (const ns of await listNetns()) {
    if (ns.startsWith(NAME_PREFIX)) await run('ip', ['netns', 'delete', ns], { allowFailure: true });
  }
  for (const link of await listLabLinks()) {
    await run('ip', ['link', 'delete', link], { allowFailure: true });
  }
  let failed: string[] = [];
  for (let round = 0; round < 20; round++) {
    failed = removeCgroups();
    if (failed.length === 0) break;
    await sleep(100);
  }
  if (failed.length) log(`could not remove cgroups: ${failed.join(', ')}`);

  const dirs = new Set(entries.map((e) => e.dir));
  if (existsSync(HOSTS_ROOT)) for (const n of readdirSync(HOSTS_ROOT)) dirs.add(join(HOSTS_ROOT, n));
  for (const dir of dirs) {
    for (const mp of outerMountsUnder(dir)) await run('umount', ['-l', mp], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
  for (const f of [hostsFile, knownHostsFile, ledgerFile, join(stateDir, 'mirror.log')]) rmSync(f, { force: true });
}

export interface HostStatus {
  name: string;
  address: string;
  kind: string;
  running: boolean;
  sshd: boolean;
  memoryBytes?: number;
}

export interface LabStatus {
  up: boolean;
  topology?: string;
  os?: string;
  mirrorUrl?: string;
  mirrorRunning: boolean;
  hosts: HostStatus[];
  leftovers: { netns: string[]; links: string[]; cgroups: boolean; hostDirs: string[] };
  /** PID of the process holding the lab (a test run, or a bring-up or teardown in progress). */
  lockedBy?: number;
}

export async function labStatus(): Promise<LabStatus> {
  const state = readLabState();
  const ledger = readLedger();
  const hosts: HostStatus[] = await Promise.all(
    Object.values(ledger.hosts).map(async (e) => ({
      name: e.name,
      address: e.address,
      kind: e.kind,
      running: alive(e.init),
      sshd: alive(e.init) && (await sshBanner(e.address, 1000)),
      memoryBytes: alive(e.init) ? hostMemoryBytes(e.name) : undefined,
    })),
  );
  const netns = (await listNetns()).filter((n) => n.startsWith(NAME_PREFIX));
  const links = await listLabLinks();
  const hostDirs = existsSync(HOSTS_ROOT) ? readdirSync(HOSTS_ROOT) : [];
  return {
    up: state !== undefined && hosts.length > 0 && hosts.every((h) => h.running && h.sshd),
    topology: state?.topology,
    os: state?.os,
    mirrorUrl: state?.mirrorUrl,
    mirrorRunning: alive(ledger.mirror),
    hosts,
    leftovers: { netns, links, cgroups: labCgroupsExist(), hostDirs },
    lockedBy: lockOwner(),
  };
}

async function labHealthy(): Promise<boolean> {
  const s = await labStatus();
  return s.up && s.mirrorRunning;
}
