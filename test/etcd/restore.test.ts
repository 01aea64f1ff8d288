// etcd restore as data: a snapshot directory and the hosts' answers in, refusals, uploads, the
// marker and kubeadm-init's restore commands out.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EXISTING_CLUSTER_COMMAND,
  checkRecord,
  moveAsideCommand,
  parseExisting,
  prepareRestore,
  readSnapshotDir,
  restoreUploads,
  specMismatch,
} from '../../src/etcd/restore.js';
import { RESTORE_MARKER, parseRestoreMarker, restoreDataCommand } from '../../src/etcd/restore-marker.js';
import { STACKED_PKI_FILES, type EtcdConnection, type SnapshotRecord } from '../../src/etcd/snapshot.js';
import type { ExecResult } from '../../src/transport/transport.js';
import type { Host } from '../../src/spec/types.js';
import { FIXTURES, specFixture, specFromText } from '../resources/helpers.js';

const spec = specFixture('ha-haproxy.yaml');
const external = specFromText(readFileSync(`${FIXTURES}kubernetes/external-etcd.yaml`, 'utf8'), `${FIXTURES}kubernetes/external-etcd.yaml`);
const DB = Buffer.alloc(50_000, 9);
const SECRET_KEY = '-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n';

function snapshotDir(over: Partial<SnapshotRecord> = {}, db = DB): string {
  const dir = mkdtempSync(join(tmpdir(), 'hactl-restore-'));
  writeFileSync(join(dir, 'etcd.db'), db);
  mkdirSync(join(dir, 'pki', 'etcd'), { recursive: true });
  for (const f of STACKED_PKI_FILES) writeFileSync(join(dir, 'pki', f), f.endsWith('.key') ? SECRET_KEY : 'public\n');
  const record: SnapshotRecord = {
    format: 1,
    cluster: 'fixture',
    etcdTopology: 'stacked',
    member: { host: 'cp2', address: '10.0.0.12' },
    etcd: { hash: 1, revision: 4211, totalKeys: 937, totalSize: DB.length },
    sha256: createHash('sha256').update(DB).digest('hex'),
    bytes: DB.length,
    kubernetesVersion: '1.35.4',
    pki: STACKED_PKI_FILES,
    created: '2026-11-22T14:35:01.123Z',
    ...over,
  };
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify(record));
  return dir;
}

interface FakeHost {
  conn: EtcdConnection;
  execs: string[];
  uploads: { local: string; remote: string; mode: number }[];
  written: Map<string, { content: string; mode: number }>;
}

function fakeHost(name: string, existing: string[] = []): FakeHost {
  const h: FakeHost = { execs: [], uploads: [], written: new Map(), conn: undefined as never };
  const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '', durationMs: 1 });
  h.conn = {
    host: name,
    async exec(cmd) {
      h.execs.push(cmd);
      if (cmd === EXISTING_CLUSTER_COMMAND) return ok(existing.map((p) => `found: ${p}\n`).join(''));
      return ok('moved\n');
    },
    readFile: async () => undefined,
    download: async () => {
      throw new Error('no downloads in a restore');
    },
    async upload(local, remote, mode) {
      h.uploads.push({ local, remote, mode });
    },
    async writeFile(path, content, opts) {
      h.written.set(path, { content: String(content), mode: opts.mode });
    },
  };
  return h;
}

const connectAll = (hosts: Record<string, FakeHost>) => async (h: Host) => hosts[h.name]?.conn ?? Promise.reject(new Error(`${h.name}: unreachable`));
const NOW = new Date('2026-11-22T15:00:00.000Z');

describe('the snapshot directory', () => {
  it('a complete directory reads back its record', async () => {
    const r = await readSnapshotDir(snapshotDir());
    expect(r.etcd.revision).toBe(4211);
  });

  it('a damaged etcd.db (other bytes, same size) is refused by its sha256', async () => {
    const dir = snapshotDir({}, DB);
    const bad = Buffer.from(DB);
    bad[100] = 0;
    writeFileSync(join(dir, 'etcd.db'), bad);
    await expect(readSnapshotDir(dir)).rejects.toThrow(/etcd.db has sha256 [0-9a-f]{64}, snapshot.json says .*damaged/);
  });

  it('a missing PKI file, a missing record, a bad field: each refused, naming it', async () => {
    const dir = snapshotDir();
    writeFileSync(
      join(dir, 'snapshot.json'),
      JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')), pki: [...STACKED_PKI_FILES, 'extra.key'] }),
    );
    await expect(readSnapshotDir(dir)).rejects.toThrow(/pki\/extra.key is missing/);
    await expect(readSnapshotDir(mkdtempSync(join(tmpdir(), 'hactl-empty-')))).rejects.toThrow(/is not a snapshot directory/);
    expect(() => checkRecord('{"format":1,"cluster":"x","etcdTopology":"stacked","sha256":"nope"}', '/d')).toThrow(/sha256 is missing or invalid/);
    expect(() => checkRecord(JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')), pki: ['../../etc/shadow'] }), '/d')).toThrow(
      /pki is missing or invalid/,
    );
  });
});

describe('what the spec must be', () => {
  const record = checkRecord(readFileSync(join(snapshotDir(), 'snapshot.json'), 'utf8'), '/d');
  it("the same cluster, stacked etcd, the snapshot's Kubernetes version", () => {
    expect(specMismatch(spec, record)).toBeUndefined();
    expect(specMismatch(spec, { ...record, cluster: 'other' })).toBe('the snapshot is of cluster other, the spec is cluster fixture');
    expect(specMismatch(spec, { ...record, kubernetesVersion: '1.34.8' })).toMatch(/set kubernetes.version: 1.34.8/);
    expect(specMismatch(external, record)).toMatch(/^restoring external etcd is not supported/);
  });
});

describe('prepareRestore', () => {
  it('fresh hosts: the snapshot and PKI to the first control-plane host (keys 0600), then the marker without secrets', async () => {
    const dir = snapshotDir();
    const hosts = { cp1: fakeHost('cp1'), cp2: fakeHost('cp2'), cp3: fakeHost('cp3') };
    const r = await prepareRestore(spec, { from: dir, force: false, connect: connectAll(hosts), now: () => NOW });
    expect(r.host.name).toBe('cp1');
    expect(hosts.cp1.uploads).toEqual(restoreUploads(dir, r.record));
    expect(hosts.cp1.uploads.map((u) => `${u.remote} ${u.mode.toString(8)}`)).toEqual([
      '/var/lib/hactl/restore/etcd.db 600',
      '/etc/kubernetes/pki/ca.crt 644',
      '/etc/kubernetes/pki/ca.key 600',
      '/etc/kubernetes/pki/front-proxy-ca.crt 644',
      '/etc/kubernetes/pki/front-proxy-ca.key 600',
      '/etc/kubernetes/pki/etcd/ca.crt 644',
      '/etc/kubernetes/pki/etcd/ca.key 600',
      '/etc/kubernetes/pki/sa.key 600',
      '/etc/kubernetes/pki/sa.pub 644',
    ]);
    expect(hosts.cp2.uploads).toEqual([]);
    const marker = hosts.cp1.written.get(RESTORE_MARKER)!;
    expect(marker.mode).toBe(0o644);
    expect(marker.content).not.toContain('PRIVATE KEY');
    expect(parseRestoreMarker(marker.content)).toEqual({
      cluster: 'fixture',
      kubernetesVersion: '1.35.4',
      sha256: r.record.sha256,
      revision: 4211,
      snapshotCreated: '2026-11-22T14:35:01.123Z',
      snapshotMember: 'cp2',
      uploaded: '2026-11-22T15:00:00.000Z',
    });
    expect(hosts.cp1.execs.some((c) => c.includes(`${r.record.sha256}  /var/lib/hactl/restore/etcd.db`) && c.includes('sha256sum -c'))).toBe(true);
  });

  it('a host with a cluster or etcd data is refused, naming it, with nothing uploaded', async () => {
    const hosts = { cp1: fakeHost('cp1'), cp2: fakeHost('cp2', ['/etc/kubernetes/admin.conf', '/var/lib/etcd']), cp3: fakeHost('cp3') };
    await expect(prepareRestore(spec, { from: snapshotDir(), force: false, connect: connectAll(hosts), now: () => NOW })).rejects.toThrow(
      /fresh hosts, and these hold a cluster or etcd data: cp2 \(\/etc\/kubernetes\/admin.conf, \/var\/lib\/etcd\)\. .*--force/,
    );
    expect(hosts.cp1.uploads).toEqual([]);
  });

  it('--force moves the old data aside on those hosts (renamed with the time, never deleted)', async () => {
    const hosts = { cp1: fakeHost('cp1', ['/var/lib/etcd']), cp2: fakeHost('cp2'), cp3: fakeHost('cp3') };
    const r = await prepareRestore(spec, { from: snapshotDir(), force: true, connect: connectAll(hosts), now: () => NOW });
    expect(r.movedAside).toEqual([{ host: 'cp1', paths: ['/var/lib/etcd'] }]);
    expect(hosts.cp1.execs).toContain(moveAsideCommand('20261122T150000Z'));
    expect(moveAsideCommand('20261122T150000Z')).toContain('mv -- /var/lib/etcd /var/lib/etcd.moved-by-hactl-20261122T150000Z');
    expect(moveAsideCommand('20261122T150000Z')).not.toMatch(/\brm\b/);
    expect(hosts.cp2.execs).not.toContain(moveAsideCommand('20261122T150000Z'));
  });

  it("reads the hosts' findings line by line", () => {
    expect(parseExisting('found: /etc/kubernetes/admin.conf\nnoise\nfound: /var/lib/etcd\n')).toEqual(['/etc/kubernetes/admin.conf', '/var/lib/etcd']);
  });
});

describe('the restore on the host (kubeadm-init runs it)', () => {
  const marker = parseRestoreMarker(JSON.stringify({ cluster: 'fixture', kubernetesVersion: '1.35.4', sha256: 'a'.repeat(64), revision: 7 }));
  it('single member with the name and peer URL kubeadm gives it, checked against the sha256, moved in whole', () => {
    if ('error' in marker) throw new Error(marker.error);
    const cp1 = spec.hosts.find((h) => h.name === 'cp1')!;
    const cmd = restoreDataCommand(marker, cp1);
    expect(cmd).toContain(`echo '${'a'.repeat(64)}  /var/lib/hactl/restore/etcd.db' | sha256sum -c --quiet -`);
    expect(cmd).toContain(
      'etcdctl snapshot restore /var/lib/hactl/restore/etcd.db --name cp1 --initial-cluster cp1=https://10.0.0.11:2380 --initial-advertise-peer-urls https://10.0.0.11:2380 --data-dir "$t"',
    );
    expect(cmd).toContain('mv -- "$t/member" /var/lib/etcd/member');
    expect(cmd.split('\n')[1]).toBe("if [ -d /var/lib/etcd/member ]; then echo 'etcd data already restored'; exit 0; fi");
    // Names reach the shell quoted, IPv6 peer URLs in brackets.
    expect(restoreDataCommand(marker, { ...cp1, name: "cp'1", address: 'fd00::11' })).toContain(
      `--name 'cp'\\''1' --initial-cluster 'cp'\\''1=https://[fd00::11]:2380'`,
    );
  });

  it('a marker that is not what the restore command writes says why', () => {
    expect(parseRestoreMarker('{')).toEqual({ error: `${RESTORE_MARKER} is not JSON` });
    expect(parseRestoreMarker('{"sha256":"x"}')).toEqual({ error: `${RESTORE_MARKER} has no valid sha256` });
  });
});
