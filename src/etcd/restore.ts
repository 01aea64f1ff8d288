// `hactl etcd restore --from DIR`: puts a snapshot taken by `hactl etcd snapshot` onto a fresh set
// of hosts, for `hactl apply` to build the cluster on it (kubeadm's documented recovery: restore
// the data as a single member, `kubeadm init` with the old CAs on it, then join the others):
//   1. the directory is checked: snapshot.json, etcd.db's sha256, every PKI file;
//   2. the spec must be the snapshot's cluster, stacked etcd, at the snapshot's Kubernetes version;
//   3. no control-plane host may hold a cluster (/etc/kubernetes/admin.conf) or etcd data
//      (/var/lib/etcd not empty); --force moves them aside (renamed, never deleted);
//   4. on the first control-plane host: the snapshot to /var/lib/hactl/restore/etcd.db (sha256
//      checked there), the CAs and service-account keys to /etc/kubernetes/pki (keys 0600), and
//      the marker /etc/kubernetes/hactl/restored.json, which kubeadm-init reads.
// External etcd is refused: its members are hactl's own etcd hosts, restored member by member,
// which this command does not do.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePlacement } from '../spec/topology.js';
import { shellQuote } from '../transport/quote.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { KUBE_PKI } from '../facts/etcdctl.js';
import { RESTORE_DB, RESTORE_DIR, RESTORE_MARKER, STACKED_ETCD_DATA_DIR, type RestoreMarker } from './restore-marker.js';
import { EtcdCommandError, SNAPSHOT_DB, SNAPSHOT_FORMAT, SNAPSHOT_RECORD, sha256File, type ConnectHost, type SnapshotRecord } from './snapshot.js';

/** Reads and checks a snapshot directory (the record's fields, etcd.db's sha256, the PKI files). */
export async function readSnapshotDir(dir: string): Promise<SnapshotRecord> {
  let text: string;
  try {
    text = await readFile(join(dir, SNAPSHOT_RECORD), 'utf8');
  } catch (e) {
    throw new EtcdCommandError(`${dir} is not a snapshot directory: cannot read ${SNAPSHOT_RECORD}: ${(e as Error).message}`);
  }
  const record = checkRecord(text, dir);
  const db = join(dir, SNAPSHOT_DB);
  const size = await stat(db).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) throw new EtcdCommandError(`${db} is missing`);
  if (size !== record.bytes) throw new EtcdCommandError(`${db} has ${size} bytes, ${SNAPSHOT_RECORD} says ${record.bytes}: the copy is damaged`);
  const sha = await sha256File(db);
  if (sha !== record.sha256) throw new EtcdCommandError(`${db} has sha256 ${sha}, ${SNAPSHOT_RECORD} says ${record.sha256}: the copy is damaged`);
  for (const f of record.pki) {
    if (
      !(await stat(join(dir, 'pki', f)).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      throw new EtcdCommandError(`${join(dir, 'pki', f)} is missing: the restore needs it`);
  }
  return record;
}

/** snapshot.json's fields, checked (a hand-edited or foreign file is refused with the field). */
export function checkRecord(text: string, dir: string): SnapshotRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new EtcdCommandError(`${join(dir, SNAPSHOT_RECORD)} is not JSON`);
  }
  // Read from a file: the nested objects may be missing or null as well.
  const r = (typeof v === 'object' && v !== null ? v : {}) as Partial<Omit<SnapshotRecord, 'etcd' | 'member'>> & {
    etcd?: Partial<SnapshotRecord['etcd']> | null;
    member?: Partial<SnapshotRecord['member']> | null;
  };
  const bad = (field: string) => new EtcdCommandError(`${join(dir, SNAPSHOT_RECORD)}: ${field} is missing or invalid`);
  if (r.format !== SNAPSHOT_FORMAT) throw bad('format');
  if (typeof r.cluster !== 'string' || r.cluster === '') throw bad('cluster');
  if (r.etcdTopology !== 'stacked' && r.etcdTopology !== 'external') throw bad('etcdTopology');
  if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) throw bad('sha256');
  if (typeof r.bytes !== 'number' || !Number.isSafeInteger(r.bytes)) throw bad('bytes');
  if (typeof r.kubernetesVersion !== 'string' || !/^\d+\.\d+\.\d+$/.test(r.kubernetesVersion)) throw bad('kubernetesVersion');
  if (typeof r.etcd !== 'object' || r.etcd === null || typeof r.etcd.revision !== 'number') throw bad('etcd.revision');
  if (typeof r.member !== 'object' || r.member === null || typeof r.member.host !== 'string') throw bad('member');
  if (!Array.isArray(r.pki) || r.pki.some((f) => typeof f !== 'string' || !/^[a-z0-9-]+(\/[a-z0-9-]+)?\.(crt|key|pub)$/.test(f))) throw bad('pki');
  if (typeof r.created !== 'string') throw bad('created');
  return r as SnapshotRecord;
}

/** Why this spec cannot take this snapshot, or undefined. */
export function specMismatch(spec: ClusterSpec, r: SnapshotRecord): string | undefined {
  if (spec.etcd.topology === 'external' || r.etcdTopology === 'external') {
    return 'restoring external etcd is not supported: its members are restored one by one on the etcd hosts (see docs/etcd-backup.md); hactl etcd restore handles stacked etcd';
  }
  if (r.cluster !== spec.name) return `the snapshot is of cluster ${r.cluster}, the spec is cluster ${spec.name}`;
  if (r.kubernetesVersion !== spec.kubernetes.version) {
    return `the snapshot was taken at Kubernetes ${r.kubernetesVersion} and the spec says ${spec.kubernetes.version}: restore at the snapshot's version (set kubernetes.version: ${r.kubernetesVersion}), upgrade afterwards`;
  }
  return undefined;
}

/** Lists what shows that a host already holds a cluster or etcd data (`found: PATH` lines). */
export const EXISTING_CLUSTER_COMMAND = [
  `[ -e /etc/kubernetes/admin.conf ] && echo 'found: /etc/kubernetes/admin.conf'`,
  `[ -n "$(ls -A ${STACKED_ETCD_DATA_DIR} 2>/dev/null)" ] && echo 'found: ${STACKED_ETCD_DATA_DIR}'`,
  'true',
].join('; ');

export function parseExisting(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('found: '))
    .map((l) => l.slice('found: '.length).trim());
}

/** --force: the kubelet stopped (it would restart the old static pods), then /etc/kubernetes and the etcd data renamed aside. */
export function moveAsideCommand(stamp: string): string {
  if (!/^[0-9TZ]+$/.test(stamp)) throw new Error(`bad stamp ${stamp}`);
  return [
    'systemctl stop kubelet 2>/dev/null || true',
    ...['/etc/kubernetes', STACKED_ETCD_DATA_DIR].map(
      (d) => `if [ -e ${d} ]; then mv -- ${d} ${d}.moved-by-hactl-${stamp} && echo ${shellQuote(`moved ${d} to ${d}.moved-by-hactl-${stamp}`)}; fi`,
    ),
  ].join('\n');
}

export interface RestoreUpload {
  local: string;
  remote: string;
  mode: number;
}

/** What goes to the first control-plane host: the snapshot, then the PKI (keys 0600). */
export function restoreUploads(dir: string, r: SnapshotRecord): RestoreUpload[] {
  return [
    { local: join(dir, SNAPSHOT_DB), remote: RESTORE_DB, mode: 0o600 },
    ...r.pki.map((f) => ({ local: join(dir, 'pki', f), remote: `${KUBE_PKI}/${f}`, mode: f.endsWith('.key') ? 0o600 : 0o644 })),
  ];
}

/** The directories the uploads land in (private where the data is). */
export const RESTORE_DIRS_COMMAND = `install -d -m 0700 -- ${RESTORE_DIR} && install -d -m 0755 -- /etc/kubernetes/hactl ${KUBE_PKI} ${KUBE_PKI}/etcd`;

export function markerFor(r: SnapshotRecord, uploaded: Date): RestoreMarker {
  return {
    cluster: r.cluster,
    kubernetesVersion: r.kubernetesVersion,
    sha256: r.sha256,
    revision: r.etcd.revision,
    snapshotCreated: r.created,
    snapshotMember: r.member.host,
    uploaded: uploaded.toISOString(),
  };
}

export interface RestoreOptions {
  from: string;
  force: boolean;
  connect: ConnectHost;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface RestoreResult {
  record: SnapshotRecord;
  host: Host;
  movedAside: { host: string; paths: string[] }[];
  durationMs: number;
}

export async function prepareRestore(spec: ClusterSpec, opts: RestoreOptions): Promise<RestoreResult> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const now = (opts.now ?? (() => new Date()))();
  const record = await readSnapshotDir(opts.from);
  const mismatch = specMismatch(spec, record);
  if (mismatch !== undefined) throw new EtcdCommandError(mismatch);
  log(`${opts.from}: snapshot of ${record.cluster}, etcd revision ${record.etcd.revision}, sha256 checked`);

  const p = resolvePlacement(spec);
  const conns = new Map<string, Awaited<ReturnType<ConnectHost>>>();
  const found: { host: string; paths: string[] }[] = [];
  for (const h of p.controlPlane) {
    const c = await opts.connect(h);
    conns.set(h.name, c);
    const r = await c.exec(EXISTING_CLUSTER_COMMAND, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new EtcdCommandError(`${h.name}: cannot check for an existing cluster: ${r.stderr.trim() || `exit ${r.code}`}`);
    const paths = parseExisting(r.stdout);
    if (paths.length > 0) found.push({ host: h.name, paths });
  }
  if (found.length > 0 && !opts.force) {
    throw new EtcdCommandError(
      `a restore needs fresh hosts, and these hold a cluster or etcd data: ${found.map((f) => `${f.host} (${f.paths.join(', ')})`).join('; ')}. ` +
        'Use other hosts, or pass --force to move that data aside (renamed, not deleted).',
    );
  }
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  for (const f of found) {
    const r = await conns.get(f.host)!.exec(moveAsideCommand(stamp), { timeoutMs: 120_000 });
    if (r.code !== 0) throw new EtcdCommandError(`${f.host}: could not move the old data aside: ${r.stderr.trim() || `exit ${r.code}`}`);
    log(`${f.host}: ${r.stdout.trim().split('\n').join('; ')}`);
  }

  const host = p.firstControlPlane;
  const conn = conns.get(host.name)!;
  const dirs = await conn.exec(RESTORE_DIRS_COMMAND, { timeoutMs: 30_000 });
  if (dirs.code !== 0) throw new EtcdCommandError(`${host.name}: ${dirs.stderr.trim() || `exit ${dirs.code}`}`);
  for (const u of restoreUploads(opts.from, record)) {
    log(`${host.name}: upload ${u.remote}`);
    await conn.upload(u.local, u.remote, u.mode);
  }
  const check = await conn.exec(`echo ${shellQuote(`${record.sha256}  ${RESTORE_DB}`)} | sha256sum -c --quiet -`, { timeoutMs: 600_000 });
  if (check.code !== 0) throw new EtcdCommandError(`${host.name}: the uploaded snapshot does not match its sha256`);
  await conn.writeFile(RESTORE_MARKER, `${JSON.stringify(markerFor(record, now), null, 2)}\n`, { mode: 0o644 });
  return { record, host, movedAside: found, durationMs: Date.now() - started };
}

export function renderRestoreSummary(r: RestoreResult): string {
  return [
    `Prepared ${r.host.name} to start cluster ${r.record.cluster} from the etcd snapshot of ${r.record.created} (revision ${r.record.etcd.revision}, taken on ${r.record.member.host})`,
    ...r.movedAside.map((m) => `  moved aside on ${m.host}: ${m.paths.join(', ')}`),
    `  the snapshot is in ${RESTORE_DB}, the CAs and service-account keys in ${KUBE_PKI}, the marker in ${RESTORE_MARKER}`,
    `  in ${(r.durationMs / 1000).toFixed(1)} s`,
    'Next: hactl apply -f <cluster.yaml>: init on the first control-plane host restores the data and uses the old CAs; the other hosts join.',
  ].join('\n');
}
