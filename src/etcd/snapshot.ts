// `hactl etcd snapshot`: a verified etcd snapshot from a healthy member, downloaded to the admin
// machine with what a restore needs besides the data (the cluster's CAs and service-account keys).
//
//   DIR/<cluster>-<UTC timestamp>/        0700
//     etcd.db                             0600  the snapshot, sha256 checked against the host's
//     pki/{ca,front-proxy-ca,etcd/ca}.{crt,key}, pki/sa.{key,pub}   0600 (secret)
//     snapshot.json                       0600  what it is (no secrets)
//
// The member is the first one, in spec order, whose local client URL answers a health check; the
// snapshot goes to a private temporary directory on that host, is checked with `etcdctl snapshot
// status`, streamed down, and the temporary directory is removed whatever happened.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExecOptions, ExecResult } from '../transport/transport.js';
import type { DownloadResult } from '../transport/ssh.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { healthCommand, parseSavedSnapshot, removeTempCommand, saveToTempCommand, type SnapshotStatus } from './commands.js';
import { KUBE_PKI, etcdMemberHosts } from '../facts/etcdctl.js';
import { resolvePlacement } from '../spec/topology.js';

/** What the etcd commands need of a connection (SshTransport has it all). */
export interface EtcdConnection {
  readonly host: string;
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer | undefined>;
  upload(localPath: string, remotePath: string, mode: number): Promise<void>;
  writeFile(path: string, content: string | Buffer, opts: { mode: number }): Promise<void>;
  download(remotePath: string, localPath: string, mode: number): Promise<DownloadResult>;
}

export type ConnectHost = (host: Host) => Promise<EtcdConnection>;

/** A refusal or failure to report as it is (exit 1), without a stack. */
export class EtcdCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdCommandError';
  }
}

/** The snapshot file and record names inside a snapshot directory. */
export const SNAPSHOT_DB = 'etcd.db';
export const SNAPSHOT_RECORD = 'snapshot.json';
export const SNAPSHOT_FORMAT = 1;

/** kubeadm's CAs and service-account keys, relative to /etc/kubernetes/pki: what a restore needs to keep every credential valid. */
export const STACKED_PKI_FILES = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'];
/** External etcd: its CA key stays with hactl's etcd PKI on the etcd hosts; the control plane holds the rest. */
export const EXTERNAL_PKI_FILES = STACKED_PKI_FILES.filter((f) => f !== 'etcd/ca.key');

export function pkiFilesFor(spec: ClusterSpec): string[] {
  return spec.etcd.topology === 'external' ? EXTERNAL_PKI_FILES : STACKED_PKI_FILES;
}

/** snapshot.json: no secrets, only what the snapshot is and where it came from. */
export interface SnapshotRecord {
  format: number;
  cluster: string;
  etcdTopology: 'stacked' | 'external';
  /** The member the snapshot was taken from. */
  member: { host: string; address: string };
  etcd: SnapshotStatus;
  /** Of etcd.db, as both the host and this machine computed it. */
  sha256: string;
  bytes: number;
  /** `kubeadm version` on the control-plane host the PKI came from; the restore initialises this version. */
  kubernetesVersion: string;
  /** Relative to the directory's pki/. */
  pki: string[];
  created: string;
}

/** `<cluster>-20261122T143501Z`: sorts by time, safe as a file name. */
export function snapshotDirName(cluster: string, at: Date): string {
  return `${cluster}-${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')}`;
}

export interface SnapshotOptions {
  outDir: string;
  connect: ConnectHost;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface SnapshotResult {
  dir: string;
  record: SnapshotRecord;
  /** Members that did not answer the health check before the one used, with the reason. */
  skipped: { host: string; reason: string }[];
  durationMs: number;
}

/** One line of a command's failure, for messages. */
function reasonOf(r: ExecResult): string {
  const text = `${r.stderr}\n${r.stdout}`.trim().split('\n').filter(Boolean);
  return text.slice(-2).join(' ').slice(0, 300) || `exit ${r.code}`;
}

async function firstHealthy(spec: ClusterSpec, connect: ConnectHost, log: (l: string) => void) {
  const skipped: { host: string; reason: string }[] = [];
  for (const host of etcdMemberHosts(spec)) {
    try {
      const conn = await connect(host);
      const r = await conn.exec(healthCommand(spec), { timeoutMs: 30_000 });
      if (r.code === 0) return { host, conn, skipped };
      skipped.push({ host: host.name, reason: reasonOf(r) });
    } catch (e) {
      skipped.push({ host: host.name, reason: (e as Error).message });
    }
    log(`${host.name}: not healthy (${skipped[skipped.length - 1]!.reason})`);
  }
  const why = skipped.map((s) => `${s.host}: ${s.reason}`).join('; ');
  throw new EtcdCommandError(`no healthy etcd member answered (${why || 'the spec has no etcd member'})`);
}

/** sha256 of a local file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Writes a secret file: 0600 in 0700 directories, whatever the umask. */
export async function writePrivate(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function takeSnapshot(spec: ClusterSpec, opts: SnapshotOptions): Promise<SnapshotResult> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const created = (opts.now ?? (() => new Date()))();
  const { host, conn, skipped } = await firstHealthy(spec, opts.connect, log);
  log(`${host.name}: healthy; saving a snapshot`);
  const saved = await conn.exec(saveToTempCommand(spec), { timeoutMs: 60 * 60_000 });
  if (saved.code !== 0) throw new EtcdCommandError(`${host.name}: etcdctl snapshot save failed: ${reasonOf(saved)}`);
  const remote = parseSavedSnapshot(saved.stdout);

  const dir = join(opts.outDir, snapshotDirName(spec.name, created));
  let complete = false;
  try {
    await mkdir(opts.outDir, { recursive: true });
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
    log(`${host.name}: downloading ${remote.status.totalSize} bytes`);
    const got = await conn.download(remote.remotePath, join(dir, SNAPSHOT_DB), 0o600);
    if (got.sha256 !== remote.sha256) throw new EtcdCommandError(`the downloaded snapshot's sha256 ${got.sha256} differs from the host's ${remote.sha256}`);

    // Stacked: the member's host holds the PKI; external: the first control-plane host does.
    const pkiHost = spec.etcd.topology === 'stacked' ? host : resolvePlacement(spec).firstControlPlane;
    const pkiConn = pkiHost === host ? conn : await opts.connect(pkiHost);
    const pki = pkiFilesFor(spec);
    for (const f of pki) {
      const content = await pkiConn.readFile(`${KUBE_PKI}/${f}`);
      if (content === undefined) throw new EtcdCommandError(`${pkiHost.name}: ${KUBE_PKI}/${f} is missing: a restore needs it`);
      await writePrivate(join(dir, 'pki', f), content);
    }
    const v = await pkiConn.exec('kubeadm version -o short', { timeoutMs: 30_000 });
    const version = v.stdout.trim().replace(/^v/, '');
    if (v.code !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) throw new EtcdCommandError(`${pkiHost.name}: kubeadm version failed: ${reasonOf(v)}`);

    const record: SnapshotRecord = {
      format: SNAPSHOT_FORMAT,
      cluster: spec.name,
      etcdTopology: spec.etcd.topology,
      member: { host: host.name, address: host.address },
      etcd: remote.status,
      sha256: got.sha256,
      bytes: got.bytes,
      kubernetesVersion: version,
      pki,
      created: created.toISOString(),
    };
    await writePrivate(join(dir, SNAPSHOT_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    complete = true;
    return { dir, record, skipped, durationMs: Date.now() - started };
  } finally {
    const rmr = await conn
      .exec(removeTempCommand(remote.remotePath), { timeoutMs: 60_000 })
      .catch((e: unknown) => ({ code: 1, stderr: (e as Error).message, stdout: '' }) as ExecResult);
    if (rmr.code !== 0) log(`${host.name}: could not remove ${remote.remotePath}: ${reasonOf(rmr)}`);
    // An incomplete directory would pass for a snapshot: it goes.
    if (!complete) await rm(dir, { recursive: true, force: true });
  }
}

/** A few lines for people (never a secret: only names, sizes, counts). */
export function renderSnapshotSummary(r: SnapshotResult): string {
  const { record: s } = r;
  const mib = (s.bytes / 1024 / 1024).toFixed(1);
  return [
    `Saved an etcd snapshot of cluster ${s.cluster} to ${r.dir}`,
    `  from member ${s.member.host} (${s.member.address})${r.skipped.length ? `; not healthy before it: ${r.skipped.map((x) => x.host).join(', ')}` : ''}`,
    `  etcd revision ${s.etcd.revision}, ${s.etcd.totalKeys} keys, hash ${s.etcd.hash}, ${s.bytes} bytes (${mib} MiB)`,
    `  sha256 ${s.sha256} (checked against the host's)`,
    `  Kubernetes v${s.kubernetesVersion}; CAs and service-account keys in pki/ (secret: keep the directory private)`,
    `  in ${(r.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
