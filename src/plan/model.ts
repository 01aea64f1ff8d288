// The plan model: what `hactl plan` found and what `hactl apply` would do, per resource. Every view
// (human, json, markdown) and the saved plan are renderings of this one structure. It is plain
// JSON: no classes, no undefined-valued keys after `buildPlan`, sorted wherever order carries no
// meaning, so two plans of the same spec and facts serialise byte for byte the same.

import {
  isKnown,
  isSensitive,
  isUnknown,
  type AttributeChange,
  type Diagnostic,
  type EtcdObservation,
  type FileChange,
  type ResourceChange,
  type Severity,
  type Value,
} from '../resources/diff.js';
import { compareStrings } from '../graph/order.js';

export const PLAN_FORMAT_VERSION = 1 as const;

export interface PlanHost {
  name: string;
  address: string;
  /** sha256 of the host's facts as observed at plan time (see `factsDigest` in saved.ts). */
  factsDigest?: string;
  /** Why the host could not be observed; its resources are not planned. */
  unreachable?: string;
  /** The host is part of the running cluster but no longer in the spec; its removal is planned. */
  removed?: true;
}

export interface ExpiringCertificate {
  host: string;
  path: string;
  daysLeft: number;
}

export interface ClusterObservations {
  /** Current holders of the leader-election leases (host names). */
  leaseHolders?: { scheduler?: string; controllerManager?: string };
  expiringCertificates: ExpiringCertificate[];
  /** External etcd only: its members and their health. */
  etcd?: EtcdObservation;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  /** ISO 8601 UTC. */
  createdAt: string;
  spec: { file: string; sha256: string };
  hosts: PlanHost[];
  changes: ResourceChange[];
  diagnostics: Diagnostic[];
  cluster?: ClusterObservations;
  /**
   * Present when some hosts could not be observed: the plan says nothing about them, so it is
   * incomplete whatever it shows for the others (never "No changes").
   */
  incomplete?: string;
}

// ---------------------------------------------------------------------------------------------
// Whole plan

export interface PlanInput {
  createdAt: Date | string;
  spec: { file: string; sha256: string };
  hosts: PlanHost[];
  changes: ResourceChange[];
  diagnostics?: Diagnostic[];
  cluster?: ClusterObservations;
}

/**
 * Assemble and normalise a plan. The only way plans should be made. Secrets were masked where they
 * entered (sensitive attributes, files' secret fields): the plan's text is never searched for them.
 */
export function buildPlan(input: PlanInput): Plan {
  const createdAt = typeof input.createdAt === 'string' ? input.createdAt : input.createdAt.toISOString();
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt,
    spec: { file: input.spec.file, sha256: input.spec.sha256 },
    hosts: input.hosts,
    changes: input.changes,
    diagnostics: input.diagnostics ?? [],
  };
  if (input.cluster) plan.cluster = input.cluster;
  const unobserved = plan.hosts.filter((h) => h.unreachable !== undefined);
  if (unobserved.length > 0)
    plan.incomplete = incompleteSummary(
      unobserved.map((h) => h.name),
      plan.hosts.length,
    );
  plan.diagnostics = [...plan.diagnostics, ...checkPlan(plan)];
  return normalizePlan(plan);
}

/** Why a plan is incomplete: the hosts it could not observe. */
export function incompleteSummary(unobserved: readonly string[], hostCount: number): string {
  const n = unobserved.length;
  return `${n} of ${hostCount} host${hostCount === 1 ? '' : 's'} ${n === 1 ? 'was' : 'were'} not observed (${[...unobserved].sort(compareStrings).join(', ')}): nothing is known or planned there`;
}

/** The one error an unobserved host gets; views say it once, with the host, not again as an error line. */
export function unobservedMessage(reason: string): string {
  return `host could not be observed (${reason}); its resources are not planned`;
}

export function isUnobservedDiagnostic(d: Diagnostic, hosts: readonly PlanHost[]): boolean {
  if (d.host === undefined || d.resource !== undefined) return false;
  const h = hosts.find((x) => x.name === d.host);
  return h?.unreachable !== undefined && d.message === unobservedMessage(h.unreachable);
}

/**
 * Inconsistencies a planner must never produce, as error diagnostics (apply refuses a plan with
 * errors): a removed host whose removal is not planned, changes on a host nobody observed, and
 * references to resources the plan does not contain or that have nothing pending.
 */
export function checkPlan(plan: Pick<Plan, 'hosts' | 'changes'>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hosts = new Map(plan.hosts.map((h) => [h.name, h]));
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  for (const h of plan.hosts) {
    if (h.removed && !plan.changes.some((c) => c.host === h.name && c.action === 'delete')) {
      out.push({
        severity: 'error',
        host: h.name,
        message: `host ${h.name} was removed from the spec but its removal (drain, etcd member removal, reset) is not planned`,
      });
    }
  }
  for (const c of plan.changes) {
    const h = hosts.get(c.host);
    if (!h) out.push({ severity: 'error', resource: c.id, message: `${c.id} is planned on host ${c.host}, which the plan does not list` });
    else if (h.unreachable !== undefined && c.action !== 'no-op' && c.action !== 'read') {
      out.push({ severity: 'error', resource: c.id, message: `${c.id} is planned on ${c.host}, which could not be observed` });
    }
    for (const d of c.dependsOn) {
      if (!byId.has(d)) out.push({ severity: 'error', resource: c.id, message: `${c.id} depends on ${d}, which is not in the plan` });
    }
    for (const p of c.pendingOn ?? []) {
      const dep = byId.get(p);
      if (!dep) out.push({ severity: 'error', resource: c.id, message: `${c.id} waits on ${p}, which is not in the plan` });
      else if (dep.action === 'no-op') out.push({ severity: 'error', resource: c.id, message: `${c.id} waits on ${p}, which has nothing pending` });
    }
  }
  return out;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function copyValue(v: Value): Value {
  if (isKnown(v)) return { value: v.value };
  if (isSensitive(v)) return { sensitive: true };
  return { unknown: true };
}

function normalizeAttribute(a: AttributeChange): AttributeChange {
  // Where the values themselves decide, they win over the flag.
  let changed = a.changed;
  if (a.before === undefined || a.after === undefined) changed = a.before !== a.after;
  else if (isKnown(a.before) && isKnown(a.after)) changed = a.before.value !== a.after.value;
  else if (isUnknown(a.before) || isUnknown(a.after)) changed = true;
  return {
    name: a.name,
    ...(a.before !== undefined ? { before: copyValue(a.before) } : {}),
    ...(a.after !== undefined ? { after: copyValue(a.after) } : {}),
    changed,
    ...(a.forcesReplacement && changed ? { forcesReplacement: true } : {}),
  };
}

function normalizeFile(f: FileChange): FileChange {
  return {
    path: f.path,
    action: f.action,
    ...(!f.sensitive && f.beforeSha256 !== undefined ? { beforeSha256: f.beforeSha256 } : {}),
    ...(!f.sensitive && f.afterSha256 !== undefined ? { afterSha256: f.afterSha256 } : {}),
    ...(f.mode ? { mode: pickDefined({ before: f.mode.before, after: f.mode.after }) } : {}),
    ...(f.owner ? { owner: pickDefined({ before: f.owner.before, after: f.owner.after }) } : {}),
    diff: f.sensitive ? '' : f.diff,
    ...(f.sensitive ? { sensitive: true as const } : {}),
  };
}

function pickDefined<T extends Record<string, unknown>>(o: T): T {
  const out = {} as T;
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const uniqSorted = (xs: readonly string[]) => [...new Set(xs)].sort(compareStrings);

/**
 * Fixed key order, no undefined keys, sorted collections where order carries no meaning. Steps keep
 * their order (it is the order apply runs them in).
 */
export function normalizePlan(plan: Plan): Plan {
  const hosts = [...plan.hosts]
    .sort((a, b) => compareStrings(a.name, b.name))
    .map((h) => {
      const out: PlanHost = { name: h.name, address: h.address };
      if (h.factsDigest !== undefined) out.factsDigest = h.factsDigest;
      if (h.unreachable !== undefined) out.unreachable = h.unreachable;
      if (h.removed) out.removed = true;
      return out;
    });
  const changes = [...plan.changes]
    .sort((a, b) => compareStrings(a.host, b.host) || compareStrings(a.id, b.id))
    .map((c) => {
      const out: ResourceChange = {
        id: c.id,
        kind: c.kind,
        host: c.host,
        action: c.action,
        ...(c.reason !== undefined ? { reason: c.reason } : {}),
        attributes: [...c.attributes].sort((a, b) => compareStrings(a.name, b.name)).map(normalizeAttribute),
        files: [...c.files].sort((a, b) => compareStrings(a.path, b.path)).map(normalizeFile),
        steps: [...c.steps],
        dependsOn: uniqSorted(c.dependsOn),
        ...(c.pendingOn && c.pendingOn.length > 0 ? { pendingOn: uniqSorted(c.pendingOn) } : {}),
      };
      return out;
    });
  const diagnostics = [...plan.diagnostics]
    .map((d) => {
      const out: Diagnostic = {
        severity: d.severity,
        ...(d.resource !== undefined ? { resource: d.resource } : {}),
        ...(d.host !== undefined ? { host: d.host } : {}),
        message: d.message,
      };
      return out;
    })
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        compareStrings(a.host ?? '', b.host ?? '') ||
        compareStrings(a.resource ?? '', b.resource ?? '') ||
        compareStrings(a.message, b.message),
    );
  const out: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: plan.createdAt,
    spec: { file: plan.spec.file, sha256: plan.spec.sha256 },
    hosts,
    changes,
    diagnostics,
  };
  if (plan.incomplete !== undefined) out.incomplete = plan.incomplete;
  if (plan.cluster) {
    const lh = plan.cluster.leaseHolders;
    const cluster: ClusterObservations = {
      ...(lh ? { leaseHolders: pickDefined({ controllerManager: lh.controllerManager, scheduler: lh.scheduler }) } : {}),
      expiringCertificates: plan.cluster.expiringCertificates
        .map((c) => ({ host: c.host, path: c.path, daysLeft: c.daysLeft }))
        .sort((a, b) => a.daysLeft - b.daysLeft || compareStrings(a.host, b.host) || compareStrings(a.path, b.path)),
    };
    const etcd = plan.cluster.etcd;
    if (etcd) {
      cluster.etcd = {
        ...(etcd.observedFrom !== undefined ? { observedFrom: etcd.observedFrom } : {}),
        members: etcd.members
          .map((m) => ({
            name: m.name,
            id: m.id,
            peerURLs: [...m.peerURLs],
            started: m.started,
            healthy: m.healthy,
            leader: m.leader,
            ...(m.error !== undefined ? { error: m.error } : {}),
          }))
          .sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id)),
        ...(etcd.unknown !== undefined ? { unknown: etcd.unknown } : {}),
      };
    }
    out.cluster = cluster;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Summaries

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  read: number;
  noop: number;
}

/** Counts as Terraform does: a replace is one add and one destroy. */
export function summarize(plan: Pick<Plan, 'changes'>): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0, read: 0, noop: 0 };
  for (const c of plan.changes) {
    switch (c.action) {
      case 'create':
        s.add++;
        break;
      case 'update':
        s.change++;
        break;
      case 'delete':
        s.destroy++;
        break;
      case 'replace':
        s.add++;
        s.destroy++;
        break;
      case 'read':
        s.read++;
        break;
      case 'no-op':
        s.noop++;
        break;
    }
  }
  return s;
}

/** True when apply would change something (reads alone change nothing). */
export function hasChanges(plan: Pick<Plan, 'changes'>): boolean {
  const s = summarize(plan);
  return s.add + s.change + s.destroy > 0;
}

/** Resources whose action destroys something (delete or replace), in plan order. */
export function destroyedResources(plan: Pick<Plan, 'changes'>): ResourceChange[] {
  return plan.changes.filter((c) => c.action === 'delete' || c.action === 'replace');
}
