// Process references that survive PID reuse: a PID plus its start time from /proc/PID/stat.
import { readFileSync, readlinkSync } from 'node:fs';
import { sleep } from './exec.js';

export interface ProcRef {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  start: string;
}

export function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

export function procRef(pid: number): ProcRef | undefined {
  const start = procStart(pid);
  return start === undefined ? undefined : { pid, start };
}

/** True while the very process that was recorded is alive (not a later one with its PID). */
export function alive(ref: ProcRef | undefined): ref is ProcRef {
  return ref !== undefined && procStart(ref.pid) === ref.start;
}

export function signal(ref: ProcRef | undefined, sig: NodeJS.Signals): boolean {
  if (!alive(ref)) return false;
  try {
    process.kill(ref.pid, sig);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(refs: Array<ProcRef | undefined>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!refs.some(alive)) return true;
    await sleep(50);
  }
  return !refs.some(alive);
}

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function pidNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

export function comm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Same process still has a /proc entry, even as a zombie waiting to be reaped. */
function present(ref: ProcRef): boolean {
  try {
    const stat = readFileSync(`/proc/${ref.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === ref.start;
  } catch {
    return false;
  }
}

/** Waits until the processes are gone and reaped by their parents (no zombie left behind). */
export async function waitReaped(refs: Array<ProcRef | undefined>, timeoutMs: number): Promise<boolean> {
  const list = refs.filter((r): r is ProcRef => r !== undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!list.some(present)) return true;
    await sleep(50);
  }
  return !list.some(present);
}
