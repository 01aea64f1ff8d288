// The diff vocabulary the resource kinds speak: a resource's change as attributes (with values
// that may be sensitive or known only after apply) and files (normalised, diffed, hashed), the
// managed-by-hactl header, and diagnostics. The shared engine (converge.ts) and every kind build
// their changes from these; the plan (src/plan/model.ts) is made of them.

import { createHash } from 'node:crypto';
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { compareStrings } from '../graph/order.js';
import type { ResourceNode } from '../graph/types.js';
import { maskSecrets, type SecretField } from '../transport/sensitive.js';

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

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  resource?: string;
  host?: string;
  message: string;
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

/** sha256 (hex) of text (as UTF-8) or bytes: the one digest helper. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
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
