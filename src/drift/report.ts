// The drift report: one read-only plan seen as "how far is the cluster from its spec". A pure
// function of the plan model and the run's times, so every view and the webhook say the same
// thing, and sensitive values stay masked exactly as the plan masked them. Schema:
// schemas/drift-report.schema.json, documented in docs/drift.md.

import type { ExpiringCertificate, Plan } from '../plan/model.js';
import type { AttributeChange, Diagnostic, FileChange, ResourceChange } from '../resources/diff.js';
import { summarize } from '../plan/model.js';
import { canonicalJson } from '../plan/saved.js';
import { sha256 } from '../resources/diff.js';

export const DRIFT_REPORT_VERSION = 1 as const;

/** `in-sync`: everything observed matches; `drift`: something differs; `error`: nothing differs, but not all could be checked. */
export type DriftStatus = 'in-sync' | 'drift' | 'error';

/** Exit codes, as `hactl plan --detailed-exitcode`: drift found anywhere wins over an error elsewhere. */
export const DRIFT_EXIT_CODE: Record<DriftStatus, number> = { 'in-sync': 0, drift: 2, error: 1 };

export type DriftAction = 'create' | 'update' | 'replace' | 'delete';

export interface DriftedResource {
  id: string;
  kind: string;
  host: string;
  /** What apply would do to bring it back to the spec. */
  action: DriftAction;
  reason?: string;
  /** Changed attributes only: `before` is what the host has, `after` what the spec wants. */
  attributes: AttributeChange[];
  /** Changed files only. */
  files: FileChange[];
  /** What apply would run to repair it. */
  steps: string[];
}

export interface UnreachableHost {
  name: string;
  address: string;
  reason: string;
}

export interface DriftSummary {
  /** Resources of the spec that were checked (on observed hosts). */
  checked: number;
  inSync: number;
  drifted: number;
  add: number;
  change: number;
  destroy: number;
  hostsObserved: number;
  hostsUnreachable: number;
  errors: number;
  warnings: number;
  expiringCertificates: number;
}

export interface DriftReport {
  reportVersion: typeof DRIFT_REPORT_VERSION;
  status: DriftStatus;
  /** ISO 8601 UTC. */
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  spec: { file: string; sha256: string };
  summary: DriftSummary;
  drifted: DriftedResource[];
  unreachableHosts: UnreachableHost[];
  expiringCertificates: ExpiringCertificate[];
  leaseHolders?: { scheduler?: string; controllerManager?: string };
  diagnostics: Diagnostic[];
  /** sha256 of the drift state (drifted resources with their before/after, unreachable hosts): equal digests, same drift. */
  driftDigest: string;
}

const DRIFT_ACTIONS: ReadonlySet<string> = new Set<DriftAction>(['create', 'update', 'replace', 'delete']);

export function isDrift(c: ResourceChange): c is ResourceChange & { action: DriftAction } {
  return DRIFT_ACTIONS.has(c.action);
}

function driftedResource(c: ResourceChange & { action: DriftAction }): DriftedResource {
  return {
    id: c.id,
    kind: c.kind,
    host: c.host,
    action: c.action,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    attributes: c.attributes.filter((a) => a.changed),
    files: c.files.filter((f) => f.action !== 'no-op'),
    steps: c.steps,
  };
}

/**
 * The state the webhook compares between runs. Reasons, steps and diffs are left out: they are
 * wording, and the before/after values and content hashes already say whether the drift changed.
 */
export function driftDigest(drifted: readonly DriftedResource[], unreachable: readonly UnreachableHost[]): string {
  const state = {
    drifted: drifted.map((d) => ({
      id: d.id,
      action: d.action,
      attributes: d.attributes.map((a) => ({ name: a.name, before: a.before, after: a.after })),
      files: d.files.map((f) => ({ path: f.path, action: f.action, before: f.beforeSha256, after: f.afterSha256, mode: f.mode, owner: f.owner })),
    })),
    unreachable: unreachable.map((h) => h.name),
  };
  return sha256(canonicalJson(state));
}

export function buildDriftReport(plan: Plan, run: { startedAt: Date; finishedAt: Date }): DriftReport {
  const drifted = plan.changes.filter(isDrift).map(driftedResource);
  const unreachableHosts = plan.hosts.flatMap((h) => (h.unreachable !== undefined ? [{ name: h.name, address: h.address, reason: h.unreachable }] : []));
  const unreachableNames = new Set(unreachableHosts.map((h) => h.name));
  const counts = summarize({ changes: plan.changes.filter(isDrift) });
  const checked = plan.changes.filter((c) => c.action !== 'read' && !unreachableNames.has(c.host)).length;
  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  const expiringCertificates = plan.cluster?.expiringCertificates ?? [];
  const status: DriftStatus = drifted.length > 0 ? 'drift' : errors > 0 || unreachableHosts.length > 0 ? 'error' : 'in-sync';
  const leaseHolders = plan.cluster?.leaseHolders;
  return {
    reportVersion: DRIFT_REPORT_VERSION,
    status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    durationMs: Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()),
    spec: { file: plan.spec.file, sha256: plan.spec.sha256 },
    summary: {
      checked,
      inSync: checked - drifted.length,
      drifted: drifted.length,
      add: counts.add,
      change: counts.change,
      destroy: counts.destroy,
      hostsObserved: plan.hosts.length - unreachableHosts.length,
      hostsUnreachable: unreachableHosts.length,
      errors,
      warnings: plan.diagnostics.filter((d) => d.severity === 'warning').length,
      expiringCertificates: expiringCertificates.length,
    },
    drifted,
    unreachableHosts,
    expiringCertificates,
    ...(leaseHolders !== undefined ? { leaseHolders } : {}),
    diagnostics: plan.diagnostics,
    driftDigest: driftDigest(drifted, unreachableHosts),
  };
}
