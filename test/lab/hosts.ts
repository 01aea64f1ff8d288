// One lab host: its files (overlay upper dir with its own keys and identity), its network
// namespace on the bridge, its cgroups, and its init process started detached.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHostCgroups, cgroupLayout } from './cgroups.js';
import { run, sleep } from './exec.js';
import { BRIDGE, NAME_PREFIX, PREFIX_LENGTH, clientKeyFile, labSourceDir } from './paths.js';
import { alive, childPids, comm, procRef, type ProcRef } from './procs.js';
import type { LedgerHost } from './state.js';
import type { HostPlan } from './topology.js';

/** Host root filesystems live outside the repository so no tool there ever crawls into them. */
export const HOSTS_ROOT = process.env.HACTL_LAB_HOSTS_DIR ?? '/var/tmp/hactl-lab/hosts';
const hostStart = join(labSourceDir, 'host-start.sh');
const hostInit = join(labSourceDir, 'host-init.sh');

export function netnsName(host: string): string {
  return `${NAME_PREFIX}${host}`;
}

export function ledgerEntry(plan: HostPlan): LedgerHost {
  const name = netnsName(plan.name);
  if (name.length > 15) throw new Error(`host name ${plan.name} too long for an interface name`);
  return { name: plan.name, kind: plan.kind, address: plan.address, netns: name, veth: name, dir: join(HOSTS_ROOT, plan.name) };
}

/** Creates a directory in the upper dir with the mode and owner of the base's, which it shadows. */
function mkdirLike(base: string, upper: string, rel: string): string {
  let cur = '';
  for (const part of rel.split('/').filter(Boolean)) {
    cur = cur ? `${cur}/${part}` : part;
    const target = join(upper, cur);
    if (existsSync(target)) continue;
    mkdirSync(target);
    const src = join(base, cur);
    if (existsSync(src)) {
      const st = statSync(src);
      chmodSync(target, st.mode & 0o7777);
      chownSync(target, st.uid, st.gid);
    }
  }
  return join(upper, rel);
}

/** Writes the host's identity into its upper dir; returns its public host key. */
export async function prepareHostFiles(plan: HostPlan, entry: LedgerHost, baseDir: string): Promise<string> {
  rmSync(entry.dir, { recursive: true, force: true });
  const upper = join(entry.dir, 'upper');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(entry.dir, d), { recursive: true });
  const etc = mkdirLike(baseDir, upper, 'etc');
  writeFileSync(join(etc, 'hostname'), `${plan.name}\n`);
  writeFileSync(join(etc, 'hosts'), `127.0.0.1\tlocalhost\n${plan.address}\t${plan.name}\n`);
  writeFileSync(join(etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`);
  const sshDir = mkdirLike(baseDir, upper, 'etc/ssh');
  const key = join(sshDir, 'ssh_host_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${plan.name}`, '-f', key]);
  const dotSsh = mkdirLike(baseDir, upper, 'root/.ssh');
  chmodSync(dotSsh, 0o700);
  writeFileSync(join(dotSsh, 'authorized_keys'), readFileSync(`${clientKeyFile}.pub`), { mode: 0o600 });
  writeFileSync(join(entry.dir, 'cgroups'), cgroupLayout());
  const pub = readFileSync(`${key}.pub`, 'utf8').trim().split(/\s+/);
  return `${pub[0]} ${pub[1]}`;
}

function disableIpv6Outer(link: string): void {
  const path = `/proc/sys/net/ipv6/conf/${link}/disable_ipv6`;
  if (existsSync(path)) writeFileSync(path, '1');
}

export async function createBridge(address: string): Promise<void> {
  await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  // Before the link comes up, or it autoconfigures an IPv6 link-local address.
  disableIpv6Outer(BRIDGE);
  await run('ip', ['addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);
}

export async function createHostNetwork(entry: LedgerHost): Promise<void> {
  await run('ip', ['netns', 'add', entry.netns]);
  // Inside: no IPv6 on any link created from now on (eth0 arrives next).
  const conf = '/proc/sys/net/ipv6/conf';
  await run('nsenter', [
    `--net=/run/netns/${entry.netns}`,
    '--',
    'sh',
    '-c',
    `[ ! -d ${conf} ] || { echo 1 > ${conf}/all/disable_ipv6; echo 1 > ${conf}/default/disable_ipv6; }`,
  ]);
  await run('ip', ['link', 'add', entry.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', entry.netns]);
  disableIpv6Outer(entry.veth);
  await run('ip', ['link', 'set', entry.veth, 'master', BRIDGE, 'up']);
  await run('ip', ['-n', entry.netns, '-batch', '-'], {
    input: `addr add ${entry.address}/${PREFIX_LENGTH} dev eth0\nlink set lo up\nlink set eth0 up\n`,
  });
  // A host that takes the address of a removed one: the bridge's ARP entry still names the old
  // link's MAC and stays REACHABLE for up to 45 s, so nothing here could reach the new host.
  await run('ip', ['neigh', 'flush', 'to', entry.address, 'dev', BRIDGE], { allowFailure: true });
}

/** Starts the host's init in its own session; returns the launcher and the init (PID 1 inside). */
export async function launchHost(entry: LedgerHost, baseDir: string): Promise<{ launcher: ProcRef; init: ProcRef }> {
  const cgroupProcs = createHostCgroups(entry.name);
  const log = openSync(join(entry.dir, 'console.log'), 'a');
  let child;
  try {
    child = spawn('bash', [hostStart], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HL_NAME: entry.name,
        HL_KIND: entry.kind,
        HL_LOWER: baseDir,
        HL_DIR: entry.dir,
        HL_NETNS: entry.netns,
        HL_INIT: hostInit,
        HL_CGROUP_PROCS: cgroupProcs.join(' '),
      },
    });
  } finally {
    closeSync(log);
  }
  child.unref();
  const pid = child.pid;
  const launcher = pid === undefined ? undefined : procRef(pid);
  if (pid === undefined || launcher === undefined) throw new Error(`${entry.name}: launcher did not start${consoleTail(entry)}`);
  // Generous: while a hundred hosts boot on two cores, a fork can wait many seconds for a CPU.
  const deadline = Date.now() + 60_000;
  // host-start.sh execs nsenter, then unshare, which forks the init: wait for that child.
  while (Date.now() < deadline) {
    if (!alive(launcher)) break;
    const children = childPids(pid);
    const init = children.length === 1 && children[0] !== undefined ? procRef(children[0]) : undefined;
    if (init && comm(pid) === 'unshare') return { launcher, init };
    await sleep(20);
  }
  throw new Error(`${entry.name}: init did not start${consoleTail(entry)}`);
}

export function consoleTail(entry: LedgerHost, lines = 20): string {
  try {
    const text = readFileSync(join(entry.dir, 'console.log'), 'utf8').trim();
    return text ? `\n--- ${entry.name} console ---\n${text.split('\n').slice(-lines).join('\n')}` : '';
  } catch {
    return '';
  }
}
