// etcd snapshots as data: commands out for a spec, the host's answers in, snapshot.json and the
// files on this machine out. Hosts are fakes that answer by command; the scripts themselves run
// against real etcd in test/e2e/etcd-snapshot.test.ts.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  healthCommand,
  parseSavedSnapshot,
  parseSnapshotStatus,
  preUpgradeSnapshotCommand,
  preUpgradeSnapshotPath,
  removeTempCommand,
  saveToTempCommand,
} from '../../src/etcd/commands.js';
import { EtcdCommandError, snapshotDirName, takeSnapshot, type EtcdConnection, type SnapshotRecord } from '../../src/etcd/snapshot.js';
import type { ExecResult } from '../../src/transport/transport.js';
import type { ClusterSpec, Host } from '../../src/spec/types.js';
import { FIXTURES, specFixture, specFromText } from '../resources/helpers.js';

const stacked = specFixture('ha-haproxy.yaml');
const external = specFromText(readFileSync(`${FIXTURES}kubernetes/external-etcd.yaml`, 'utf8'), `${FIXTURES}kubernetes/external-etcd.yaml`);

const STATUS = '{"hash":3112432531,"revision":4211,"totalKey":937,"totalSize":2465792}';
const DB = Buffer.concat([Buffer.from('bbolt'), Buffer.alloc(70_000, 3)]);
const SHA = createHash('sha256').update(DB).digest('hex');
const TEMP = '/var/tmp/hactl-etcd-snapshot.Ab12Cd/etcd.db';

const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '', durationMs: 1 });
const fail = (stderr: string): ExecResult => ({ code: 1, stdout: '', stderr, durationMs: 1 });

/** A host that answers the snapshot commands; `health` decides whether its member is healthy. */
function fakeHost(name: string, opts: { healthy: boolean; sha?: string; files?: Record<string, string> }) {
  const execs: string[] = [];
  const pki: Record<string, string> =
    opts.files ??
    Object.fromEntries(
      ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'].map((f) => [
        `/etc/kubernetes/pki/${f}`,
        `-----BEGIN ${f}-----\n`,
      ]),
    );
  const conn: EtcdConnection = {
    host: name,
    async exec(cmd) {
      execs.push(cmd);
      if (cmd.includes('endpoint health'))
        return opts.healthy
          ? ok('https://127.0.0.1:2379 is healthy')
          : fail('https://127.0.0.1:2379 is unhealthy: failed to commit proposal: context deadline exceeded');
      if (cmd.includes('snapshot save')) return ok(`path=${TEMP}\nstatus=${STATUS}\nsha256=${opts.sha ?? SHA}\n`);
      if (cmd.startsWith('rm -rf')) return ok();
      if (cmd === 'kubeadm version -o short') return ok('v1.35.4\n');
      throw new Error(`unexpected command ${cmd}`);
    },
    async readFile(path) {
      return pki[path] === undefined ? undefined : Buffer.from(pki[path]!);
    },
    async download(_remote, local, mode) {
      writeFileSync(local, DB, { mode });
      return { bytes: DB.length, sha256: createHash('sha256').update(DB).digest('hex'), durationMs: 1 };
    },
    upload: async () => {
      throw new Error('no uploads in a snapshot');
    },
    writeFile: async () => {
      throw new Error('no writes in a snapshot');
    },
  };
  return { conn, execs };
}

function connectTo(hosts: Record<string, ReturnType<typeof fakeHost>>) {
  const asked: string[] = [];
  return {
    asked,
    connect: async (h: Host) => {
      asked.push(h.name);
      const f = hosts[h.name];
      if (!f) throw new Error(`${h.name}: unreachable: ECONNREFUSED`);
      return f.conn;
    },
  };
}

const NOW = new Date('2026-11-22T14:35:01.123Z');

describe('snapshot commands', () => {
  it("stacked etcd: the local member with kubeadm's health-check client certificate", () => {
    const save = saveToTempCommand(stacked);
    expect(save).toContain(
      '--endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key',
    );
    expect(save).toContain('snapshot save "$f"');
    expect(save).toContain('etcdctl snapshot status "$f" -w json');
    expect(save).toContain('mktemp -d /var/tmp/hactl-etcd-snapshot.XXXXXX');
    expect(healthCommand(stacked)).toMatch(/command -v etcdctl .*; ETCDCTL_API=3 etcdctl .* endpoint health$/);
  });

  it("external etcd: the member's own certificate, as the membership facts use it", () => {
    expect(saveToTempCommand(external)).toContain('--cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key');
    expect(healthCommand(external)).not.toContain('/etc/kubernetes/pki');
  });

  it('the temporary directory removed is only one saveToTempCommand makes', () => {
    expect(removeTempCommand(TEMP)).toBe('rm -rf -- /var/tmp/hactl-etcd-snapshot.Ab12Cd');
    expect(() => removeTempCommand('/var/tmp/../../etc/etcd.db')).toThrow(/not a hactl snapshot file/);
    expect(() => removeTempCommand("/var/tmp/hactl-etcd-snapshot.x'y/etcd.db")).toThrow();
  });

  it("parses the host's answer; a missing or malformed line is an error that says which", () => {
    expect(parseSavedSnapshot(`noise\npath=${TEMP}\nstatus=${STATUS}\nsha256=${SHA}\n`)).toEqual({
      remotePath: TEMP,
      status: { hash: 3112432531, revision: 4211, totalKeys: 937, totalSize: 2465792 },
      sha256: SHA,
    });
    expect(() => parseSavedSnapshot(`path=${TEMP}\nstatus=${STATUS}\n`)).toThrow(/no sha256/);
    expect(() => parseSavedSnapshot(`path=${TEMP}\nstatus=${STATUS}\nsha256=zz\n`)).toThrow(/not a sha256/);
    expect(() => parseSnapshotStatus('{"hash":1,"revision":-1,"totalKey":1,"totalSize":1}')).toThrow(/revision/);
    expect(() => parseSnapshotStatus('Error: snapshot file has wrong hash')).toThrow(/not JSON/);
  });

  it('pre-upgrade snapshot: a fixed name per version pair, kept if it passes status, written beside and renamed', () => {
    expect(preUpgradeSnapshotPath('1.34.8', '1.35.4')).toBe('/var/lib/hactl/etcd-snapshots/pre-upgrade-v1.34.8-to-v1.35.4.db');
    expect(() => preUpgradeSnapshotPath("1.34.8'; rm -rf /", '1.35.4')).toThrow(/not a version/);
    const cmd = preUpgradeSnapshotCommand(stacked, '1.34.8', '1.35.4');
    const lines = cmd.split('\n');
    expect(lines.findIndex((l) => l.includes('snapshot status "$f" >/dev/null'))).toBeLessThan(lines.findIndex((l) => l.includes('snapshot save "$t"')));
    expect(cmd).toContain('mv -f -- "$t" "$f"');
    expect(cmd).not.toMatch(/rm -f -- "\$f"|rm -rf/);
  });

  it('directory names sort by time and carry the cluster name', () => {
    expect(snapshotDirName('prod', NOW)).toBe('prod-20261122T143501Z');
  });
});

describe('takeSnapshot', () => {
  it('skips an unhealthy member, saves from the next, writes etcd.db, pki and snapshot.json privately, removes the temp file', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hactl-snap-'));
    const cp1 = fakeHost('cp1', { healthy: false });
    const cp2 = fakeHost('cp2', { healthy: true });
    const { connect } = connectTo({ cp1, cp2 });
    const r = await takeSnapshot(stacked, { outDir: out, connect, now: () => NOW });
    expect(r.dir).toBe(join(out, 'fixture-20261122T143501Z'));
    expect(r.skipped).toEqual([{ host: 'cp1', reason: expect.stringContaining('unhealthy') }]);
    const record = JSON.parse(readFileSync(join(r.dir, 'snapshot.json'), 'utf8')) as SnapshotRecord;
    expect(record).toEqual({
      format: 1,
      cluster: 'fixture',
      etcdTopology: 'stacked',
      member: { host: 'cp2', address: '10.0.0.12' },
      etcd: { hash: 3112432531, revision: 4211, totalKeys: 937, totalSize: 2465792 },
      sha256: SHA,
      bytes: DB.length,
      kubernetesVersion: '1.35.4',
      pki: ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'],
      created: '2026-11-22T14:35:01.123Z',
    });
    expect(statSync(r.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(r.dir, 'pki', 'etcd')).mode & 0o777).toBe(0o700);
    for (const f of ['etcd.db', 'snapshot.json', 'pki/ca.key', 'pki/etcd/ca.key', 'pki/sa.key', 'pki/sa.pub'])
      expect(statSync(join(r.dir, f)).mode & 0o777, f).toBe(0o600);
    expect(readFileSync(join(r.dir, 'pki/sa.key'), 'utf8')).toBe('-----BEGIN sa.key-----\n');
    expect(cp2.execs.at(-1)).toBe('rm -rf -- /var/tmp/hactl-etcd-snapshot.Ab12Cd');
    expect(cp1.execs.some((c) => c.includes('snapshot save'))).toBe(false);
  });

  it("a download whose sha256 differs from the host's: an error, the temp file removed, no directory left", async () => {
    const out = mkdtempSync(join(tmpdir(), 'hactl-snap-'));
    const cp1 = fakeHost('cp1', { healthy: true, sha: 'f'.repeat(64) });
    await expect(takeSnapshot(stacked, { outDir: out, ...connectTo({ cp1 }), now: () => NOW })).rejects.toThrow(/sha256 .* differs from the host's f{64}/);
    expect(readdirSync(out)).toEqual([]);
    expect(cp1.execs.at(-1)).toMatch(/^rm -rf -- \/var\/tmp\/hactl-etcd-snapshot/);
  });

  it('a missing CA key: an error naming the file, no directory left', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hactl-snap-'));
    const cp1 = fakeHost('cp1', { healthy: true, files: { '/etc/kubernetes/pki/ca.crt': 'x' } });
    await expect(takeSnapshot(stacked, { outDir: out, ...connectTo({ cp1 }), now: () => NOW })).rejects.toThrow(
      /cp1: \/etc\/kubernetes\/pki\/ca.key is missing/,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it('no healthy member: an EtcdCommandError naming every member and why', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hactl-snap-')), 'never-made');
    const cp1 = fakeHost('cp1', { healthy: false });
    const err = await takeSnapshot(stacked, { outDir: out, ...connectTo({ cp1 }), now: () => NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdCommandError);
    expect((err as Error).message).toMatch(/^no healthy etcd member answered \(cp1: .*unhealthy.*; cp2: cp2: unreachable: ECONNREFUSED; cp3: cp3: unreachable/);
    expect(existsSync(out)).toBe(false);
  });

  it('external etcd: the member is an etcd host, the PKI comes from the first control-plane host (no etcd CA key there)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hactl-snap-'));
    const etcd1 = fakeHost('etcd1', { healthy: true, files: {} });
    const cp1 = fakeHost('cp1', { healthy: true });
    const { connect, asked } = connectTo({ etcd1, cp1 });
    const r = await takeSnapshot(external as ClusterSpec, { outDir: out, connect, now: () => NOW });
    expect(asked).toEqual(['etcd1', 'cp1']);
    expect(r.record.member.host).toBe('etcd1');
    expect(r.record.pki).not.toContain('etcd/ca.key');
    expect(existsSync(join(r.dir, 'pki/etcd/ca.crt'))).toBe(true);
  });
});
