// Adding a bare host to a running lab and destroying one, so that tests and users can replace
// hosts: `npm run lab -- add NAME [--systemd|--light] [--address A]` and `npm run lab -- remove NAME`.
// An added host gets the next free lab address (or the one asked for), its own host key (written to
// the lab's known_hosts in place of any older key for that address), and nothing hactl installs.
// A removed host is gone for good: its processes, namespace, link, cgroups and disk.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { killCgroupPids, removeCgroups } from './cgroups.js';
import { run, sleep } from './exec.js';
import { consoleTail, createHostNetwork, launchHost, ledgerEntry, prepareHostFiles } from './hosts.js';
import { outerMountsUnder, waitHostReady } from './lab.js';
import { knownHostsFile } from './paths.js';
import { alive, signal, waitGone, waitReaped, type ProcRef } from './procs.js';
import { readLabState, readLedger, writeLabState, writeLedger } from './state.js';
import { hostAddress, MAX_LIGHT_HOSTS, type HostKind, type HostPlan } from './topology.js';

/** Host names the lab accepts: a hostname label short enough for the interface name `hl-NAME`. */
export const LAB_HOST_NAME = /^[a-z][a-z0-9-]{0,11}$/;

export interface AddArgs {
  name: string;
  kind: HostKind;
  address?: string;
}

/** `add NAME [--systemd|--light] [--address A]`; throws a usage error saying what is wrong. */
export function parseAddArgs(args: readonly string[]): AddArgs {
  let name: string | undefined;
  let kind: HostKind | undefined;
  let address: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--systemd' || a === '--light') {
      const k: HostKind = a === '--systemd' ? 'systemd' : 'light';
      if (kind !== undefined && kind !== k) throw new Error('add: --systemd and --light exclude each other');
      kind = k;
    } else if (a === '--address') {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error('add: --address needs a value');
      address = v;
    } else if (a.startsWith('-')) {
      throw new Error(`add: unknown flag ${a}`);
    } else if (name === undefined) {
      name = a;
    } else {
      throw new Error(`add: one host at a time (got ${name} and ${a})`);
    }
  }
  if (name === undefined) throw new Error('add: a host name is needed');
  checkName(name, 'add');
  if (address !== undefined && !labAddresses().includes(address)) {
    throw new Error(`add: --address ${address} is not a lab host address (198.18.0.11-99 or 198.18.0.110-253: 198.18.0.100-109 are VIPs)`);
  }
  return { name, kind: kind ?? 'systemd', ...(address !== undefined ? { address } : {}) };
}

/** `remove NAME`. */
export function parseRemoveArgs(args: readonly string[]): { name: string } {
  const flags = args.filter((a) => a.startsWith('-'));
  if (flags.length > 0) throw new Error(`remove: unknown flag ${flags[0]}`);
  if (args.length !== 1) throw new Error(args.length === 0 ? 'remove: a host name is needed' : 'remove: one host at a time');
  checkName(args[0]!, 'remove');
  return { name: args[0]! };
}

function checkName(name: string, cmd: string): void {
  if (!LAB_HOST_NAME.test(name)) {
    throw new Error(`${cmd}: ${JSON.stringify(name)} is not a lab host name (lower-case letters, digits and -, starting with a letter, at most 12)`);
  }
}

/** Every address the lab gives hosts, in order. */
export function labAddresses(): string[] {
  return Array.from({ length: MAX_LIGHT_HOSTS }, (_, i) => hostAddress(i + 1));
}

/** The first lab host address nobody uses. */
export function nextFreeAddress(used: Iterable<string>): string {
  const taken = new Set(used);
  const free = labAddresses().find((a) => !taken.has(a));
  if (free === undefined) throw new Error('the lab has no free host address left');
  return free;
}

/** known_hosts with the entries for `address` replaced by one for `publicKey` (none when undefined). */
export function replaceKnownHost(text: string, address: string, publicKey: string | undefined): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && l.split(/\s+/)[0] !== address);
  if (publicKey !== undefined) lines.push(`${address} ${publicKey}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function readKnownHosts(): string {
  try {
    return readFileSync(knownHostsFile, 'utf8');
  } catch {
    return '';
  }
}

/** Adds a bare host to the running lab; returns its plan (name, address, kind). */
export async function labAddHost(args: AddArgs, log: (m: string) => void = () => undefined): Promise<HostPlan> {
  const ledger = readLedger();
  const state = readLabState();
  if (state === undefined || ledger.baseDir === undefined) throw new Error('the lab is not up: npm run lab -- up');
  if (ledger.hosts[args.name] !== undefined) throw new Error(`the lab already has a host ${args.name}`);
  const used = Object.values(ledger.hosts).map((h) => h.address);
  if (args.address !== undefined && used.includes(args.address)) {
    throw new Error(`${args.address} is in use by ${Object.values(ledger.hosts).find((h) => h.address === args.address)!.name}`);
  }
  const plan: HostPlan = { name: args.name, address: args.address ?? nextFreeAddress(used), kind: args.kind, roles: [] };
  const entry = ledgerEntry(plan);
  // Recorded first, so that `lab down` undoes a half-made host too.
  ledger.hosts[plan.name] = entry;
  writeLedger(ledger);
  const publicKey = await prepareHostFiles(plan, entry, ledger.baseDir);
  await createHostNetwork(entry);
  writeFileSync(knownHostsFile, replaceKnownHost(readKnownHosts(), plan.address, publicKey));
  const { launcher, init } = await launchHost(entry, ledger.baseDir);
  entry.launcher = launcher;
  entry.init = init;
  writeLedger(ledger);
  await waitHostReady(entry, 120_000, log);
  state.hosts.push({ name: plan.name, address: plan.address, kind: plan.kind, roles: [], pid: init.pid });
  writeLabState(state);
  return plan;
}

/** Destroys a lab host for good: processes, network namespace and link, cgroups, disk, known_hosts entry. */
export async function labRemoveHost(name: string): Promise<void> {
  const ledger = readLedger();
  const e = ledger.hosts[name];
  if (e === undefined) throw new Error(`the lab has no host ${name}`);
  const refs: Array<ProcRef | undefined> = [e.init, e.launcher];
  signal(e.init, 'SIGKILL');
  await waitGone([e.init], 10_000);
  signal(e.launcher, 'SIGKILL');
  await killCgroupPids(name);
  await waitGone(refs, 5000);
  await waitReaped(refs, 5000);
  if (alive(e.init)) throw new Error(`lab host ${name} survived SIGKILL${consoleTail(e)}`);
  await run('ip', ['netns', 'delete', e.netns], { allowFailure: true });
  await run('ip', ['link', 'delete', e.veth], { allowFailure: true });
  for (let round = 0; round < 20 && removeCgroups(name).length > 0; round++) await sleep(100);
  for (const mp of outerMountsUnder(e.dir)) await run('umount', ['-l', mp], { allowFailure: true });
  rmSync(e.dir, { recursive: true, force: true });
  writeFileSync(knownHostsFile, replaceKnownHost(readKnownHosts(), e.address, undefined));
  ledger.hosts = Object.fromEntries(Object.entries(ledger.hosts).filter(([n]) => n !== name));
  writeLedger(ledger);
  const state = readLabState();
  if (state !== undefined) {
    state.hosts = state.hosts.filter((h) => h.name !== name);
    writeLabState(state);
  }
}
