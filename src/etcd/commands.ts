// The shell commands hactl runs for etcd snapshots, as data (spec in, command text out): the
// health check that picks a member, a snapshot into a private temporary file with its status and
// sha256, and the pre-upgrade snapshot the first control-plane upgrade starts with.

import { shellQuote } from '../transport/quote.js';
import type { ClusterSpec } from '../spec/types.js';
import { REQUIRE_ETCDCTL, etcdctlFor } from '../facts/etcdctl.js';

/** Where pre-upgrade snapshots stay on the host that took them (never deleted by hactl). */
export const HOST_SNAPSHOT_DIR = '/var/lib/hactl/etcd-snapshots';

/** What `etcdctl snapshot status -w json` reports. */
export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKeys: number;
  totalSize: number;
}

/** The local member answers a health check (exit 0), or says why not. */
export function healthCommand(spec: ClusterSpec): string {
  return `${REQUIRE_ETCDCTL}; ${etcdctlFor(spec)} endpoint health`;
}

export const SNAPSHOT_PATH_LINE = 'path=';
export const SNAPSHOT_STATUS_LINE = 'status=';
export const SNAPSHOT_SHA_LINE = 'sha256=';

/**
 * A snapshot of the local member into a new private directory under /var/tmp, checked with
 * `snapshot status`; prints `path=`, `status=` (JSON) and `sha256=` lines. On failure the
 * directory is removed here; on success the caller removes it once downloaded.
 */
export function saveToTempCommand(spec: ClusterSpec): string {
  return [
    REQUIRE_ETCDCTL,
    'umask 077',
    'dir=$(mktemp -d /var/tmp/hactl-etcd-snapshot.XXXXXX) || exit 1',
    'f="$dir/etcd.db"',
    `if ! ${etcdctlFor(spec)} snapshot save "$f" >"$dir/log" 2>&1; then cat "$dir/log" >&2; rm -rf -- "$dir"; exit 1; fi`,
    `if ! st=$(ETCDCTL_API=3 etcdctl snapshot status "$f" -w json); then echo 'hactl: the snapshot does not pass etcdctl snapshot status' >&2; rm -rf -- "$dir"; exit 1; fi`,
    `echo "${SNAPSHOT_PATH_LINE}$f"`,
    `echo "${SNAPSHOT_STATUS_LINE}$st"`,
    `echo "${SNAPSHOT_SHA_LINE}$(sha256sum -- "$f" | cut -d' ' -f1)"`,
  ].join('\n');
}

/** Removes the temporary directory saveToTempCommand made (only such a directory). */
export function removeTempCommand(remoteFile: string): string {
  if (!/^\/var\/tmp\/hactl-etcd-snapshot\.[A-Za-z0-9]+\/etcd\.db$/.test(remoteFile)) throw new Error(`not a hactl snapshot file: ${remoteFile}`);
  return `rm -rf -- ${shellQuote(remoteFile.replace(/\/etcd\.db$/, ''))}`;
}

export interface SavedSnapshot {
  remotePath: string;
  status: SnapshotStatus;
  sha256: string;
}

/** Parses saveToTempCommand's output; throws with a reason when a line is missing or malformed. */
export function parseSavedSnapshot(stdout: string): SavedSnapshot {
  const line = (prefix: string): string => {
    const l = stdout.split('\n').find((x) => x.startsWith(prefix));
    if (l === undefined) throw new Error(`etcd snapshot: no ${prefix.slice(0, -1)} in the host's answer`);
    return l.slice(prefix.length).trim();
  };
  const sha256 = line(SNAPSHOT_SHA_LINE);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`etcd snapshot: not a sha256: ${JSON.stringify(sha256.slice(0, 80))}`);
  return { remotePath: line(SNAPSHOT_PATH_LINE), status: parseSnapshotStatus(line(SNAPSHOT_STATUS_LINE)), sha256 };
}

/** `etcdctl snapshot status -w json`: {"hash":…,"revision":…,"totalKey":…,"totalSize":…}. */
export function parseSnapshotStatus(json: string): SnapshotStatus {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new Error(`etcd snapshot status is not JSON: ${JSON.stringify(json.slice(0, 80))}`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const num = (k: string): number => {
    const n = o[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`etcd snapshot status: ${k} is missing or not a count`);
    return n;
  };
  return { hash: num('hash'), revision: num('revision'), totalKeys: num('totalKey'), totalSize: num('totalSize') };
}

/** The file a pre-upgrade snapshot is kept in on the host. */
export function preUpgradeSnapshotPath(from: string, to: string): string {
  for (const v of [from, to]) if (!/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`not a version: ${v}`);
  return `${HOST_SNAPSHOT_DIR}/pre-upgrade-v${from}-to-v${to}.db`;
}

/**
 * The snapshot taken before an upgrade's first control-plane step, kept on the host. Idempotent:
 * a file already there that passes `snapshot status` is kept (a run that stopped after it goes
 * on); a new one is written beside it and renamed into place only once checked.
 */
export function preUpgradeSnapshotCommand(spec: ClusterSpec, from: string, to: string): string {
  const f = shellQuote(preUpgradeSnapshotPath(from, to));
  return [
    REQUIRE_ETCDCTL,
    'umask 077',
    `f=${f}`,
    `if [ -f "$f" ] && ETCDCTL_API=3 etcdctl snapshot status "$f" >/dev/null 2>&1; then echo "kept: $f (taken earlier)"; exit 0; fi`,
    `install -d -m 0700 -- ${shellQuote(HOST_SNAPSHOT_DIR)} || exit 1`,
    't="$f.tmp"',
    'rm -f -- "$t"',
    `${etcdctlFor(spec)} snapshot save "$t" >/dev/null || { rm -f -- "$t"; exit 1; }`,
    'ETCDCTL_API=3 etcdctl snapshot status "$t" -w table || { rm -f -- "$t"; exit 1; }',
    'mv -f -- "$t" "$f"',
  ].join('\n');
}
