// etcd snapshot and restore in the lab: on the converged ha-stacked cluster a ConfigMap is created
// through the VIP and `hactl etcd snapshot` saves the cluster (etcd.db checked by sha256, the
// record, the PKI files private). Then the lab is recreated (fresh hosts, nothing on them),
// `hactl etcd restore` puts the snapshot on cp1 and `hactl apply` builds the cluster on it: the
// ConfigMap is back, every node is Ready and the next plan has nothing to do. Snapshot time and
// size, and restore + apply time, are logged with the load average.

import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUp } from '../lab/index.js';
import { expectStatus } from './support/cli.js';
import { ADMIN, convergedCluster, LAB_SPEC, specHosts, ssh, type Cluster } from './support/cluster.js';

const log = (m: string): void => console.error(`etcd-snapshot e2e: ${m}`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const PROBE = 'hactl-restore-probe';
const PROBE_YAML = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${PROBE}\n  namespace: default\ndata:\n  saved: before-the-snapshot\n`;

let c: Cluster;
let out: string;
let snapshotDir: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'hactl-etcd-e2e-'));
  c = await convergedCluster(log, ['etcd/snapshot', 'etcd/restore']);
}, 1_800_000);

afterAll(() => {
  c?.remove();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('etcd snapshot and restore', () => {
  it('saves a verified snapshot with the CAs and service-account keys, private, after a ConfigMap made through the VIP', async () => {
    // admin.conf points at the VIP (the controlPlaneEndpoint).
    await ssh('cp1', `printf '%s' '${PROBE_YAML}' | ${ADMIN} apply -f -`);
    const r = c.hactl('etcd', 'snapshot', '-f', LAB_SPEC, '--out', out, '-o', 'json');
    expectStatus(r, 0);
    const res = JSON.parse(r.stdout) as {
      dir: string;
      snapshot: {
        cluster: string;
        member: { host: string };
        sha256: string;
        bytes: number;
        etcd: { revision: number; totalKeys: number };
        kubernetesVersion: string;
        pki: string[];
      };
    };
    snapshotDir = res.dir;
    log(
      `snapshot: ${(r.ms / 1000).toFixed(1)} s, ${res.snapshot.bytes} bytes, ${res.snapshot.etcd.totalKeys} keys, revision ${res.snapshot.etcd.revision}, from ${res.snapshot.member.host}; load ${load()}`,
    );
    expect(readdirSync(out)).toEqual([res.dir.split('/').pop()]);
    const record = JSON.parse(readFileSync(join(snapshotDir, 'snapshot.json'), 'utf8')) as typeof res.snapshot;
    expect(record).toEqual(res.snapshot);
    expect(record.cluster).toBe('lab-ha-stacked');
    expect(record.member.host).toBe('cp1');
    expect(record.etcd.totalKeys).toBeGreaterThan(10);
    const db = readFileSync(join(snapshotDir, 'etcd.db'));
    expect(db.length).toBe(record.bytes);
    expect(createHash('sha256').update(db).digest('hex')).toBe(record.sha256);
    // The ConfigMap is in the data (etcd keeps JSON values, the stand-in apiserver writes JSON).
    expect(db.includes(Buffer.from(`/registry/configmaps/default/${PROBE}`))).toBe(true);
    expect(statSync(snapshotDir).mode & 0o777).toBe(0o700);
    for (const f of ['etcd.db', 'snapshot.json', ...record.pki.map((p) => `pki/${p}`)]) expect(statSync(join(snapshotDir, f)).mode & 0o777, f).toBe(0o600);
    expect(record.pki).toEqual(['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']);
    expect(readFileSync(join(snapshotDir, 'pki/ca.crt'), 'utf8')).toBe(await ssh('cp1', 'cat /etc/kubernetes/pki/ca.crt'));
    // No key material in what was printed, and the temporary file is gone from the host.
    expect(r.stdout + r.stderr).not.toContain('PRIVATE KEY');
    expect((await ssh('cp1', 'ls /var/tmp')).trim()).not.toContain('hactl-etcd-snapshot');
  }, 600_000);

  it('refuses to restore onto hosts that run a cluster', () => {
    const r = c.hactl('etcd', 'restore', '-f', LAB_SPEC, '--from', snapshotDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/a restore needs fresh hosts, and these hold a cluster or etcd data: cp1 \(\/etc\/kubernetes\/admin.conf, \/var\/lib\/etcd\)/);
  }, 300_000);

  it('restores onto fresh hosts: apply builds the cluster on the snapshot, the ConfigMap is back, every node Ready, the next plan empty', async () => {
    await labUp({ topology: 'ha-stacked', fresh: true, log });
    const started = Date.now();
    const restore = c.hactl('etcd', 'restore', '-f', LAB_SPEC, '--from', snapshotDir);
    expectStatus(restore, 0);
    log(`restore: ${(restore.ms / 1000).toFixed(1)} s; load ${load()}`);
    const { plan } = c.planJson();
    const init = plan.changes.find((x) => x.id === 'kubeadm-init@cp1')!;
    expect(init.steps.join('\n')).toMatch(/restore etcd from the snapshot of .* as the single member cp1[\s\S]*init from a restored etcd snapshot/);
    const apply = c.hactl('apply', '-f', LAB_SPEC, '--auto-approve');
    log(
      `apply on the restored snapshot: ${(apply.ms / 1000).toFixed(1)} s, exit ${apply.status}; restore + apply ${((Date.now() - started) / 1000).toFixed(1)} s; load ${load()}`,
    );
    expectStatus(apply, 0);

    expect((await ssh('cp1', `${ADMIN} get configmap ${PROBE} -n default -o jsonpath='{.data.saved}'`)).trim()).toBe('before-the-snapshot');
    const nodes = (await ssh('cp1', `${ADMIN} get nodes --no-headers`)).trim().split('\n');
    const kubeNodes = specHosts().filter((h) => !h.startsWith('lb'));
    expect(nodes.map((row) => row.split(/\s+/)[0]).sort()).toEqual(kubeNodes.sort());
    for (const row of nodes) expect(row).toMatch(/^\S+\s+Ready\s/);
    // The saved CA is the cluster's CA again.
    expect(await ssh('cp1', 'cat /etc/kubernetes/pki/ca.crt')).toBe(readFileSync(join(snapshotDir, 'pki/ca.crt'), 'utf8'));
    expectStatus(c.hactl('plan', '-f', LAB_SPEC, '--detailed-exitcode'), 0);
  }, 1_800_000);
});
