// preflight (read-only): the host meets its roles' minimums for the spec's profile, runs a
// supported OS, has the ports hactl needs free, and keeps time. Findings are diagnostics; the
// resource plans as `read` and never changes anything.

import { minimumSize } from '../spec/topology.js';
import type { HostFacts } from '../facts/types.js';
import type { Diagnostic } from './diff.js';
import type { ClusterSpec, Profile, Role } from '../spec/types.js';
import { emptyDesired } from './desired.js';
import { emptyRequest, type ResourceContext, type ResourceKindDef } from './resource.js';
import type { GraphBuilder } from '../graph/compile.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const GB = 1e9;

export interface Minimum {
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
}

/** The spec's minimums (DEVELOPERS.md's table, held in src/spec/topology.ts), in bytes. */
export function minimumFor(roles: readonly Role[], profile: Profile): Minimum {
  const m = minimumSize(profile, roles);
  return { cpus: m.cpus, memoryBytes: m.memoryMiB * MiB, diskBytes: m.diskGB * GB };
}

/**
 * MemTotal is what the kernel has left after its own reservations: a machine sold as 4 GiB shows
 * about 3.8 GiB. Allow that much rather than failing every exactly-sized machine.
 */
const MEMORY_SLACK = 0.9;

const SUPPORTED_OS: Record<string, { min: number[]; name: string }> = {
  debian: { min: [12], name: 'Debian 12' },
  ubuntu: { min: [22, 4], name: 'Ubuntu 22.04' },
  rocky: { min: [9], name: 'Rocky 9' },
  rhel: { min: [9], name: 'RHEL 9' },
};

export function osSupport(facts: HostFacts): string | undefined {
  const os = SUPPORTED_OS[facts.os.id];
  const supported = 'supported: Rocky 9+, RHEL 9+, Ubuntu 22.04+, Debian 12+';
  if (!os) return `${facts.os.prettyName || facts.os.id} is not supported (${supported})`;
  const have = facts.os.versionId.split('.').map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < os.min.length; i++) {
    const h = have[i] ?? 0;
    if (Number.isNaN(h)) return `${facts.os.prettyName}: cannot read the version "${facts.os.versionId}" (${supported})`;
    if (h > os.min[i]!) return undefined;
    if (h < os.min[i]!) return `${facts.os.prettyName} is older than ${os.name} (${supported})`;
  }
  return undefined;
}

/** Ports hactl's services listen on, with the process allowed to hold each (ss shows comm, 15 chars). */
export interface RequiredPort {
  port: number;
  /** Process names (ss shows comm, at most 15 characters) of the service hactl runs on it. */
  owners: string[];
  what: string;
  /** That service is evidently set up here (its static pod manifest, or its unit running). */
  ours: (facts: HostFacts) => boolean;
}

const manifest = (name: string) => (f: HostFacts) => f.kubernetes.manifests.includes(`${name}.yaml`);
const unitActive = (name: string) => (f: HostFacts) => f.units[name]?.active === true;

export function requiredPorts(ctx: Pick<ResourceContext, 'spec' | 'placement' | 'host'>): RequiredPort[] {
  const { spec, placement, host } = ctx;
  const on = (hs: { name: string }[]) => hs.some((h) => h.name === host.name);
  const out: RequiredPort[] = [];
  const etcd = (ours: RequiredPort['ours']) =>
    out.push({ port: 2379, owners: ['etcd'], what: 'etcd clients', ours }, { port: 2380, owners: ['etcd'], what: 'etcd peers', ours });
  if (on(placement.controlPlane)) {
    out.push({ port: 6443, owners: ['kube-apiserver'], what: 'kube-apiserver', ours: manifest('kube-apiserver') });
    out.push({ port: 10257, owners: ['kube-controller'], what: 'kube-controller-manager', ours: manifest('kube-controller-manager') });
    out.push({ port: 10259, owners: ['kube-scheduler'], what: 'kube-scheduler', ours: manifest('kube-scheduler') });
    if (spec.etcd.topology === 'stacked') etcd(manifest('etcd'));
  }
  if (on(placement.kubeNodes)) out.push({ port: 10250, owners: ['kubelet'], what: 'kubelet', ours: unitActive('kubelet') });
  if (on(placement.etcdHosts)) etcd(unitActive('etcd'));
  if (on(placement.proxyHosts)) {
    const proxy = spec.loadBalancer.type === 'keepalived-nginx' ? 'nginx' : 'haproxy';
    out.push({ port: spec.loadBalancer.frontendPort, owners: [proxy], what: `${proxy} (load balancer frontend)`, ours: unitActive(proxy) });
  }
  const seen = new Set<number>();
  return out.filter((p) => (seen.has(p.port) ? false : (seen.add(p.port), true)));
}

/** The minor from which the kubelet refuses cgroup v1 by default (failCgroupV1, KEP-5573). */
export const CGROUP_V1_REFUSED_FROM_MINOR = 35;

/** What the host's cgroup mode means for the spec's kubelet, if anything. */
export function cgroupV1Finding(spec: ClusterSpec, facts: HostFacts): { severity: Diagnostic['severity']; message: string } | undefined {
  const mode = facts.cgroupMode;
  const minor = Number(spec.kubernetes.version.split('.')[1]);
  if (mode === 'v2' || minor < CGROUP_V1_REFUSED_FROM_MINOR) return undefined;
  if (mode === 'unknown')
    return {
      severity: 'warning',
      message: `cgroup mode unknown (no cgroup mount at /sys/fs/cgroup): kubelet ${spec.kubernetes.version} refuses cgroup v1 (KEP-5573)`,
    };
  const what = mode === 'hybrid' ? 'cgroup hybrid (its controllers on v1)' : 'cgroup v1';
  if (spec.kubernetes.kubelet.allowCgroupV1) {
    return {
      severity: 'warning',
      message: `${what}: kubelet ${spec.kubernetes.version} runs here only because kubernetes.kubelet.allowCgroupV1 is set (failCgroupV1: false, kubeadm's SystemVerification check skipped); cgroup v1 is deprecated upstream and its support is being removed (KEP-5573)`,
    };
  }
  return {
    severity: 'error',
    message: `${what}: kubelet ${spec.kubernetes.version} refuses to start on cgroup v1 and kubeadm's SystemVerification check fails (KEP-5573, Kubernetes 1.35+). Boot the host with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or set kubernetes.kubelet.allowCgroupV1: true to run on v1 anyway`,
  };
}

function fmtBytes(n: number, unit: number, name: string): string {
  return `${(n / unit).toFixed(1).replace(/\.0$/, '')} ${name}`;
}

function check(ctx: ResourceContext): Diagnostic[] {
  const { spec, host, facts, node } = ctx;
  const out: Diagnostic[] = [];
  // The test profile is for labs and small VMs: too small is worth saying, not worth refusing.
  const sizeSeverity = spec.profile === 'production' ? 'error' : 'warning';
  const add = (severity: Diagnostic['severity'], message: string) => out.push({ severity, resource: node.id, host: host.name, message });

  const min = minimumFor(host.roles, spec.profile);
  const roles = host.roles.join(', ');
  if (facts.cpus < min.cpus) add(sizeSeverity, `${facts.cpus} CPUs; ${roles} on profile ${spec.profile} needs at least ${min.cpus}`);
  if (facts.memoryBytes < min.memoryBytes * MEMORY_SLACK) {
    add(
      sizeSeverity,
      `${fmtBytes(facts.memoryBytes, GiB, 'GiB')} of memory; ${roles} on profile ${spec.profile} needs at least ${fmtBytes(min.memoryBytes, GiB, 'GiB')}`,
    );
  }
  const disk = facts.disks.find((d) => d.path === '/var') ?? facts.disks.find((d) => d.path === '/');
  if (disk === undefined) add('warning', 'disk size unknown (df gave nothing for / or /var)');
  else if (disk.sizeBytes < min.diskBytes) {
    add(
      sizeSeverity,
      `${fmtBytes(disk.sizeBytes, GB, 'GB')} disk holding /var (${disk.mountedOn}); ${roles} on profile ${spec.profile} needs at least ${fmtBytes(min.diskBytes, GB, 'GB')}`,
    );
  }

  const os = osSupport(facts);
  if (os) add('error', os);
  if (!['x86_64', 'aarch64', 'amd64', 'arm64'].includes(facts.arch)) add('error', `architecture ${facts.arch || 'unknown'} is not supported (x86_64, aarch64)`);
  if (facts.init !== 'systemd') add('error', 'PID 1 is not systemd: hactl cannot enable or start services on this host');
  if (facts.packageManager === 'none') add('error', 'neither dpkg nor rpm found: packages cannot be installed');

  // Kubelet 1.35+ refuses cgroup v1 (a hybrid host runs its controllers on v1) unless told
  // otherwise, and so does kubeadm's SystemVerification check (KEP-5573).
  if (ctx.placement.kubeNodes.some((h) => h.name === host.name)) {
    const cgroup = cgroupV1Finding(spec, facts);
    if (cgroup !== undefined) add(cgroup.severity, cgroup.message);
  }

  const ownersKnown = !facts.missingTools.includes('ss');
  for (const p of requiredPorts(ctx)) {
    const holders = facts.listeningPorts.filter((l) => l.proto === 'tcp' && l.port === p.port);
    if (holders.length === 0) continue;
    const procs = [...new Set(holders.map((h) => h.process).filter((x): x is string => x !== undefined))];
    // A port held by the very service hactl runs there is that service already up, not a conflict:
    // known by its process name, or (when the name says little, e.g. an interpreter) by the
    // service being set up here.
    if (procs.length > 0 && procs.every((x) => p.owners.some((o) => x === o || x.startsWith(o.slice(0, 15))))) continue;
    if (p.ours(facts)) continue;
    if (procs.length === 0) {
      add(ownersKnown ? 'error' : 'warning', `port ${p.port} (${p.what}) is in use by a process hactl cannot name${ownersKnown ? '' : ' (ss is missing)'}`);
    } else {
      add('error', `port ${p.port} (${p.what}) is in use by ${procs.join(', ')}`);
    }
  }

  const ts = facts.timeSync;
  if (ts.synchronized === false) {
    add(
      'warning',
      `the clock is not synchronised (${ts.service === 'none' ? 'no time service running' : `${ts.service} not in sync`}); os-prep sets up time sync, certificates need agreeing clocks`,
    );
  } else if (ts.synchronized === undefined) {
    add(
      'warning',
      `cannot tell whether the clock is synchronised (${ts.source === 'none' ? 'no chrony, timesyncd or running systemd-timedated to ask' : ts.source})`,
    );
  }
  const skew = ctx.clockSkewSeconds;
  if (skew !== undefined && Math.abs(skew) > 5) {
    add(Math.abs(skew) > 60 ? 'error' : 'warning', `the host's clock is ${Math.abs(skew)} s ${skew > 0 ? 'behind' : 'ahead of'} this machine's`);
  }
  for (const tool of facts.missingTools) {
    if (tool === 'ss') add('info', 'ss is missing: listening ports were read from /proc/net, without process names');
  }
  return out;
}

/** Every host, first: read-only checks. */
function place(b: GraphBuilder): void {
  for (const h of b.spec.hosts) b.add('preflight', h.name);
}

export const preflight: ResourceKindDef<'preflight'> = {
  kind: 'preflight',
  place,
  readOnly: true,
  factRequest: () => emptyRequest(),
  desired: () => emptyDesired(),
  check,
};
