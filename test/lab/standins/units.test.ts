// Unit tests of the stand-ins' pure pieces (config decoding, AES-GCM, CA hash, JSON gateway helpers).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
// @ts-expect-error plain JavaScript module without types
import { cgroupMode } from './src/lib/cgroups.js';
// @ts-expect-error plain JavaScript module without types
import { humanDuration, wantsTable } from './src/lib/tables.js';
// @ts-expect-error plain JavaScript module without types
import { negotiateDiscovery } from './src/lib/discovery.js';
// @ts-expect-error plain JavaScript module without types
import { strategicMergePatch } from './src/lib/patch.js';
// @ts-expect-error plain JavaScript module without types
import { typeOfKind, unknownFields } from './src/lib/schemas.js';
import { parseAllDocuments } from 'yaml';
import { smokeManifest } from '../../../src/resources/smoke-test.js';
import { renderKubeVipManifest } from '../../../src/resources/kube-vip.js';

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
  it("rejects the other version's extraArgs form", () => {
    expect(() => loadConfig(b4.replace('v1beta4', 'v1beta3'), 31)).toThrow(/cannot unmarshal array into Go struct field apiServer.extraArgs/);
    expect(() => loadConfig(b3.replace(/v1beta3/g, 'v1beta4'), 31)).toThrow(/cannot unmarshal object into Go struct field apiServer.extraArgs/);
  });
  it('rejects fields removed in v1beta4', () => {
    const t = 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  timeoutForControlPlane: 4m0s\n';
    expect(() => loadConfig(t, 31)).toThrow('unknown field "apiServer.timeoutForControlPlane"');
  });
  it('warns about v1beta3 in 1.34 and 1.35 and refuses it from 1.36 as an old API spec', () => {
    for (const minor of [34, 35]) {
      const c = loadConfig(b3, minor);
      expect(c.warnings.join('\n')).toContain('your configuration file uses a deprecated API spec: "kubeadm.k8s.io/v1beta3" (kind: "ClusterConfiguration")');
    }
    for (const minor of [36, 37]) {
      expect(() => loadConfig(b3, minor)).toThrow(
        `your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta3" (kind: "ClusterConfiguration"). Please use kubeadm v1.35 instead and run 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.`,
      );
    }
    expect(loadConfig(b4, 37).warnings).toEqual([]);
  });
  it('decodes UpgradeConfiguration and ResetConfiguration strictly', () => {
    const up = `apiVersion: kubeadm.k8s.io/v1beta4
kind: UpgradeConfiguration
apply:
  kubernetesVersion: v1.37.2
  certificateRenewal: true
  ignorePreflightErrors: [SystemVerification]
node:
  etcdUpgrade: true
  ignorePreflightErrors: [SystemVerification]
timeouts:
  upgradeManifests: 5m0s
`;
    expect(loadConfig(up, 37).UpgradeConfiguration.apply.kubernetesVersion).toBe('v1.37.2');
    expect(() => loadConfig(up.replace('certificateRenewal', 'renewCertificates'), 37)).toThrow(
      'error unmarshaling configuration schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"UpgradeConfiguration"}: strict decoding error: unknown field "apply.renewCertificates"',
    );
    expect(() => loadConfig(up.replace('etcdUpgrade: true', 'etcdUpgrade: "yes"'), 37)).toThrow(
      /cannot unmarshal string into Go struct field node.etcdUpgrade of type boolean/,
    );
    const reset = 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\nforce: true\ncleanupTmpDir: true\n';
    expect(loadConfig(reset, 37).ResetConfiguration.force).toBe(true);
    expect(() => loadConfig(`${reset}purge: true\n`, 37)).toThrow('unknown field "purge"');
  });
});

describe('cgroup mode', () => {
  it('tells v2, hybrid and v1 apart as the kubelet does (statfs of /sys/fs/cgroup and unified/)', () => {
    const d = mkdtempSync(join(tmpdir(), 'standins-cgroup-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', d]);
      try {
        expect(cgroupMode(d)).toBe('v1');
        execFileSync('mkdir', [join(d, 'unified')]);
        execFileSync('mount', ['-t', 'cgroup2', 'cgroup2', join(d, 'unified')]);
        expect(cgroupMode(d)).toBe('hybrid');
        execFileSync('umount', [join(d, 'unified')]);
      } finally {
        execFileSync('umount', [d]);
      }
      execFileSync('mount', ['-t', 'cgroup2', 'cgroup2', d]);
      try {
        expect(cgroupMode(d)).toBe('v2');
      } finally {
        execFileSync('umount', [d]);
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
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
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
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
    expect(parseArgs(['join', '1.2.3.4:6443', '--token', 'a.b', '--control-plane', '--x=y'], ['control-plane'])).toEqual({
      flags: { token: 'a.b', 'control-plane': 'true', x: 'y' },
      pos: ['join', '1.2.3.4:6443'],
    });
  });
  it('schedules only onto Ready nodes whose taints the pod tolerates', () => {
    const node = (name: string, ready: string, taints: object[] = []) => ({
      metadata: { name, labels: {} },
      spec: { taints },
      status: { conditions: [{ type: 'Ready', status: ready }] },
    });
    const pod = { spec: { tolerations: [] as object[] } };
    expect(feasible(pod, node('a', 'True'))).toBe(true);
    expect(feasible(pod, node('b', 'False'))).toBe(false);
    const cp = node('c', 'True', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(feasible(pod, cp)).toBe(false);
    pod.spec.tolerations.push({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
    expect(feasible(pod, cp)).toBe(true);
  });
});

/** The Node object the stand-in kubectl reads and patches. */
interface TestNode {
  kind: string;
  apiVersion: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { taints: unknown[] };
}

describe('kubectl label, annotate and taint', () => {
  // A node behind a small HTTPS API (GET and merge PATCH), as the stand-in kubectl sees the apiserver.
  const mergePatch = (target: unknown, patch: unknown): unknown => {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> =
      typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) Reflect.deleteProperty(out, k);
      else out[k] = mergePatch(out[k], v);
    }
    return out;
  };

  it('changes a node as kubectl does, and refuses what kubectl refuses', async () => {
    const { createServer } = await import('node:https');
    const { execFile } = await import('node:child_process');
    // @ts-expect-error plain JavaScript module without types
    const { kubeconfigYaml } = await import('./src/lib/kube.js');
    const ca = pki.selfSignedCa('kubernetes');
    const srv = pki.signedCert(ca, { cn: 'kube-apiserver', usage: 'server', ips: ['127.0.0.1'] });
    let node: TestNode = {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { name: 'w1', labels: { 'kubernetes.io/hostname': 'w1' } },
      spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
    };
    const patches: unknown[] = [];
    const server = createServer({ key: srv.key, cert: srv.cert }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.setHeader('Content-Type', 'application/json');
        if (req.url !== '/api/v1/nodes/w1') {
          res.statusCode = 404;
          res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: `nodes "${req.url?.split('/').pop()}" not found` }));
          return;
        }
        if (req.method === 'PATCH') {
          expect(req.headers['content-type']).toBe('application/merge-patch+json');
          patches.push(JSON.parse(body));
          node = mergePatch(node, JSON.parse(body)) as TestNode;
        }
        res.end(JSON.stringify(node));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const d = mkdtempSync(join(tmpdir(), 'standins-kubectl-'));
    try {
      // The program tree as build.sh lays it out in a package (bin, lib, yaml, version.json).
      const { cpSync } = await import('node:fs');
      const tree = join(d, 'kubectl');
      cpSync(join(__dirname, 'src/bin'), join(tree, 'bin'), { recursive: true });
      cpSync(join(__dirname, 'src/lib'), join(tree, 'lib'), { recursive: true });
      cpSync(join(__dirname, '../../../node_modules/yaml'), join(tree, 'node_modules/yaml'), { recursive: true });
      writeFileSync(join(tree, 'package.json'), '{"type":"module"}\n');
      writeFileSync(
        join(tree, 'version.json'),
        '{"gitVersion":"v1.30.4","gitCommit":"0000000000000000000000000000000000000000","buildDate":"2026-11-22T00:00:00Z"}\n',
      );
      const port = (server.address() as { port: number }).port;
      writeFileSync(join(d, 'admin.conf'), kubeconfigYaml({ server: `https://127.0.0.1:${port}`, caPem: ca.cert, user: 'admin', token: 'x' }));
      const kubectl = (...args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile('node', [join(tree, 'bin/kubectl.js'), '--kubeconfig', join(d, 'admin.conf'), ...args], (e, stdout, stderr) =>
            resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          );
        });

      expect(await kubectl('label', '--overwrite', 'node', 'w1', 'tier=edge')).toMatchObject({ code: 0, stdout: 'node/w1 labeled\n' });
      expect(node.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'w1', tier: 'edge' });

      expect(
        await kubectl('annotate', '--overwrite', 'node', 'w1', 'hactl.io/managed-labels=tier', 'hactl.io/managed-taints=dedicated:NoSchedule', 'x=a=b'),
      ).toMatchObject({ code: 0, stdout: 'node/w1 annotated\n' });
      expect(node.metadata.annotations).toEqual({ 'hactl.io/managed-labels': 'tier', 'hactl.io/managed-taints': 'dedicated:NoSchedule', x: 'a=b' });
      const refused = await kubectl('annotate', 'node', 'w1', 'x=c');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe("error: --overwrite is false but found the following declared annotation(s): 'x' already has a value (a=b)\n");
      expect(await kubectl('annotate', '--overwrite', 'node/w1', 'x-', 'hactl.io/managed-labels=')).toMatchObject({ code: 0, stdout: 'node/w1 annotated\n' });
      expect(node.metadata.annotations).toEqual({ 'hactl.io/managed-labels': '', 'hactl.io/managed-taints': 'dedicated:NoSchedule' });

      expect(await kubectl('taint', '--overwrite', 'node', 'w1', 'dedicated=edge:NoSchedule', 'spot:PreferNoSchedule')).toMatchObject({
        code: 0,
        stdout: 'node/w1 tainted\n',
      });
      expect(node.spec.taints).toEqual([
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
        { key: 'spot', effect: 'PreferNoSchedule' },
      ]);
      const clash = await kubectl('taint', 'node', 'w1', 'dedicated=other:NoSchedule');
      expect(clash).toMatchObject({ code: 1, stderr: 'error: node w1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n' });
      expect(await kubectl('taint', '--overwrite', 'node', 'w1', 'dedicated=other:NoSchedule')).toMatchObject({ code: 0 });
      expect(node.spec.taints).toContainEqual({ key: 'dedicated', value: 'other', effect: 'NoSchedule' });
      expect(await kubectl('taint', 'node', 'w1', 'dedicated:NoSchedule-', 'spot-')).toMatchObject({ code: 0, stdout: 'node/w1 untainted\n' });
      expect(node.spec.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
      expect(await kubectl('taint', 'node', 'w1', 'spot-')).toMatchObject({ code: 1, stderr: 'error: taint "spot" not found\n' });
      expect((await kubectl('taint', 'node', 'w1', 'a=b:Sometimes')).stderr).toMatch(
        /^error: invalid taint spec: a=b:Sometimes, invalid taint effect: Sometimes/,
      );
      expect((await kubectl('taint', 'node', 'w2', 'a:NoSchedule')).stderr).toBe('Error from server (NotFound): nodes "w2" not found\n');
      // Refusals changed nothing: one patch per successful command.
      expect(patches).toHaveLength(6);
    } finally {
      server.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('apiserver pure pieces', () => {
  it.each([
    [-5000, '<invalid>'],
    [500, '0s'],
    [42_000, '42s'],
    [119_000, '119s'],
    [303_000, '5m3s'],
    [300_000, '5m'],
    [17 * 60_000, '17m'],
    [125 * 60_000, '125m'],
    [(4 * 60 + 5) * 60_000, '4h5m'],
    [30 * 3_600_000, '30h'],
    [(3 * 24 + 4) * 3_600_000, '3d4h'],
    [120 * 86_400_000, '120d'],
    [(2 * 365 + 30) * 86_400_000, '2y30d'],
    [9 * 365 * 86_400_000, '9y'],
  ])('ages %d ms as %s, as upstream HumanDuration', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it.each([
    [
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      'v2',
    ],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', 'v2beta1'],
    ['application/json, */*', 'legacy'],
    ['application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'legacy'],
    [undefined, 'legacy'],
  ])('discovery for Accept %s: %s', (accept, form) => {
    expect(negotiateDiscovery(accept)).toBe(form);
  });

  it.each([
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', 'v1'],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', 'v1beta1'],
    ['application/json', undefined],
    ['application/vnd.kubernetes.protobuf,application/json', undefined],
  ])('Table for Accept %s: %s', (accept, version) => {
    expect(wantsTable(accept)).toBe(version);
  });

  it.each([
    [
      'merges containers by name, env by name',
      'core.v1.Pod',
      { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } },
      { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }] }] } },
      {
        spec: {
          containers: [
            {
              name: 'a',
              env: [
                { name: 'X', value: '1' },
                { name: 'Y', value: '2' },
              ],
            },
          ],
        },
      },
    ],
    [
      'deletes a list item by key',
      'core.v1.Pod',
      { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
      { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
      { spec: { containers: [{ name: 'b' }] } },
    ],
    [
      'orders by $setElementOrder',
      'core.v1.Pod',
      { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
      { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } },
      { spec: { containers: [{ name: 'b' }, { name: 'a' }] } },
    ],
    [
      'replaces lists without a merge key',
      'core.v1.Pod',
      { spec: { tolerations: [{ key: 'a' }] } },
      { spec: { tolerations: [{ key: 'b' }] } },
      { spec: { tolerations: [{ key: 'b' }] } },
    ],
    [
      'merges finalizers as a set and deletes from it',
      'core.v1.Namespace',
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
      { metadata: { finalizers: ['b', 'c'] } },
    ],
    [
      'replaces a map with $patch: replace',
      'core.v1.Service',
      { spec: { selector: { a: '1', b: '2' } } },
      { spec: { selector: { $patch: 'replace', c: '3' } } },
      { spec: { selector: { c: '3' } } },
    ],
    [
      'keeps only $retainKeys',
      'apps.v1.Deployment',
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      { spec: { strategy: { type: 'Recreate' } } },
    ],
    ['removes a field set to null', 'core.v1.Node', { spec: { unschedulable: true } }, { spec: { unschedulable: null } }, { spec: {} }],
    [
      'a kind without a schema: metadata still merges, lists are replaced',
      undefined,
      { metadata: { finalizers: ['a'] }, subsets: [{ addresses: [{ ip: '1' }] }] },
      { metadata: { finalizers: ['b'] }, subsets: [{ addresses: [{ ip: '2' }] }] },
      { metadata: { finalizers: ['a', 'b'] }, subsets: [{ addresses: [{ ip: '2' }] }] },
    ],
    [
      "merges a Node's conditions by type",
      'core.v1.Node',
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'False' },
            { type: 'DiskPressure', status: 'False' },
          ],
        },
      },
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'DiskPressure', status: 'False' },
          ],
        },
      },
    ],
  ])('strategic merge patch: %s', (_what, type, target, patch, want) => {
    expect(strategicMergePatch(target, patch, type)).toEqual(want);
  });
});

// What hactl applies (and the kubelet mirrors) must pass the strict field validation a real
// apiserver does (`kubectl apply` asks for fieldValidation=Strict): the stand-in's schemas say so.
describe("hactl's manifests under strict field validation", () => {
  const manifests: [string, string][] = [
    ['the smoke test', smokeManifest('registry.k8s.io/pause:3.10.2', 2)],
    ['kube-vip', renderKubeVipManifest({ version: 'v0.8.9', iface: 'eth0', vip: '198.18.0.10', kubeconfig: '/etc/kubernetes/admin.conf' })],
    ["the lab's CNI", readFileSync(join(import.meta.dirname, 'manifests', 'lab-cni.yaml'), 'utf8')],
  ];
  it.each(manifests)('%s has no unknown field', (_what, text) => {
    const docs = parseAllDocuments(text).map((d) => d.toJS() as { apiVersion: string; kind: string });
    const checked = docs.map((o) => {
      const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
      const type = typeOfKind(group, version, o.kind);
      expect(type, `${o.apiVersion} ${o.kind} has a schema`).toBeDefined();
      return [o.kind, unknownFields(type, o)];
    });
    expect(checked).toEqual(docs.map((o) => [o.kind, []]));
  });

  it('names a misspelt field as upstream does', () => {
    const bad = smokeManifest('registry.k8s.io/pause:3.10.2', 2).replace('replicas:', 'replica:').replace('image:', 'imagee:');
    const deployment = parseAllDocuments(bad)[1]?.toJS();
    expect(unknownFields('apps.v1.Deployment', deployment)).toEqual(['spec.replica', 'spec.template.spec.containers[0].imagee']);
  });
});
