// `/metrics` of `hactl drift --listen`: the last run (status.ts) as Prometheus metrics, through
// prom-client (text format 0.0.4, or OpenMetrics 1.0 when the scraper asks for it). Conventions
// (https://prometheus.io/docs/practices/naming/): base units (seconds), `_total` counters,
// `_info` for build information, and timestamps rather than "time since", so a value stays true
// between runs and alerts compute ages with `time()`. Every series of a run is replaced by the
// next run's; a check that fails keeps the last observations and says so in the outcome.
// Labels are names, ids, paths and addresses; no value here is a secret.

import { Counter, Gauge, Registry } from 'prom-client';
import { isDrift, type DriftStatus } from './report.js';
import type { DriftRun } from './status.js';

/** A run's outcome: the report's status, or `failed` when no report could be made. */
export type RunOutcome = DriftStatus | 'failed';
export const RUN_OUTCOMES: readonly RunOutcome[] = ['in-sync', 'drift', 'error', 'failed'];

export interface BuildInfo {
  version: string;
  nodeVersion: string;
}

function openMetricsRegistry(): Registry {
  const r = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
  r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // Metrics register in both registries; prom-client's typings want one content type throughout.
  return r as unknown as Registry;
}

export class DriftMetrics {
  private readonly text = new Registry();
  private readonly openMetrics = openMetricsRegistry();

  private readonly g = (name: string, help: string, labelNames: string[] = [], registers = [this.text, this.openMetrics]) =>
    new Gauge({ name, help, labelNames, registers });

  private readonly buildInfo = this.g('hactl_build_info', 'hactl build information; always 1', ['version', 'node_version']);
  private readonly resourceDrifted = this.g('hactl_resource_drifted', 'Whether a checked resource differs from the spec (1) or not (0)', [
    'resource',
    'kind',
    'host',
  ]);
  private readonly hostReachable = this.g('hactl_host_reachable', 'Whether the host could be observed over SSH in the last run', ['host']);
  private readonly certificateExpiry = this.g('hactl_certificate_expiry_timestamp_seconds', 'When the certificate expires (notAfter), Unix time', [
    'host',
    'path',
  ]);
  // prom-client exports a gauge without labels as 0 until it is set; what may be unknown is
  // labelled with the cluster, so that it is absent rather than 0 until known.
  private readonly etcdKnown = this.g('hactl_etcd_membership_known', 'Whether an etcd member answered the last run (1) or none did (0)', ['cluster']);
  private readonly etcdMembers = this.g('hactl_etcd_members', 'etcd members in the member list', ['cluster']);
  private readonly etcdMembersHealthy = this.g('hactl_etcd_members_healthy', 'etcd members whose health check passed', ['cluster']);
  private readonly etcdMemberHealthy = this.g('hactl_etcd_member_healthy', 'Whether the etcd member passed its health check', ['member', 'id']);
  private readonly etcdLeader = this.g('hactl_etcd_leader', 'The etcd leader: 1 for the member that leads', ['member', 'id']);
  private readonly snapshotTime = this.g('hactl_etcd_last_snapshot_timestamp_seconds', 'When the newest etcd snapshot under --snapshots was taken, Unix time', [
    'cluster',
  ]);
  private readonly vipHolder = this.g('hactl_vip_holder', 'Whether the host has the control-plane VIP on an interface', ['address', 'host']);
  private readonly leaseHolder = this.g('hactl_leader_lease_holder', 'The host holding a kube-system leader-election lease: 1 for the holder', [
    'lease',
    'host',
  ]);
  // Registered when the first check ends: before it they have no value.
  private readonly lastDuration = this.g('hactl_last_run_duration_seconds', 'How long the last drift check took', [], []);
  private readonly lastTimestamp = this.g('hactl_last_run_timestamp_seconds', 'When the last drift check finished, Unix time', [], []);
  private finishedOnce = false;
  private readonly lastOutcome = this.g('hactl_last_run_outcome', 'The outcome of the last drift check: 1 for the outcome it had', ['outcome']);
  private readonly runs = new Counter({
    name: 'hactl_runs_total',
    help: 'Drift checks run, by outcome',
    labelNames: ['outcome'],
    registers: [this.text, this.openMetrics],
  });

  constructor(build: BuildInfo) {
    this.buildInfo.set({ version: build.version, node_version: build.nodeVersion }, 1);
    for (const o of RUN_OUTCOMES) this.runs.inc({ outcome: o }, 0);
  }

  /** A run that produced a report: every observation series is replaced by this run's. */
  recordRun(run: DriftRun): void {
    const { report, plan, status } = run;
    for (const m of [
      this.resourceDrifted,
      this.hostReachable,
      this.certificateExpiry,
      this.etcdKnown,
      this.etcdMembers,
      this.etcdMembersHealthy,
      this.etcdMemberHealthy,
      this.etcdLeader,
      this.snapshotTime,
      this.vipHolder,
      this.leaseHolder,
    ])
      m.reset();

    const unreachable = new Set(status.hosts.filter((h) => !h.reachable).map((h) => h.name));
    for (const c of plan.changes) {
      if (c.action === 'read' || unreachable.has(c.host)) continue;
      this.resourceDrifted.set({ resource: c.id, kind: c.kind, host: c.host }, isDrift(c) ? 1 : 0);
    }
    for (const h of status.hosts) this.hostReachable.set({ host: h.name }, h.reachable ? 1 : 0);
    for (const c of status.certificates) {
      if (c.notAfter !== undefined) this.certificateExpiry.set({ host: c.host, path: c.path }, Date.parse(c.notAfter) / 1000);
    }
    const cluster = { cluster: status.cluster };
    if (status.etcd !== undefined) {
      const known = status.etcd.unknown === undefined;
      this.etcdKnown.set(cluster, known ? 1 : 0);
      // Unknown membership has no count: a 0 would read as "no members" rather than "nobody answered".
      if (known) {
        this.etcdMembers.set(cluster, status.etcd.members.length);
        this.etcdMembersHealthy.set(cluster, status.etcd.members.filter((m) => m.healthy).length);
        for (const m of status.etcd.members) {
          this.etcdMemberHealthy.set({ member: m.name, id: m.id }, m.healthy ? 1 : 0);
          if (m.leader) this.etcdLeader.set({ member: m.name, id: m.id }, 1);
        }
      }
    }
    if (status.snapshot !== undefined && 'latest' in status.snapshot && status.snapshot.latest !== undefined) {
      this.snapshotTime.set(cluster, Date.parse(status.snapshot.latest.created) / 1000);
    }
    if (status.vip !== undefined) {
      for (const h of status.vip.candidates) {
        if (!unreachable.has(h)) this.vipHolder.set({ address: status.vip.address, host: h }, status.vip.holders.includes(h) ? 1 : 0);
      }
    }
    const leases = { 'kube-scheduler': status.leaseHolders.scheduler, 'kube-controller-manager': status.leaseHolders.controllerManager };
    for (const [lease, host] of Object.entries(leases)) if (host !== undefined) this.leaseHolder.set({ lease, host }, 1);
    this.finish(report.status, report.durationMs / 1000, Date.parse(report.finishedAt) / 1000);
  }

  /** A check that produced no report: the last observations stay, the outcome says it failed. */
  recordFailure(durationSeconds: number, finishedAt: Date): void {
    this.finish('failed', durationSeconds, finishedAt.getTime() / 1000);
  }

  private finish(outcome: RunOutcome, durationSeconds: number, finishedAtSeconds: number): void {
    if (!this.finishedOnce) {
      for (const r of [this.text, this.openMetrics]) {
        r.registerMetric(this.lastDuration);
        r.registerMetric(this.lastTimestamp);
      }
      this.finishedOnce = true;
    }
    this.lastDuration.set(durationSeconds);
    this.lastTimestamp.set(finishedAtSeconds);
    for (const o of RUN_OUTCOMES) this.lastOutcome.set({ outcome: o }, o === outcome ? 1 : 0);
    this.runs.inc({ outcome });
  }

  /** The exposition the `Accept` header asks for: OpenMetrics when it names it, else text 0.0.4. */
  async expose(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const registry = accept !== undefined && /application\/openmetrics-text/i.test(accept) ? this.openMetrics : this.text;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
