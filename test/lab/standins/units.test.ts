// Unit tests of the stand-ins' pure pieces (config decoding, AES-GCM, CA hash, JSON gateway helpers).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { loadConfig } from './src/lib/kubeadm-config.js';
// @ts-expect-error plain JavaScript module without types
import * as pki from './src/lib/pki.js';
// @ts-expect-error plain JavaScript module without types
import { prefixEnd } from './src/lib/etcd.js';
// @ts-expect-error plain JavaScript module without types
import { parseArgs } from './src/lib/args.js';
// @ts-expect-error plain JavaScript module without types
import { feasible } from './src/lib/scheduling.js';

const b3 = `apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.30.4
controlPlaneEndpoint: 198.18.0.100:6443
apiServer:
  extraArgs:
    audit-log-path: /var/log/audit.log
  certSANs: [198.18.0.100]
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  kubeletExtraArgs:
    node-ip: 198.18.0.13
`;
const b4 = `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  extraArgs:
    - name: audit-log-path
      value: /var/log/audit.log
`;

describe('kubeadm config files', () => {
  it('reads v1beta3 with map extraArgs', () => {
    const c = loadConfig(b3, 30);
    expect(c.ClusterConfiguration.apiServer.extraArgs).toEqual({ 'audit-log-path': '/var/log/audit.log' });
    expect(c.InitConfiguration.nodeRegistration.kubeletExtraArgs).toEqual({ 'node-ip': '198.18.0.13' });
  });
  it('rejects unknown fields with their path', () => {
    expect(() => loadConfig(b3.replace('podSubnet', 'podSubnets'), 30)).toThrow('strict decoding error: unknown field "networking.podSubnets"');
    expect(() => loadConfig('apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nfoo: 1\n', 30)).toThrow('unknown field "foo"');
  });
  it('reads v1beta4 only from kubeadm 1.31 on, with list extraArgs', () => {
    expect(() => loadConfig(b4, 30)).toThrow('no kind "ClusterConfiguration" is registered for version "kubeadm.k8s.io/v1beta4"');
    expect(loadConfig(b4, 31).ClusterConfiguration.apiServer.extraArgs).toEqual({ 'audit-log-path': '/var/log/audit.log' });
  });
  it('rejects the other version\'s extraArgs form', () => {
    expect(() => loadConfig(b4.replace('v1beta4', 'v1beta3'), 31)).toThrow(/cannot unmarshal array into Go struct field apiServer.extraArgs/);
    expect(() => loadConfig(b3.replace(/v1beta3/g, 'v1beta4'), 31)).toThrow(/cannot unmarshal object into Go struct field apiServer.extraArgs/);
  });
  it('rejects fields removed in v1beta4', () => {
    const t = 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  timeoutForControlPlane: 4m0s\n';
    expect(() => loadConfig(t, 31)).toThrow('unknown field "apiServer.timeoutForControlPlane"');
  });
});

describe('certificates', () => {
  it('computes the CA hash as sha256 of the SubjectPublicKeyInfo, like openssl', () => {
    const ca = pki.selfSignedCa('kubernetes');
    const d = mkdtempSync(join(tmpdir(), 'standins-pki-'));
    try {
      writeFileSync(join(d, 'ca.crt'), ca.cert);
      const der = execFileSync('sh', ['-c', `openssl x509 -pubkey -noout -in ${d}/ca.crt | openssl pkey -pubin -outform der | sha256sum`]).toString();
      expect(pki.caCertHash(ca.cert)).toBe(`sha256:${der.split(' ')[0]}`);
    } finally { rmSync(d, { recursive: true, force: true }); }
  });
  it('signs leaves with SANs and usages', () => {
    const ca = pki.selfSignedCa('kubernetes');
    const leaf = pki.signedCert(ca, { cn: 'kube-apiserver', usage: 'server', dns: ['kubernetes'], ips: ['198.18.0.100'] });
    const info = pki.certInfo(leaf.cert);
    expect(info.san).toContain('IP Address:198.18.0.100');
    expect(info.x.checkIssued(pki.certInfo(ca.cert).x)).toBe(true);
    expect(info.x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });
  it('encrypts upload-certs payloads with AES-256-GCM and refuses a wrong key', () => {
    const key = 'a'.repeat(64);
    const enc = pki.encrypt(Buffer.from('secret ca key'), key);
    expect(pki.decrypt(enc, key).toString()).toBe('secret ca key');
    expect(() => pki.decrypt(enc, 'b'.repeat(64))).toThrow();
  });
});

describe('helpers', () => {
  it('computes etcd prefix range ends', () => {
    expect(Buffer.from(prefixEnd('/registry/pods/'), 'base64').toString()).toBe('/registry/pods0');
  });
  it('parses flags the way the stand-ins need', () => {
    expect(parseArgs(['join', '1.2.3.4:6443', '--token', 'a.b', '--control-plane', '--x=y'], ['control-plane']))
      .toEqual({ flags: { token: 'a.b', 'control-plane': 'true', x: 'y' }, pos: ['join', '1.2.3.4:6443'] });
  });
  it('schedules only onto Ready nodes whose taints the pod tolerates', () => {
    const node = (name: string, ready: string, taints: object[] = []) => ({ metadata: { name, labels: {} }, spec: { taints }, status: { conditions: [{ type: 'Ready', status: ready }] } });
    const pod = { spec: { tolerations: [] as object[] } };
    expect(feasible(pod, node('a', 'True'))).toBe(true);
    expect(feasible(pod, node('b', 'False'))).toBe(false);
    const cp = node('c', 'True', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(feasible(pod, cp)).toBe(false);
    pod.spec.tolerations.push({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
    expect(feasible(pod, cp)).toBe(true);
  });
});
