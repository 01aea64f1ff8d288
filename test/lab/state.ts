// The lab's files under .lab/: hosts.json (the contract other tests read) and the ledger of
// everything the lab created, so teardown can undo exactly that even after a crash.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LabOs } from './image.js';
import type { ProcRef } from './procs.js';
import { hostsFile, ledgerFile } from './paths.js';
import type { HostKind, LabRole, TopologyName } from './topology.js';

export interface LabHost {
  name: string;
  address: string;
  kind: HostKind;
  roles: LabRole[];
  /** Outer PID of the host's init (PID 1 inside the host). */
  pid: number;
}

export interface LabState {
  topology: TopologyName;
  /** The hosts' operating system. */
  os: LabOs;
  bridge: string;
  bridgeAddress: string;
  mirrorUrl: string;
  hosts: LabHost[];
}

export interface LedgerHost {
  name: string;
  kind: HostKind;
  address: string;
  netns: string;
  veth: string;
  dir: string;
  /** The detached launcher (unshare); killing it kills the init too. */
  launcher?: ProcRef;
  init?: ProcRef;
}

export interface Ledger {
  topology?: TopologyName;
  light?: number;
  os?: LabOs;
  baseDir?: string;
  mirrorDir?: string;
  mirror?: ProcRef;
  hosts: Record<string, LedgerHost>;
}

function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export function readLabState(): LabState | undefined {
  if (!existsSync(hostsFile)) return undefined;
  return JSON.parse(readFileSync(hostsFile, 'utf8')) as LabState;
}

export function writeLabState(state: LabState): void {
  writeJsonAtomic(hostsFile, state);
}

export function readLedger(): Ledger {
  if (!existsSync(ledgerFile)) return { hosts: {} };
  try {
    return JSON.parse(readFileSync(ledgerFile, 'utf8')) as Ledger;
  } catch {
    return { hosts: {} };
  }
}

export function writeLedger(ledger: Ledger): void {
  writeJsonAtomic(ledgerFile, ledger);
}
