// Per-host cgroups on the outer machine, in every mounted hierarchy (v1 controllers, name=systemd,
// cgroup2), so a host's cgroup namespace is rooted in its own cgroup and its usage is measurable.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_PARENT } from './paths.js';
import { sleep } from './exec.js';
import { procRef, signal } from './procs.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface Hierarchy {
  /** Mount point on the outer machine. */
  mountPoint: string;
  /** Path relative to /sys/fs/cgroup ('' when /sys/fs/cgroup itself is cgroup2). */
  rel: string;
  type: 'cgroup' | 'cgroup2';
  /** Superblock options naming the hierarchy (controllers or name=...), for the mount inside. */
  options: string;
}

export function hierarchies(): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4] ?? '';
    const [fstype, , superOpts = ''] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    if (mountPoint !== CGROUP_ROOT && !mountPoint.startsWith(`${CGROUP_ROOT}/`)) continue;
    const options = superOpts
      .split(',')
      .filter((o) => o !== 'rw' && o !== 'ro')
      .join(',');
    out.push({ mountPoint, rel: mountPoint.slice(CGROUP_ROOT.length + 1), type: fstype, options });
  }
  return out;
}

/** Lines for host-init.sh: how to rebuild the outer /sys/fs/cgroup layout inside a host. */
export function cgroupLayout(): string {
  const hs = hierarchies();
  const lines: string[] = [];
  for (const h of hs) {
    if (h.rel === '') lines.push('cgroup2-root');
    else lines.push(`${h.type} ${h.rel} ${h.options || 'rw'}`);
  }
  if (!hs.some((h) => h.rel === '')) {
    for (const name of readdirSync(CGROUP_ROOT)) {
      const p = join(CGROUP_ROOT, name);
      if (lstatSync(p).isSymbolicLink()) lines.push(`link ${name} ${readlinkSync(p)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function hostDir(h: Hierarchy, host?: string): string {
  return host === undefined ? join(h.mountPoint, CGROUP_PARENT) : join(h.mountPoint, CGROUP_PARENT, host);
}

function inheritCpuset(h: Hierarchy, dir: string, parent: string): void {
  // v1 cpuset children start with no CPUs or memory nodes: a task cannot join until they are set.
  if (!h.options.split(',').includes('cpuset')) return;
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const cur = readFileSync(join(dir, f), 'utf8').trim();
    if (cur === '') writeFileSync(join(dir, f), readFileSync(join(parent, f), 'utf8').trim());
  }
}

/** Creates the host's cgroup in every hierarchy; returns the cgroup.procs files to join. */
export function createHostCgroups(host: string): string[] {
  const procs: string[] = [];
  for (const h of hierarchies()) {
    const parent = hostDir(h);
    mkdirSync(parent, { recursive: true });
    inheritCpuset(h, parent, h.mountPoint);
    const dir = hostDir(h, host);
    mkdirSync(dir, { recursive: true });
    inheritCpuset(h, dir, parent);
    procs.push(join(dir, 'cgroup.procs'));
  }
  return procs;
}

/** PIDs still in a cgroup subtree (processes the lab started, or their descendants). */
export function cgroupPids(host?: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    const procs = join(dir, 'cgroup.procs');
    if (existsSync(procs)) {
      for (const l of readFileSync(procs, 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const h of hierarchies()) walk(hostDir(h, host));
  return [...pids];
}

/** Removes a cgroup subtree, deepest first; returns directories that could not be removed. */
export function removeCgroups(host?: string): string[] {
  const failed: string[] = [];
  const rm = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      failed.push(dir);
    }
  };
  for (const h of hierarchies()) rm(hostDir(h, host));
  return failed;
}

/** Memory charged to a host's cgroup (v1 memory controller, or cgroup2 memory.current). */
export function hostMemoryBytes(host: string): number | undefined {
  for (const h of hierarchies()) {
    const dir = hostDir(h, host);
    for (const f of ['memory.usage_in_bytes', 'memory.current']) {
      const p = join(dir, f);
      if (existsSync(p)) return Number(readFileSync(p, 'utf8').trim());
    }
  }
  return undefined;
}

export function labCgroupsExist(): boolean {
  return hierarchies().some((h) => existsSync(hostDir(h)));
}

/** SIGKILL whatever is still in a cgroup subtree (all of the lab's, or one host's), for up to 2 s. */
export async function killCgroupPids(host?: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const left = cgroupPids(host);
    if (left.length === 0) return;
    for (const pid of left) {
      const ref = procRef(pid);
      if (ref) signal(ref, 'SIGKILL');
    }
    await sleep(100);
  }
}
