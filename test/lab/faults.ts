// Fault helpers for tests: what can go wrong with a real machine, done to one lab host.
import { readFileSync, readdirSync } from 'node:fs';
import { run, sleep, type RunResult } from './exec.js';
import { BRIDGE } from './paths.js';
import { consoleTail, launchHost } from './hosts.js';
import { waitHostReady } from './lab.js';
import { alive, comm, pidNamespace, signal, waitGone, type ProcRef } from './procs.js';
import { readLabState, readLedger, writeLabState, writeLedger, type LedgerHost } from './state.js';

function entryOf(name: string): LedgerHost {
  const e = readLedger().hosts[name];
  if (!e) throw new Error(`no lab host ${JSON.stringify(name)}`);
  return e;
}

function runningEntry(name: string): LedgerHost & { init: ProcRef } {
  const e = entryOf(name);
  if (!alive(e.init)) throw new Error(`lab host ${name} is not running`);
  return e as LedgerHost & { init: ProcRef };
}

/**
 * Runs a command inside a host from the outer machine, like a console (no SSH): all of the host's
 * namespaces, its root directory, a clean environment.
 */
export function hostConsole(name: string, argv: string[], opts: { allowFailure?: boolean } = {}): Promise<RunResult> {
  const e = runningEntry(name);
  return run(
    'nsenter',
    [
      '-t',
      String(e.init.pid),
      '-m',
      '-u',
      '-i',
      '-n',
      '-p',
      '-C',
      '-r',
      '-w',
      '--',
      '/usr/bin/env',
      '-i',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ...argv,
    ],
    { allowFailure: opts.allowFailure, timeoutMs: 60_000 },
  );
}

/** Clean shutdown: `systemctl poweroff` on systemd hosts, SIGTERM to tini on light hosts. */
export async function stopHost(name: string, timeoutMs = 30_000): Promise<void> {
  const e = runningEntry(name);
  if (e.kind === 'systemd') await hostConsole(name, ['systemctl', 'poweroff', '--no-block']);
  else signal(e.init, 'SIGTERM');
  if (!(await waitGone([e.init], timeoutMs))) {
    throw new Error(`lab host ${name} did not stop within ${timeoutMs} ms${consoleTail(e)}`);
  }
}

/** Power cut: SIGKILL to the host's init, which ends every process in the host. */
export async function killHost(name: string): Promise<void> {
  const e = runningEntry(name);
  signal(e.init, 'SIGKILL');
  if (!(await waitGone([e.init], 10_000))) throw new Error(`lab host ${name} survived SIGKILL`);
}

/** Boots a stopped or killed host again on its own disk (upper dir), address and host key. */
export async function startHost(name: string): Promise<void> {
  const ledger = readLedger();
  const e = ledger.hosts[name];
  if (!e) throw new Error(`no lab host ${JSON.stringify(name)}`);
  if (alive(e.init)) return;
  if (!ledger.baseDir) throw new Error('lab ledger has no base image');
  signal(e.launcher, 'SIGKILL');
  await waitGone([e.launcher], 5000);
  const { launcher, init } = await launchHost(e, ledger.baseDir);
  e.launcher = launcher;
  e.init = init;
  writeLedger(ledger);
  const state = readLabState();
  const h = state?.hosts.find((x) => x.name === name);
  if (state && h) {
    h.pid = init.pid;
    writeLabState(state);
  }
  await waitHostReady(e);
}

export async function stopSshd(name: string): Promise<void> {
  const e = runningEntry(name);
  // On a light host sshd is the host's only service: stopping it is stopHost.
  if (e.kind !== 'systemd') throw new Error(`lab host ${name} is a light host: use stopHost`);
  await hostConsole(name, ['systemctl', 'stop', 'ssh.service']);
}

export async function startSshd(name: string): Promise<void> {
  const e = runningEntry(name);
  if (e.kind !== 'systemd') throw new Error(`lab host ${name} is a light host: use startHost`);
  await hostConsole(name, ['systemctl', 'start', 'ssh.service']);
}

/**
 * Cuts a systemd host off SSH as a dying sshd would: the service stopped and every sshd process
 * killed, the established sessions too. Since OpenSSH 9.8 (Debian 13 ships 10.0) each connection
 * runs in an `sshd-session` process, which neither stopping the service nor killing `sshd` ends.
 */
export async function cutSsh(name: string): Promise<void> {
  await stopSshd(name);
  for (const processName of ['sshd', 'sshd-session']) killProcess(name, processName);
}

/** Outer PIDs of the host's processes whose name (comm) is `processName`, init excluded. */
export function findProcesses(host: string, processName: string): number[] {
  const e = runningEntry(host);
  const ns = pidNamespace(e.init.pid);
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid === e.init.pid || pidNamespace(pid) !== ns) continue;
    if (comm(pid) === processName.slice(0, 15)) found.push(pid);
  }
  return found;
}

/** Sends `sig` (default SIGKILL) to every process named `processName` in the host; returns outer PIDs. */
export function killProcess(host: string, processName: string, sig: NodeJS.Signals = 'SIGKILL'): number[] {
  const pids = findProcesses(host, processName);
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Unplugs the host's cable: the outer end of its veth goes down (eth0 inside loses carrier). */
export async function linkDown(name: string): Promise<void> {
  await run('ip', ['link', 'set', entryOf(name).veth, 'down']);
}

/** Plugs the cable back in; resolves once the link carries traffic again. */
export async function linkUp(name: string, timeoutMs = 10_000): Promise<void> {
  const e = entryOf(name);
  await run('ip', ['link', 'set', e.veth, 'up']);
  // Address resolution failed while the link was down; do not wait for that entry to expire.
  await run('ip', ['neigh', 'flush', 'to', e.address, 'dev', BRIDGE], { allowFailure: true });
  const deadline = Date.now() + timeoutMs;
  while (readFileSync(`/sys/class/net/${e.veth}/operstate`, 'utf8').trim() !== 'up') {
    if (Date.now() > deadline) throw new Error(`link of ${name} did not come up`);
    await sleep(50);
  }
}
