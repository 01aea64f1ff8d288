// `hactl kubeconfig`: admin.conf from the first control-plane host that has it, through a read-only
// pool of fake hosts; its server pointed at the VIP; written 0600, never over a file unless asked.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import Kubeconfig from '../../src/commands/kubeconfig.js';
import { resolvePlacement } from '../../src/spec/topology.js';
import { endpointUrl, fetchAdminKubeconfig, pointAt } from '../../src/kubeconfig/admin.js';
import { HostPool, type Connect } from '../../src/transport/pool.js';
import { HostUnreachableError, type Transport } from '../../src/transport/transport.js';
import { specFromText } from '../resources/helpers.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY_DATA = 'LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tc2VjcmV0';
const ADMIN_CONF = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://10.0.10.11:6443
  name: prod-a
contexts:
- context:
    cluster: prod-a
    user: kubernetes-admin
  name: kubernetes-admin@prod-a
current-context: kubernetes-admin@prod-a
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: ${KEY_DATA}
`;

const SPEC_TEXT = `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: prod-a }
profile: test
hosts:
  - { name: cp1, address: 10.0.10.11, roles: [control-plane] }
  - { name: cp2, address: 10.0.10.12, roles: [control-plane] }
  - { name: cp3, address: 10.0.10.13, roles: [control-plane] }
  - { name: w1, address: 10.0.10.21, roles: [worker] }
controlPlaneEndpoint: { host: 10.0.10.10 }
loadBalancer: { keepalived: { interface: eth0, authPasswordEnv: VRRP_PW } }
`;
const specFile = join(dir, 'cluster.yaml');
writeFileSync(specFile, SPEC_TEXT);
const spec = specFromText(SPEC_TEXT, specFile);

/** Fake hosts: which are down, which have admin.conf; every call recorded. */
function fakeHosts(files: Record<string, string | undefined>, down: string[] = []) {
  const calls: string[] = [];
  const connect: Connect = async (target) => {
    if (down.includes(target.name)) throw new HostUnreachableError(target.name, 'connect ECONNREFUSED');
    const t: Transport = {
      host: target.name,
      readOnly: false,
      exec: async (cmd) => {
        calls.push(`${target.name} exec ${cmd}`);
        throw new Error('exec must not be called');
      },
      observe: async () => {
        throw new Error('observe must not be called');
      },
      readFile: async (path) => {
        calls.push(`${target.name} read ${path}`);
        const text = path === '/etc/kubernetes/admin.conf' ? files[target.name] : undefined;
        return text === undefined ? undefined : Buffer.from(text);
      },
      writeFile: async (path) => {
        calls.push(`${target.name} write ${path}`);
      },
      upload: async () => undefined,
      close: async () => undefined,
    };
    return t;
  };
  return { connect, calls };
}

describe('pointAt', () => {
  it('sets every cluster server to the endpoint and keeps the rest as it was', () => {
    const out = parse(pointAt(ADMIN_CONF, 'https://10.0.10.10:8443', 'admin.conf'));
    const before = parse(ADMIN_CONF);
    expect(out.clusters[0].cluster.server).toBe('https://10.0.10.10:8443');
    before.clusters[0].cluster.server = 'https://10.0.10.10:8443';
    expect(out).toEqual(before);
  });

  it.each([
    ['key: [unclosed', /is not YAML/],
    ['kind: Pod\n', /is not a kubeconfig/],
    ['kind: Config\nclusters: []\n', /has no clusters/],
    ['kind: Config\nclusters: [{ cluster: {}, name: a }]\nusers: [{ name: u }]\n', /a cluster without a server/],
    [ADMIN_CONF.replace(/users:[\s\S]*$/, ''), /has no users/],
  ])('refuses what is not an admin kubeconfig (%#), never quoting it', (text, message) => {
    expect(() => pointAt(text, 'https://x:6443', 'admin.conf on cp1')).toThrow(message);
    try {
      pointAt(text, 'https://x:6443', 'admin.conf on cp1');
    } catch (e) {
      expect((e as Error).message).not.toContain(KEY_DATA);
    }
  });

  it('brackets an IPv6 endpoint', () => {
    expect(endpointUrl({ ...spec, controlPlaneEndpoint: { host: 'fd00::10', port: 6443, extraSANs: [] } })).toBe('https://[fd00::10]:6443');
    expect(endpointUrl(spec)).toMatch(/^https:\/\/10\.0\.10\.10:\d+$/);
  });
});

describe('fetchAdminKubeconfig', () => {
  it('skips an unreachable host and one without admin.conf, with reasons; only reads files', async () => {
    const { connect, calls } = fakeHosts({ cp3: ADMIN_CONF }, ['cp1']);
    const pool = new HostPool({ readOnly: true, connect, acceptNewHostKeys: false });
    const r = await fetchAdminKubeconfig(spec, pool, resolvePlacement(spec).controlPlane);
    await pool.close();
    expect(r.host).toBe('cp3');
    expect(r.skipped).toEqual([
      { host: 'cp1', reason: 'unreachable: connect ECONNREFUSED' },
      { host: 'cp2', reason: 'no /etc/kubernetes/admin.conf (not initialised or joined)' },
    ]);
    expect(parse(r.text).clusters[0].cluster.server).toBe(endpointUrl(spec));
    expect(calls).toEqual(['cp2 read /etc/kubernetes/admin.conf', 'cp3 read /etc/kubernetes/admin.conf']);
  });

  it('no host has it: every reason in the error', async () => {
    const { connect } = fakeHosts({}, ['cp2']);
    const pool = new HostPool({ readOnly: true, connect, acceptNewHostKeys: false });
    await expect(fetchAdminKubeconfig(spec, pool, resolvePlacement(spec).controlPlane)).rejects.toThrow(
      /no control-plane host gave \/etc\/kubernetes\/admin\.conf:\n {2}cp1: no \/etc\/kubernetes\/admin\.conf.*\n {2}cp2: unreachable: connect ECONNREFUSED\n {2}cp3: no/,
    );
    await pool.close();
  });

  it('refuses a pool that can write', async () => {
    const pool = new HostPool({ readOnly: false, connect: fakeHosts({}).connect, acceptNewHostKeys: false });
    await expect(fetchAdminKubeconfig(spec, pool, resolvePlacement(spec).controlPlane)).rejects.toThrow(/read-only pool/);
  });
});

describe('hactl kubeconfig', () => {
  afterEach(() => {
    Kubeconfig.connect = undefined;
  });

  it('writes <cluster>.kubeconfig with mode 0600 by default, pointed at the VIP; never prints the key', async () => {
    Kubeconfig.connect = fakeHosts({ cp1: ADMIN_CONF }).connect;
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await runCommand(Kubeconfig, ['-f', specFile]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(
        new RegExp(`^wrote prod-a\\.kubeconfig \\(mode 0600\\): cluster 'prod-a' at ${endpointUrl(spec).replaceAll('.', '\\.')}, from cp1\\n$`),
      );
      expect(r.out + r.err).not.toContain(KEY_DATA);
      const file = join(dir, 'prod-a.kubeconfig');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(parse(readFileSync(file, 'utf8')).users[0].user['client-key-data']).toBe(KEY_DATA);
    } finally {
      process.chdir(cwd);
    }
  });

  it('an existing file: refused without --force; with it, replaced by a new 0600 file', async () => {
    Kubeconfig.connect = fakeHosts({ cp1: ADMIN_CONF }).connect;
    const out = join(dir, 'existing.conf');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    const refused = await runCommand(Kubeconfig, ['-f', specFile, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/exists; --force replaces it/);
    expect(readFileSync(out, 'utf8')).toBe('old\n');

    const forced = await runCommand(Kubeconfig, ['-f', specFile, '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/mode 0600, replacing a file of mode 0644/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain(KEY_DATA);
  });

  it('--out - prints it (asked for explicitly)', async () => {
    Kubeconfig.connect = fakeHosts({ cp2: ADMIN_CONF }).connect;
    const r = await runCommand(Kubeconfig, ['-f', specFile, '--out', '-']);
    expect(r.code).toBe(0);
    expect(parse(r.out).clusters[0].cluster.server).toBe(endpointUrl(spec));
    expect(r.err).toBe('cp1: no /etc/kubernetes/admin.conf (not initialised or joined)\n');
  });

  it('no host has it: the reasons, exit 1, no file', async () => {
    Kubeconfig.connect = fakeHosts({}, ['cp1', 'cp2', 'cp3']).connect;
    const out = join(dir, 'none.conf');
    const r = await runCommand(Kubeconfig, ['-f', specFile, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cp3: unreachable/);
    expect(() => statSync(out)).toThrow();
  });
});
