// What one drift run found, as the long-running views (`/metrics` and the status page of
// `hactl drift --listen`) show it: the drift report (report.ts) plus the cluster's state that a
// person on call asks about first: which hosts answered, who holds the VIP and the leader leases,
// etcd's members, every certificate's expiry, the last etcd snapshot. A pure function of the plan,
// the hosts' facts and what was read beside them, so every view says the same thing. Nothing here
// carries a secret: names, addresses, paths, times and counts only.

import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { gatherEtcdStacked } from '../facts/etcd-stacked.js';
import type { DriftReport } from './report.js';
import type { HostFacts } from '../facts/types.js';
import { compile } from '../resources/index.js';
import { resolvePlacement } from '../spec/topology.js';
import { renderMermaid } from '../graph/render.js';
import type { Plan } from '../plan/model.js';
import type { EtcdObservation } from '../resources/diff.js';
import type { ObservedHook } from '../cli/observe.js';
import { etcdObservation } from '../resources/etcd.js';
import { SNAPSHOT_RECORD } from '../etcd/snapshot.js';
import type { ClusterSpec } from '../spec/types.js';

export interface HostStatus {
  name: string;
  address: string;
  roles: string[];
  reachable: boolean;
  /** Why it could not be observed. */
  reason?: string;
}

export interface CertificateStatus {
  host: string;
  path: string;
  /** ISO 8601; absent when the expiry could not be read (`error` says why). */
  notAfter?: string;
  error?: string;
}

/** The newest complete snapshot directory `hactl etcd snapshot --out DIR` made for this cluster. */
export type SnapshotStatus = { dir: string; latest?: { name: string; created: string; member: string; revision: number } } | { dir: string; unknown: string };

export interface ClusterStatus {
  cluster: string;
  endpoint: { host: string; port: number };
  loadBalancer: string;
  hosts: HostStatus[];
  /**
   * Present when the endpoint is a VIP hactl's load balancer places (keepalived or kube-vip) and
   * an IP address: the observed hosts that have it on an interface (two is split brain).
   */
  vip?: { address: string; candidates: string[]; holders: string[] };
  leaseHolders: { scheduler?: string; controllerManager?: string };
  /** Absent when no host runs a member yet (a cluster not initialised). */
  etcd?: EtcdObservation;
  certificates: CertificateStatus[];
  /** Present with `--snapshots DIR` only: without it hactl cannot know where snapshots are kept. */
  snapshot?: SnapshotStatus;
}

/** One run of the watch, as the views receive it. */
export interface DriftRun {
  report: DriftReport;
  plan: Plan;
  status: ClusterStatus;
  /** The resource graph of the spec as mermaid source (src/graph/render.ts). */
  graph: string;
}

/** The VIP's address without a prefix length: `198.18.0.100/32` → `198.18.0.100`. */
const addressOnly = (cidr: string): string => cidr.replace(/\/\d+$/, '');

export interface StatusInput {
  spec: ClusterSpec;
  plan: Plan;
  facts: ReadonlyMap<string, HostFacts>;
  /** Stacked etcd, read beside the plan; external etcd comes with the plan. */
  stackedEtcd?: EtcdObservation;
  snapshot?: SnapshotStatus;
}

export function buildClusterStatus(input: StatusInput): ClusterStatus {
  const { spec, plan, facts } = input;
  const planHosts = new Map(plan.hosts.map((h) => [h.name, h]));
  const hosts: HostStatus[] = spec.hosts.map((h) => {
    const p = planHosts.get(h.name);
    const reason = p?.unreachable ?? (facts.has(h.name) ? undefined : 'not observed');
    return { name: h.name, address: h.address, roles: [...h.roles], reachable: reason === undefined, ...(reason !== undefined ? { reason } : {}) };
  });
  const placement = resolvePlacement(spec);
  const lb = spec.loadBalancer.type;
  let vip: ClusterStatus['vip'];
  if ((lb === 'keepalived-haproxy' || lb === 'keepalived-nginx' || lb === 'kube-vip') && isIP(spec.controlPlaneEndpoint.host) !== 0) {
    const address = spec.controlPlaneEndpoint.host;
    const candidates = (lb === 'kube-vip' ? placement.kubeVipHosts : placement.proxyHosts).map((h) => h.name);
    const holders = candidates.filter((h) => facts.get(h)?.interfaces.some((i) => i.addresses.some((a) => addressOnly(a) === address)) === true);
    vip = { address, candidates, holders };
  }
  const certificates = [...facts]
    .flatMap(([host, f]) =>
      f.certificates.map((c) => ({
        host,
        path: c.path,
        ...(c.notAfter !== undefined ? { notAfter: c.notAfter } : { error: c.error ?? 'expiry not readable' }),
      })),
    )
    .sort((a, b) => (a.host === b.host ? (a.path < b.path ? -1 : 1) : a.host < b.host ? -1 : 1));
  const etcd = plan.cluster?.etcd ?? input.stackedEtcd;
  return {
    cluster: spec.name,
    endpoint: { host: spec.controlPlaneEndpoint.host, port: spec.controlPlaneEndpoint.port },
    loadBalancer: lb,
    hosts,
    ...(vip !== undefined ? { vip } : {}),
    leaseHolders: { ...(plan.cluster?.leaseHolders ?? {}) },
    ...(etcd !== undefined ? { etcd } : {}),
    certificates,
    ...(input.snapshot !== undefined ? { snapshot: input.snapshot } : {}),
  };
}

/** `<cluster>-20261122T143501Z`, the names `hactl etcd snapshot` gives its directories. */
function isSnapshotDirOf(cluster: string, name: string): boolean {
  const prefix = `${cluster}-`;
  return name.startsWith(prefix) && /^\d{8}T\d{6}Z$/.test(name.slice(prefix.length));
}

/**
 * The newest snapshot of `cluster` under `dir`: the directory with the latest name whose
 * snapshot.json reads (a directory is written last-file-last, so one without it is incomplete).
 * Only the record's public fields are kept.
 */
export async function latestSnapshot(dir: string, cluster: string): Promise<SnapshotStatus> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && isSnapshotDirOf(cluster, e.name)).map((e) => e.name);
  } catch (e) {
    return { dir, unknown: `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  for (const name of names.sort().reverse()) {
    try {
      const record = JSON.parse(await readFile(join(dir, name, SNAPSHOT_RECORD), 'utf8')) as {
        created?: unknown;
        member?: { host?: unknown };
        etcd?: { revision?: unknown };
      };
      if (typeof record.created !== 'string' || !Number.isFinite(Date.parse(record.created))) continue;
      return {
        dir,
        latest: {
          name,
          created: new Date(record.created).toISOString(),
          member: typeof record.member?.host === 'string' ? record.member.host : '',
          revision: typeof record.etcd?.revision === 'number' ? record.etcd.revision : 0,
        },
      };
    } catch {
      continue;
    }
  }
  return { dir };
}

/**
 * The hook that reads, during the plan's observation, what the status needs beyond the plan: the
 * hosts' facts, and stacked etcd's members (external etcd is observed by the plan itself).
 */
export function statusCollector(spec: ClusterSpec): {
  hook: ObservedHook;
  facts: () => ReadonlyMap<string, HostFacts>;
  stackedEtcd: () => EtcdObservation | undefined;
} {
  let facts: ReadonlyMap<string, HostFacts> = new Map();
  let stackedEtcd: EtcdObservation | undefined;
  return {
    hook: async (o) => {
      facts = o.facts;
      if (spec.etcd.topology === 'stacked') {
        const r = await gatherEtcdStacked(resolvePlacement(spec).controlPlane, o.facts, o.pool);
        stackedEtcd = r === undefined ? undefined : etcdObservation(r);
      }
    },
    facts: () => facts,
    stackedEtcd: () => stackedEtcd,
  };
}

/** The spec's resource graph, grouped by host, as mermaid source. */
export function graphMermaid(spec: ClusterSpec): string {
  return renderMermaid(compile(spec), { groupByHost: true });
}

/** One run in the watch's history: what the status page lists under "Recent runs". */
export interface RunRecord {
  finishedAt: string;
  /** The report's status, or `failed` when no report could be made. */
  outcome: DriftReport['status'] | 'failed';
  durationMs: number;
  drifted?: number;
  unreachable?: number;
  /** The report's drift digest: equal digests, same drift. */
  digest?: string;
  /** Why a failed run made no report. */
  error?: string;
}

export function runRecord(report: DriftReport): RunRecord {
  return {
    finishedAt: report.finishedAt,
    outcome: report.status,
    durationMs: report.durationMs,
    drifted: report.summary.drifted,
    unreachable: report.summary.hostsUnreachable,
    digest: report.driftDigest,
  };
}
