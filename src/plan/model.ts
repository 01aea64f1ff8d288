// The plan model: what `hactl plan` found and what `hactl apply` would do, per resource. Every view
// (human, json, markdown) and the saved plan are renderings of this one structure. It is plain
// JSON: no classes, no undefined-valued keys after `buildPlan`, sorted wherever order carries no
// meaning, so two plans of the same spec and facts serialise byte for byte the same.

import { createHash } from 'node:crypto';
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import type { ResourceNode } from '../graph/types.js';
import { maskSecrets, SENSITIVE_MASK, type SecretField } from '../transport/sensitive.js';

export { SENSITIVE_MASK };

export const PLAN_FORMAT_VERSION = 1 as const;

export type Action = 'no-op' | 'create' | 'update' | 'replace' | 'delete' | 'read';
export const ACTIONS: readonly Action[] = ['no-op', 'create', 'update', 'replace', 'delete', 'read'];

export type Scalar = string | number | boolean | null;

/**
 * One side of an attribute. `sensitive` carries no value at all (not even a hash: a hash of a short
 * password is a brute-force away from the password). `unknown` is Terraform's "(known after apply)":
 * the value only exists once an earlier resource has run (a join token, a certificate key).
 */
export type Value = { value: Scalar } | { sensitive: true } | { unknown: true };

export interface AttributeChange {
  name: string;
  /** Absent: the attribute does not exist before (create) or after (delete). */
  before?: Value;
  after?: Value;
  /** Decided by whoever saw the raw values; the only way to tell whether a sensitive value changed. */
  changed: boolean;
  /** This attribute's change is why the resource must be replaced rather than updated. */
  forcesReplacement?: boolean;
}

export type FileAction = 'no-op' | 'create' | 'update' | 'delete';

export interface FileChange {
  path: string;
  action: FileAction;
  /** sha256 (hex) of the raw content (with its secret fields masked); omitted for sensitive files. */
  beforeSha256?: string;
  afterSha256?: string;
  /** Octal permission strings such as `0644`. */
  mode?: { before?: string; after?: string };
  /** `user:group`. */
  owner?: { before?: string; after?: string };
  /** Unified diff of the normalised contents; empty when only mode/owner change or the file is sensitive. */
  diff: string;
  /** Content is secret: no diff and no hashes, only the fact that it changes. */
  sensitive?: boolean;
}

export interface ResourceChange {
  /** The graph node id: `kind@host` or `kind`. */
  id: string;
  kind: string;
  host: string;
  action: Action;
  /** Why this action, in one line (e.g. "host cp3 was removed from the spec"). */
  reason?: string;
  attributes: AttributeChange[];
  files: FileChange[];
  /** What apply will run, in order, as human summaries; never secrets. */
  steps: string[];
  /** Ids of the resources this one depends on (graph predecessors). */
  dependsOn: string[];
  /**
   * Ids of pending resources whose outcome this resource's diff cannot be known without: the diff
   * shown is what can be said now, the rest is "(known after apply)".
   */
  pendingOn?: string[];
}

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

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  resource?: string;
  host?: string;
  message: string;
}

export interface ExpiringCertificate {
  host: string;
  path: string;
  daysLeft: number;
}

export interface EtcdMemberObservation {
  /** Empty for a member added and not started yet. */
  name: string;
  /** Member ID in hex. */
  id: string;
  peerURLs: string[];
  started: boolean;
  healthy: boolean;
  leader: boolean;
  /** Why it is not healthy. */
  error?: string;
}

/** External etcd as a member reported it; `unknown` says why no member could tell. */
export interface EtcdObservation {
  observedFrom?: string;
  members: EtcdMemberObservation[];
  unknown?: string;
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
// Values

export function known(value: Scalar): { value: Scalar } {
  return { value };
}
export function sensitive(): { sensitive: true } {
  return { sensitive: true };
}
export function unknown(): { unknown: true } {
  return { unknown: true };
}

export function isKnown(v: Value | undefined): v is { value: Scalar } {
  return v !== undefined && 'value' in v;
}
export function isSensitive(v: Value | undefined): v is { sensitive: true } {
  return v !== undefined && 'sensitive' in v;
}
export function isUnknown(v: Value | undefined): v is { unknown: true } {
  return v !== undefined && 'unknown' in v;
}

/** A side given to `attr`: a raw scalar, an explicit `unknown()`, or absent. */
export type RawSide = Scalar | { unknown: true } | undefined;

/**
 * Build an attribute change from raw values. With `sensitive`, the raw values are compared here and
 * then dropped: only `{ sensitive: true }` and the `changed` flag leave this function.
 */
export function attr(name: string, before: RawSide, after: RawSide, opts: { sensitive?: boolean; forcesReplacement?: boolean } = {}): AttributeChange {
  const side = (raw: RawSide): Value | undefined => {
    if (raw === undefined) return undefined;
    if (raw !== null && typeof raw === 'object') return unknown();
    return opts.sensitive ? sensitive() : known(raw);
  };
  const rawUnknown = (raw: RawSide) => raw !== null && typeof raw === 'object';
  // An unknown side always counts as a change: we cannot claim it stays the same.
  const changed = rawUnknown(before) || rawUnknown(after) || before !== after;
  const change: AttributeChange = { name, changed };
  const b = side(before);
  const a = side(after);
  if (b !== undefined) change.before = b;
  if (a !== undefined) change.after = a;
  if (opts.forcesReplacement && changed) change.forcesReplacement = true;
  return change;
}

// ---------------------------------------------------------------------------------------------
// Files

/** Lines hactl writes at the top of the files it manages; they carry a timestamp, so never diff them. */
export const MANAGED_HEADER_RE = /^\s*(#|\/\/|;|--)\s*managed by hactl\b.*$/i;

export function managedHeader(commentPrefix = '#'): string {
  return `${commentPrefix} managed by hactl; local edits are overwritten on apply`;
}

export interface NormalizeOptions {
  /** Drop hactl's own header comment lines (default true). */
  dropManagedHeader?: boolean;
  /** Sort every line: for files whose line order means nothing (modules-load.d, some sysctl.d). */
  sortAll?: boolean;
  /** Sort each maximal run of consecutive lines matching one of these (e.g. haproxy `server` lines). */
  sortRuns?: RegExp[];
}

/** Remove noise that is not a change: CRLF, trailing whitespace, trailing blank lines, our headers, order where asked. */
export function normalizeContent(text: string, opts: NormalizeOptions = {}): string {
  let lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''));
  if (opts.dropManagedHeader !== false) lines = lines.filter((l) => !MANAGED_HEADER_RE.test(l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (opts.sortAll) {
    lines.sort(compareStrings);
  } else if (opts.sortRuns && opts.sortRuns.length > 0) {
    const matches = (l: string) =>
      opts.sortRuns!.some((re) => {
        re.lastIndex = 0;
        return re.test(l);
      });
    const out: string[] = [];
    let run: string[] = [];
    for (const l of lines) {
      if (matches(l)) {
        run.push(l);
        continue;
      }
      out.push(...run.sort(compareStrings), l);
      run = [];
    }
    out.push(...run.sort(compareStrings));
    lines = out;
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

export interface FileDiffOptions {
  /** Normalise both sides first (default: true with the default options). */
  normalize?: boolean | NormalizeOptions;
  /** Lines of context around each hunk (default 3). */
  context?: number;
  /** Fields holding secrets, masked on both sides before diffing. */
  secretFields?: readonly SecretField[];
}

/**
 * Unified diff of a file between what is on the host (`before`, null when absent) and what hactl
 * would write (`after`, null when it would be removed). Empty string when there is no change
 * after normalisation.
 */
export function fileDiff(path: string, before: string | null, after: string | null, opts: FileDiffOptions = {}): string {
  const norm = opts.normalize ?? true;
  const prep = (s: string | null): string => {
    if (s === null) return '';
    const masked = opts.secretFields ? maskSecrets(s, { fields: opts.secretFields }) : s;
    return norm === false ? masked : normalizeContent(masked, norm === true ? {} : norm);
  };
  const b = prep(before);
  const a = prep(after);
  if (a === b && (before === null) === (after === null)) return '';
  const patch = structuredPatch(before === null ? '/dev/null' : path, after === null ? '/dev/null' : path, b, a, undefined, undefined, {
    context: opts.context ?? 3,
  });
  if (patch.hunks.length === 0) return '';
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

function contentChanged(before: string, after: string, norm: boolean | NormalizeOptions): boolean {
  if (norm === false) return before !== after;
  const opts = norm === true ? {} : norm;
  return normalizeContent(before, opts) !== normalizeContent(after, opts);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface FileSpec {
  path: string;
  /** Content on the host; null when the file does not exist. */
  before: string | null;
  /** Content hactl would leave; null when hactl would remove it. */
  after: string | null;
  mode?: { before?: string; after?: string };
  owner?: { before?: string; after?: string };
  sensitive?: boolean;
  normalize?: boolean | NormalizeOptions;
  secretFields?: readonly SecretField[];
}

/** Build a FileChange from raw contents; sensitive contents never leave this function. */
export function fileChange(spec: FileSpec): FileChange {
  const { path, before, after } = spec;
  const metaChanged = (spec.mode !== undefined && spec.mode.before !== spec.mode.after) || (spec.owner !== undefined && spec.owner.before !== spec.owner.after);
  const diff = fileDiff(path, before, after, {
    normalize: spec.normalize ?? true,
    ...(spec.secretFields ? { secretFields: spec.secretFields } : {}),
  });
  let action: FileAction;
  if (before === null && after === null) action = 'no-op';
  else if (before === null) action = 'create';
  else if (after === null) action = 'delete';
  // Decided on the raw contents: a change inside a secret field leaves the masked diff empty.
  else action = diff !== '' || metaChanged || (spec.secretFields !== undefined && contentChanged(before, after, spec.normalize ?? true)) ? 'update' : 'no-op';
  const change: FileChange = { path, action, diff: spec.sensitive ? '' : diff };
  // With secrets inside, a hash of the raw file plus the visible rest of it would let anyone test
  // password guesses offline; hash the masked content instead.
  const hashed = (s: string) => sha256(spec.secretFields ? maskSecrets(s, { fields: spec.secretFields }) : s);
  if (spec.sensitive) change.sensitive = true;
  else {
    if (before !== null) change.beforeSha256 = hashed(before);
    if (after !== null) change.afterSha256 = hashed(after);
  }
  if (spec.mode && (spec.mode.before !== undefined || spec.mode.after !== undefined)) change.mode = { ...spec.mode };
  if (spec.owner && (spec.owner.before !== undefined || spec.owner.after !== undefined)) change.owner = { ...spec.owner };
  return change;
}

// ---------------------------------------------------------------------------------------------
// Resource changes

export interface ChangeInit {
  action?: Action;
  reason?: string;
  attributes?: AttributeChange[];
  files?: FileChange[];
  steps?: string[];
  dependsOn?: string[];
  pendingOn?: string[];
}

/**
 * The action implied by attribute and file changes when the resource exists on both sides:
 * `replace` if a changed attribute forces it, `update` if anything changed, else `no-op`.
 */
export function inferAction(attributes: readonly AttributeChange[], files: readonly FileChange[]): Action {
  if (attributes.some((a) => a.changed && a.forcesReplacement)) return 'replace';
  if (attributes.some((a) => a.changed) || files.some((f) => f.action !== 'no-op')) return 'update';
  return 'no-op';
}

/** A change for a graph node; what a resource kind returns from its diff. */
export function resourceChange(node: Pick<ResourceNode, 'id' | 'kind' | 'host'>, init: ChangeInit = {}): ResourceChange {
  const attributes = init.attributes ?? [];
  const files = init.files ?? [];
  const change: ResourceChange = {
    id: node.id,
    kind: node.kind,
    host: node.host,
    action: init.action ?? inferAction(attributes, files),
    attributes,
    files,
    steps: init.steps ?? [],
    dependsOn: init.dependsOn ?? [],
  };
  if (init.reason !== undefined) change.reason = init.reason;
  if (init.pendingOn !== undefined && init.pendingOn.length > 0) change.pendingOn = init.pendingOn;
  return change;
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

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
