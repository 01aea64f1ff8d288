// The hand-over from `hactl etcd restore` to `hactl apply`: the restore command leaves the
// snapshot, the saved CAs and service-account keys, and this marker on the first control-plane
// host; kubeadm-init reads the marker (it is in its fact request) and then restores the etcd data
// as a single member and runs `kubeadm init` on it. The marker holds no secrets.

import { shellQuote } from '../transport/quote.js';
import type { Host } from '../spec/types.js';
import { REQUIRE_ETCDCTL } from '../facts/etcdctl.js';

export const RESTORE_MARKER = '/etc/kubernetes/hactl/restored.json';
/** The marker is renamed to this once init has used it: a record, no longer an instruction. */
export const RESTORE_MARKER_USED = '/etc/kubernetes/hactl/restored.used.json';
export const RESTORE_DIR = '/var/lib/hactl/restore';
export const RESTORE_DB = `${RESTORE_DIR}/etcd.db`;
/** kubeadm's stacked etcd data directory (kubeadm-config.ts writes it). */
export const STACKED_ETCD_DATA_DIR = '/var/lib/etcd';
/** The kubeadm preflight check a restored data directory fails on purpose. */
export const RESTORED_PREFLIGHT_IGNORE = 'DirAvailable--var-lib-etcd';

export interface RestoreMarker {
  cluster: string;
  kubernetesVersion: string;
  /** Of RESTORE_DB, checked again right before the restore. */
  sha256: string;
  revision: number;
  /** When and where the snapshot was taken. */
  snapshotCreated: string;
  snapshotMember: string;
  uploaded: string;
}

/** The marker's content, or the reason it is unusable. */
export function parseRestoreMarker(text: string): RestoreMarker | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: `${RESTORE_MARKER} is not JSON` };
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? o[k] : undefined);
  const sha256 = str('sha256');
  const kubernetesVersion = str('kubernetesVersion');
  const revision = o.revision;
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) return { error: `${RESTORE_MARKER} has no valid sha256` };
  if (kubernetesVersion === undefined || !/^\d+\.\d+\.\d+$/.test(kubernetesVersion)) return { error: `${RESTORE_MARKER} has no valid kubernetesVersion` };
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision)) return { error: `${RESTORE_MARKER} has no valid revision` };
  return {
    cluster: str('cluster') ?? '',
    kubernetesVersion,
    sha256,
    revision,
    snapshotCreated: str('snapshotCreated') ?? '',
    snapshotMember: str('snapshotMember') ?? '',
    uploaded: str('uploaded') ?? '',
  };
}

/** https://<address>:2380, brackets for IPv6. */
export function peerURL(host: Host): string {
  return `https://${host.address.includes(':') ? `[${host.address}]` : host.address}:2380`;
}

/**
 * etcd's data for `host` from the uploaded snapshot, as a new single-member cluster with the name
 * and peer URL kubeadm's etcd.yaml gives this member (etcd 3.4's `etcdctl snapshot restore`).
 * Restored into a fresh directory beside the target and moved in whole; a data directory that
 * already has a member is this restore's own from an earlier run (the restore command refused or
 * moved aside any other), so it is kept.
 */
export function restoreDataCommand(marker: RestoreMarker, host: Host): string {
  const data = STACKED_ETCD_DATA_DIR;
  const url = peerURL(host);
  return [
    REQUIRE_ETCDCTL,
    `if [ -d ${data}/member ]; then echo 'etcd data already restored'; exit 0; fi`,
    `echo ${shellQuote(`${marker.sha256}  ${RESTORE_DB}`)} | sha256sum -c --quiet - || { echo 'hactl: ${RESTORE_DB} does not match the sha256 of the snapshot: run hactl etcd restore again' >&2; exit 1; }`,
    'umask 077',
    `t=$(mktemp -d ${RESTORE_DIR}/data.XXXXXX) && rmdir -- "$t" || exit 1`,
    `ETCDCTL_API=3 etcdctl snapshot restore ${RESTORE_DB} --name ${shellQuote(host.name)} --initial-cluster ${shellQuote(`${host.name}=${url}`)} --initial-advertise-peer-urls ${shellQuote(url)} --data-dir "$t" >/dev/null || { rm -rf -- "$t"; exit 1; }`,
    `install -d -m 0700 -- ${data} && mv -- "$t/member" ${data}/member && rmdir -- "$t"`,
  ].join('\n');
}

/** After init: the marker kept as a record of the restore, the uploaded snapshot removed (the admin machine has it). */
export const RESTORE_DONE_COMMAND = `mv -f -- ${RESTORE_MARKER} ${RESTORE_MARKER_USED} && rm -f -- ${RESTORE_DB}`;
