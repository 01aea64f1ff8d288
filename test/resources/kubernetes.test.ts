// kubeadm init and joins beyond what the cases express: the rendered kubeadm config, the join's
// cross-host hand-over (run as a shell with a kubeadm stand-in on PATH, in the stand-in's output
// format), secrets never in the plan, and the cluster facts parser on captured kubectl output.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { CLUSTER_FACTS_COMMAND, clusterFactsHost, gatherClusterFacts, parseClusterFacts, splitJsonStream } from '../../src/facts/cluster.js';
import { HostPool } from '../../src/transport/pool.js';
import type { Observation, Transport } from '../../src/transport/transport.js';
import type { CommandOperation, Operation } from '../../src/resources/operation.js';
import { renderInitConfig, renderJoinTemplate, renderUpgradeConfig } from '../../src/resources/kubeadm-config.js';
import { resolvePlacement } from '../../src/spec/topology.js';
import { bareCluster, FIXTURES, localFiles, planSpec, specFixture, specFromText, TEST_ENV } from './helpers.js';
import { smokeOperations } from '../../src/resources/smoke-test.js';

/** The parts of kubeadm's configuration documents these tests read. */
interface KubeadmDoc {
  apiVersion: string;
  kind: string;
  kubernetesVersion: string;
  controlPlaneEndpoint: string;
  apiServer: { certSANs: string[] };
  networking: unknown;
  etcd: unknown;
  certificateValidityPeriod?: string;
  nodeRegistration: { taints: unknown; kubeletExtraArgs: unknown; ignorePreflightErrors: unknown };
  discovery: { bootstrapToken: unknown };
  controlPlane?: unknown;
}

const TOKEN = 'abcdef.0123456789abcdef';
const HASH = `sha256:${'ab'.repeat(32)}`;
const KEY = 'c0ffee'.repeat(10) + 'beef';

const work = mkdtempSync(join(tmpdir(), 'hactl-k8s-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function plan(name = 'ha-haproxy.yaml') {
  const spec = specFixture(name);
  return { spec, ...planSpec(spec, bareCluster(spec, 'debian12'), { env: TEST_ENV, localFiles: localFiles(spec) }) };
}

const commands = (ops: Operation[] | undefined): CommandOperation[] => (ops ?? []).filter((o): o is CommandOperation => 'command' in o);

/** A kubeadm stand-in for the shell: the stand-in's output lines, and `join --config` copies its file. */
function stubKubeadm(dir: string): string {
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin, join(dir, 'tmp'), join(dir, 'out')]);
  writeFileSync(
    join(bin, 'kubeadm'),
    [
      '#!/bin/sh',
      'case "$1 $2" in',
      `  "token create") echo "kubeadm join 10.0.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} " ;;`,
      `  "init phase") echo '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace'; echo '[upload-certs] Using certificate key:'; echo ${KEY} ;;`,
      `  "join --config") cp "$3" "${join(dir, 'out', 'join.yaml')}"; echo "This node has joined the cluster: token ${TOKEN}" ;;`,
      '  *) echo "unexpected: $*" >&2; exit 2 ;;',
      'esac',
    ].join('\n'),
  );
  chmodSync(join(bin, 'kubeadm'), 0o755);
  return bin;
}

function sh(dir: string, command: string, stdin = '') {
  const r = spawnSync('sh', ['-c', command], {
    input: stdin,
    encoding: 'utf8',
    env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, TMPDIR: join(dir, 'tmp') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kubeadm config', () => {
  it('renders the fixture the cases compare with, and kubeadm-shaped documents', () => {
    const spec = specFixture('ha-haproxy.yaml');
    const p = resolvePlacement(spec);
    const text = renderInitConfig(spec, p, p.firstControlPlane);
    expect(text).toBe(readFileSync(`${FIXTURES}kubernetes/kubeadm-config-ha-haproxy.yaml`, 'utf8'));
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind)).toEqual(['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']);
  });

  it('external etcd: endpoints of the etcd hosts and the client certificate paths; extra SANs and a single control plane', () => {
    const spec = specFromText(
      [
        'apiVersion: hactl.io/v1alpha1',
        'kind: Cluster',
        'metadata: { name: ext }',
        'profile: test',
        'hosts:',
        '  - { name: etcd1, address: 10.1.0.31, roles: [etcd] }',
        '  - { name: etcd2, address: 10.1.0.32, roles: [etcd] }',
        '  - { name: etcd3, address: 10.1.0.33, roles: [etcd] }',
        '  - { name: cp1, address: 10.1.0.11, roles: [control-plane, worker], taints: [{ key: dedicated, value: infra, effect: NoSchedule }] }',
        'controlPlaneEndpoint: { host: api.corp.example, extraSANs: [api.alt.example] }',
        'loadBalancer: { type: external }',
        'etcd: { topology: external }',
        'kubernetes: { version: 1.36.1, podSubnet: 10.32.0.0/16, serviceSubnet: 10.33.0.0/16, clusterDomain: corp.local }',
      ].join('\n'),
    );
    const p = resolvePlacement(spec);
    const docs = parseAllDocuments(renderInitConfig(spec, p, p.firstControlPlane)).map((d) => d.toJS() as KubeadmDoc);
    const cc = docs[1]!;
    expect(cc.kubernetesVersion).toBe('v1.36.1');
    expect(cc.controlPlaneEndpoint).toBe('api.corp.example:6443');
    expect(cc.apiServer.certSANs).toEqual(['api.corp.example', 'api.alt.example', '10.1.0.11', 'cp1']);
    expect(cc.networking).toEqual({ podSubnet: '10.32.0.0/16', serviceSubnet: '10.33.0.0/16', dnsDomain: 'corp.local' });
    expect(cc.etcd).toEqual({
      external: {
        endpoints: ['https://10.1.0.31:2379', 'https://10.1.0.32:2379', 'https://10.1.0.33:2379'],
        caFile: '/etc/kubernetes/pki/etcd/ca.crt',
        certFile: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
        keyFile: '/etc/kubernetes/pki/apiserver-etcd-client.key',
      },
    });
    // A control-plane host that is also a worker carries only the spec's taints.
    expect(docs[0]!.nodeRegistration.taints).toEqual([{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }]);
  });
});

describe('kubeadm config: certificate validity', () => {
  it("v1beta4 whatever the validity: kubeadm's 365 days leave certificateValidityPeriod out, another term sets it", () => {
    const plain = specFixture('ha-haproxy.yaml');
    const pp = resolvePlacement(plain);
    const d3 = parseAllDocuments(renderInitConfig(plain, pp, pp.firstControlPlane)).map((d) => d.toJS() as KubeadmDoc);
    expect(d3.slice(0, 2).map((d) => d.apiVersion)).toEqual(['kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta4']);
    expect(d3[1]!.certificateValidityPeriod).toBeUndefined();

    const long = specFixture('long-certificates.yaml');
    const p = resolvePlacement(long);
    const docs = parseAllDocuments(renderInitConfig(long, p, p.firstControlPlane)).map((d) => d.toJS() as KubeadmDoc);
    expect(docs.slice(0, 2).map((d) => d.apiVersion)).toEqual(['kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta4']);
    expect(docs[1]!.certificateValidityPeriod).toBe('17520h0m0s');
    // v1beta4 takes kubelet arguments as a list of name/value pairs.
    expect(docs[0]!.nodeRegistration.kubeletExtraArgs).toEqual([{ name: 'node-ip', value: p.firstControlPlane.address }]);
  });

  it('another term is accepted on every supported minor, the oldest included (v1beta4 is everywhere)', () => {
    const text = readFileSync(`${FIXTURES}long-certificates.yaml`, 'utf8').replace(/version: 1\.\d+\.\d+/, 'version: 1.34.1');
    expect(specFromText(text).kubernetes.certificates.validityDays).toBe(730);
  });
});

describe('kubeadm config: cgroup v1 opt-in', () => {
  const withOptIn = (allow: boolean) =>
    specFromText(readFileSync(`${FIXTURES}ha-haproxy.yaml`, 'utf8').replace(/kubernetes:\n/, `kubernetes:\n  kubelet: { allowCgroupV1: ${allow} }\n`));

  it('allowCgroupV1 renders failCgroupV1: false and skips SystemVerification in init, join and upgrade', () => {
    const spec = withOptIn(true);
    const p = resolvePlacement(spec);
    const docs = parseAllDocuments(renderInitConfig(spec, p, p.firstControlPlane)).map((d) => d.toJS() as KubeadmDoc);
    expect(docs[2]).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd', failCgroupV1: false });
    expect(docs[0]!.nodeRegistration.ignorePreflightErrors).toEqual(['SystemVerification']);
    const join = parseAllDocuments(renderJoinTemplate(spec, p.controlPlane[1]!, true))[0]!.toJS() as KubeadmDoc;
    expect(join.nodeRegistration.ignorePreflightErrors).toEqual(['SystemVerification']);
    const apply = parseAllDocuments(renderUpgradeConfig(spec, '1.37.2', 'apply'))[0]!.toJS();
    expect(apply).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'UpgradeConfiguration',
      apply: { kubernetesVersion: 'v1.37.2', ignorePreflightErrors: ['SystemVerification'] },
    });
    const node = parseAllDocuments(renderUpgradeConfig(spec, '1.37.2', 'node'))[0]!.toJS();
    expect(node).toEqual({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'UpgradeConfiguration', node: { ignorePreflightErrors: ['SystemVerification'] } });
  });

  it('without it: no failCgroupV1 and no skipped check', () => {
    const spec = withOptIn(false);
    const p = resolvePlacement(spec);
    const text =
      renderInitConfig(spec, p, p.firstControlPlane) + renderJoinTemplate(spec, p.controlPlane[1]!, true) + renderUpgradeConfig(spec, '1.37.2', 'apply');
    expect(text).not.toContain('failCgroupV1');
    expect(text).not.toContain('SystemVerification');
  });
});

describe('joins', () => {
  it('plan: the token step runs on cp1, both steps are sensitive, and no secret-shaped value is in the plan', () => {
    const { plan: p, operations } = plan();
    for (const id of ['join-control-plane@cp2', 'join-control-plane@cp3', 'join-worker@worker1']) {
      const [capture, joinOp] = commands(operations.get(id));
      expect(capture!.runOn).toBe('cp1');
      expect(capture!.captureAs).toBe('join');
      expect(joinOp!.stdinFrom).toBe('join');
      expect(capture!.sensitive && joinOp!.sensitive).toBe(true);
    }
    const text = JSON.stringify(p);
    expect(text).not.toMatch(/[a-z0-9]{6}\.[a-z0-9]{16}/);
    expect(text).not.toMatch(/sha256:[0-9a-f]{64}/);
    expect(p.changes.find((c) => c.id === 'kubeadm-init@cp1')!.steps.at(-1)).toContain('output not shown');
  });

  it('control-plane join: cp1 output -> private JoinConfiguration with token, hash and key; the file is removed, output hidden', () => {
    const dir = join(work, 'cp');
    stubKubeadm(dir);
    const adminConf = join(dir, 'admin.conf');
    writeFileSync(adminConf, 'kind: Config\n');
    const [capture, joinOp] = commands(plan().operations.get('join-control-plane@cp2'));
    const captured = sh(dir, capture!.command.split('/etc/kubernetes/admin.conf').join(adminConf));
    expect(captured).toMatchObject({ code: 0, stderr: '' });
    expect(captured.stdout).toBe(`kubeadm join 10.0.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \n${KEY}\n`);

    const r = sh(dir, joinOp!.command, captured.stdout);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const cfg = parse(readFileSync(join(dir, 'out', 'join.yaml'), 'utf8')) as KubeadmDoc;
    expect(cfg.kind).toBe('JoinConfiguration');
    expect(cfg.discovery.bootstrapToken).toEqual({ apiServerEndpoint: '10.0.0.10:6443', token: TOKEN, caCertHashes: [HASH] });
    expect(cfg.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: '10.0.0.12', bindPort: 6443 }, certificateKey: KEY });
    expect(cfg.nodeRegistration).toMatchObject({ name: 'cp2', criSocket: 'unix:///run/containerd/containerd.sock' });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('refuses where it would act wrongly: the capture without admin.conf, the join without valid input', () => {
    const dir = join(work, 'refuse');
    stubKubeadm(dir);
    const [capture, joinOp] = commands(plan().operations.get('join-worker@worker1'));
    const noAdmin = sh(dir, capture!.command.split('/etc/kubernetes/admin.conf').join(join(dir, 'missing.conf')));
    expect(noAdmin.code).toBe(1);
    expect(noAdmin.stderr).toContain('this step runs on cp1');
    for (const input of ['', `kubeadm join 10.0.0.10:6443 --token ${TOKEN}; rm -rf / --discovery-token-ca-cert-hash ${HASH}\n`, 'unexpected: token create\n']) {
      const r = sh(dir, joinOp!.command, input);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('no valid join command');
      expect(r.stderr).not.toContain(TOKEN);
    }
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('worker join: no controlPlane section, and a failing kubeadm shows its output tail', () => {
    const dir = join(work, 'worker');
    stubKubeadm(dir);
    const [, joinOp] = commands(plan().operations.get('join-worker@worker1'));
    const ok = sh(dir, joinOp!.command, `kubeadm join 10.0.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \n`);
    expect(ok.code).toBe(0);
    const cfg = parse(readFileSync(join(dir, 'out', 'join.yaml'), 'utf8')) as KubeadmDoc;
    expect(cfg.controlPlane).toBeUndefined();
    expect(cfg.nodeRegistration.taints).toEqual([]);
    writeFileSync(
      join(dir, 'bin', 'kubeadm'),
      '#!/bin/sh\necho "[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists" >&2\nexit 1\n',
    );
    const bad = sh(dir, joinOp!.command, `kubeadm join 10.0.0.10:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${HASH} \n`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[ERROR FileAvailable--etc-kubernetes-kubelet.conf]');
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });
});

describe('cluster facts', () => {
  for (const name of ['standin', 'kubectl']) {
    it(`parses kubectl's JSON (${name} layout): nodes, DaemonSets, lease holders`, () => {
      const f = parseClusterFacts(readFileSync(`${FIXTURES}kubernetes/cluster-facts-${name}.txt`, 'utf8'), 'cp1');
      expect(f.observedFrom).toBe('cp1');
      expect(f.nodes.map((n) => [n.name, n.ready, n.kubeletVersion])).toEqual([
        ['cp1', true, 'v1.35.4'],
        ['cp2', true, 'v1.35.4'],
        ['worker1', false, 'v1.35.4'],
      ]);
      expect(f.nodes[0]!.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
      expect(f.nodes[2]!.taints).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }]);
      expect(f.nodes[2]!.labels['topology.kubernetes.io/zone']).toBe('a');
      expect(f.nodes[2]!.annotations['hactl.io/managed-labels']).toBe('topology.kubernetes.io/zone');
      expect(f.daemonsets).toEqual([
        {
          namespace: 'kube-system',
          name: 'lab-cni',
          labels: { 'app.kubernetes.io/name': 'lab-cni', 'app.kubernetes.io/version': 'v1' },
          images: ['registry.k8s.io/lab/cni-bridge:v1'],
          desiredNumberScheduled: 3,
          numberReady: 2,
        },
      ]);
      expect(f.leaseHolders).toEqual({ scheduler: 'cp1', controllerManager: 'cp2' });
    });
  }

  it('refuses output that is not what the command prints', () => {
    expect(() => parseClusterFacts('{"kind":"List","items":[]}\n', 'cp1')).toThrow(/lease section is missing/);
    expect(() => parseClusterFacts('The connection to the server 10.0.0.10:6443 was refused\n@@hactl:leases\n{}', 'cp1')).toThrow(/unexpected text/);
    expect(() => splitJsonStream('{"a": [1, 2')).toThrow(/truncated/);
    expect(splitJsonStream('{"s": "}{\\"x"} [1]')).toEqual([{ s: '}{"x' }, [1]]);
  });

  it('asks the first control-plane host that has admin.conf', () => {
    const spec = specFixture('ha-haproxy.yaml');
    const facts = bareCluster(spec, 'debian12');
    expect(clusterFactsHost(['cp1', 'cp2', 'cp3'], facts)).toBeUndefined();
    facts.get('cp2')!.kubernetes.confFiles = ['admin.conf', 'kubelet.conf'];
    expect(clusterFactsHost(['cp1', 'cp2', 'cp3'], facts)).toBe('cp2');
  });

  it('gathers through the read-only pool from the first control-plane host with admin.conf, with read-only kubectl verbs', async () => {
    const spec = specFixture('ha-haproxy.yaml');
    const facts = bareCluster(spec, 'debian12');
    for (const h of ['cp2', 'cp3']) facts.get(h)!.kubernetes.confFiles = ['admin.conf'];
    const calls: string[] = [];
    const output = readFileSync(`${FIXTURES}kubernetes/cluster-facts-standin.txt`, 'utf8');
    const fake = (host: string): Transport => ({
      host,
      readOnly: false,
      exec: async () => {
        throw new Error('exec must not be used');
      },
      observe: async (o: Observation) => (calls.push(`${host} ${o.name}`), { code: 0, stdout: output, stderr: '', durationMs: 3 }),
      readFile: async () => undefined,
      writeFile: async () => undefined,
      upload: async () => undefined,
      close: async () => undefined,
    });
    const pool = new HostPool({ readOnly: true, connect: async (t) => fake(t.name) });
    const cps = spec.hosts.filter((h) => h.roles.includes('control-plane'));
    const r = await gatherClusterFacts(cps, facts, pool);
    expect(r.ok && r.facts.observedFrom).toBe('cp2');
    expect(calls).toEqual(['cp2 cluster-facts']);
    const none = await gatherClusterFacts(cps, bareCluster(spec, 'debian12'), pool);
    expect(none).toEqual({ ok: false, reason: 'no control-plane host with /etc/kubernetes/admin.conf was observed' });
    await pool.close();
    // Only `get` verbs.
    expect(CLUSTER_FACTS_COMMAND.match(/kubectl [^&]*/g)!.every((c) => / get (nodes,daemonsets|leases) /.test(c))).toBe(true);
  });

  it('the plan reports the lease holders from the cluster facts', () => {
    const spec = specFixture('ha-haproxy.yaml');
    const clusterFacts = parseClusterFacts(readFileSync(`${FIXTURES}kubernetes/cluster-facts-kubectl.txt`, 'utf8'), 'cp1');
    const { plan: p } = planSpec(spec, bareCluster(spec, 'debian12'), { env: TEST_ENV, localFiles: localFiles(spec), clusterFacts });
    expect(p.cluster?.leaseHolders).toEqual({ scheduler: 'cp1', controllerManager: 'cp2' });
  });
});

describe('external etcd', () => {
  it('etcd-pki runs openssl into a CA-signed member certificate with the SANs, and etcd installs it from the capture', () => {
    const dir = join(work, 'etcd');
    spawnSync('mkdir', ['-p', join(dir, 'pki'), join(dir, 'member'), join(dir, 'tmp')]);
    const spec = specFixture('kubernetes/external-etcd.yaml');
    const { operations } = planSpec(spec, bareCluster(spec, 'debian12'), { env: TEST_ENV, localFiles: localFiles(spec) });
    const here = (cmd: string) => cmd.split('/etc/hactl/etcd-pki').join(join(dir, 'pki')).split('/etc/etcd/pki').join(join(dir, 'member'));
    const pkiOps = commands(operations.get('etcd-pki'));
    expect(pkiOps.map((o) => o.description.split(' (')[0])).toEqual([
      'make the etcd CA',
      'issue the server/peer certificate of etcd member etcd1',
      'issue the server/peer certificate of etcd member etcd2',
      'issue the server/peer certificate of etcd member etcd3',
      "issue the apiservers' etcd client certificate",
    ]);
    for (const op of pkiOps) expect(sh(dir, here(op.command))).toMatchObject({ code: 0 });
    const text = spawnSync('openssl', ['x509', '-in', join(dir, 'pki', 'members', 'etcd2.crt'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('Subject: CN = etcd2');
    expect(text).toMatch(/DNS:etcd2, DNS:localhost, IP Address:10\.0\.0\.32, IP Address:127\.0\.0\.1/);
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    const verify = spawnSync(
      'openssl',
      ['verify', '-CAfile', join(dir, 'pki', 'ca.crt'), join(dir, 'pki', 'members', 'etcd2.crt'), join(dir, 'pki', 'apiserver-etcd-client.crt')],
      { encoding: 'utf8' },
    );
    expect(verify.status).toBe(0);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);

    const etcdOps = commands(operations.get('etcd@etcd2'));
    const fetch = etcdOps.find((o) => o.captureAs !== undefined);
    const install = etcdOps.find((o) => o.stdinFrom !== undefined);
    expect(fetch!.runOn).toBe('etcd1');
    expect(fetch!.sensitive && install!.sensitive).toBe(true);
    const captured = sh(dir, here(fetch!.command));
    expect(captured.code).toBe(0);
    // Ownership by the etcd user needs root and that user: checked for the content only.
    const r = sh(dir, here(install!.command).replace(/ -o etcd -g etcd/g, ''), captured.stdout);
    expect(r).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, 'member', 'server.crt'), 'utf8')).toBe(readFileSync(join(dir, 'pki', 'members', 'etcd2.crt'), 'utf8'));
    expect(readFileSync(join(dir, 'member', 'server.key'), 'utf8')).toBe(readFileSync(join(dir, 'pki', 'members', 'etcd2.key'), 'utf8'));
    const bad = sh(dir, here(install!.command), 'not base64');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('no valid certificates on standard input');
  });

  it('kubeadm init fetches the etcd client certificate before init, and the config points at it', () => {
    const spec = specFixture('kubernetes/external-etcd.yaml');
    const { plan: p, operations } = planSpec(spec, bareCluster(spec, 'debian12'), { env: TEST_ENV, localFiles: localFiles(spec) });
    const steps = p.changes.find((c) => c.id === 'kubeadm-init@cp1')!.steps;
    expect(steps.map((s) => s.split(' ')[0])).toEqual(['create', 'write', 'on', 'install', 'kubeadm']);
    const fetch = commands(operations.get('kubeadm-init@cp1')).find((o) => o.captureAs !== undefined);
    expect(fetch!.runOn).toBe('etcd1');
    expect(p.changes.find((c) => c.id === 'kubeadm-init@cp1')!.dependsOn).toEqual(expect.arrayContaining(['etcd@etcd1', 'etcd@etcd2', 'etcd@etcd3']));
  });
});

describe('smoke test', () => {
  it('is a read whose steps say what it does, with the sandbox image and one replica per worker', () => {
    const { plan: p } = plan();
    const c = p.changes.find((x) => x.id === 'smoke-test')!;
    expect(c.action).toBe('read');
    expect(c.steps).toEqual([
      'create 1 pause pod(s) (harbor.corp.internal/k8s/pause:3.10) and a Service in namespace hactl-smoke',
      'wait up to 180s for them to be Ready on the workers (worker1)',
      'remove namespace hactl-smoke and what the smoke test created',
    ]);
  });

  it('starts one replica per worker up to 3, so its cost does not grow with the cluster; the pods must still land on workers', () => {
    const workers = Array.from({ length: 100 }, (_, i) => `w${i + 1}`);
    const ops = smokeOperations(workers, 'registry.k8s.io/pause:3.10.2');
    expect(ops.map((o) => o.description)).toEqual([
      'create 3 pause pod(s) (registry.k8s.io/pause:3.10.2) and a Service in namespace hactl-smoke',
      'wait up to 180s for them to be Ready on the 100 workers',
      'remove namespace hactl-smoke and what the smoke test created',
    ]);
    expect(ops[0]!.command).toContain('replicas: 3\n');
    expect(ops[1]!.command).toContain("'{.status.readyReplicas}'=3 ");
    expect(ops[1]!.command).toContain(`' ${workers.join(' ')} '`);
    expect(smokeOperations(['a', 'b'], 'p:1')[1]!.command).toContain("'{.status.readyReplicas}'=2 ");
  });
});

describe('secrets', () => {
  it('every step that carries or prints a join token, certificate key or private key is sensitive', () => {
    for (const name of ['ha-haproxy.yaml', 'kube-vip.yaml', 'kubernetes/external-etcd.yaml']) {
      const { operations } = plan(name);
      for (const [id, ops] of operations) {
        for (const op of commands(ops)) {
          // (A repository's Release.key is a public signing key.)
          if (op.captureAs || op.stdinFrom || /kubeadm (init|join)|(?<!Release)\.key/.test(op.command)) {
            expect(op.sensitive || /openssl/.test(op.command), `${id}: ${op.description}`).toBe(true);
          }
        }
      }
    }
  });
});

describe('plan command: cluster facts', () => {
  async function observe(clusterOutput: { code: number; stdout: string; stderr: string }) {
    const { observeAndPlan } = await import('../../src/commands/plan.js');
    const spec = specFixture('ha-haproxy.yaml');
    const calls: string[] = [];
    const probe = (h: string) => readFileSync(new URL(`../fixtures/facts/${h.startsWith('cp') ? 'ubuntu2204' : 'debian12'}.txt`, import.meta.url), 'utf8');
    const fake = (host: string): Transport => ({
      host,
      readOnly: false,
      exec: async () => {
        throw new Error('exec must not be used');
      },
      observe: async (o: Observation) => {
        calls.push(`${host} ${o.name}`);
        return o.name === 'cluster-facts' ? { ...clusterOutput, durationMs: 2 } : { code: 0, stdout: probe(host), stderr: '', durationMs: 2 };
      },
      readFile: async () => undefined,
      writeFile: async () => undefined,
      upload: async () => undefined,
      close: async () => undefined,
    });
    const pool = new HostPool({ readOnly: true, connect: async (t) => fake(t.name) });
    try {
      const p = await observeAndPlan({ spec, specFile: 'cluster.yaml', specText: 'spec', pool, env: TEST_ENV, localFiles: localFiles(spec) });
      return { p, calls };
    } finally {
      await pool.close();
    }
  }

  it('reads the cluster once, from cp1 (it has admin.conf), and plans with it', async () => {
    const { p, calls } = await observe({ code: 0, stdout: readFileSync(`${FIXTURES}kubernetes/cluster-facts-kubectl.txt`, 'utf8'), stderr: '' });
    expect(calls.filter((c) => c.endsWith('cluster-facts'))).toEqual(['cp1 cluster-facts']);
    expect(p.cluster?.leaseHolders).toEqual({ scheduler: 'cp1', controllerManager: 'cp2' });
    expect(p.changes.find((c) => c.id === 'node-config@worker1')!.action).toBe('update');
  });

  it('a failing kubectl is a warning, and the plan goes on without cluster facts', async () => {
    const { p } = await observe({
      code: 1,
      stdout: '',
      stderr: 'The connection to the server 10.0.0.10:6443 was refused - did you specify the right host or port?',
    });
    expect(p.cluster?.leaseHolders).toBeUndefined();
    expect(p.diagnostics).toContainEqual({
      severity: 'warning',
      message: expect.stringContaining('the cluster could not be read (cp1: kubectl exited 1: The connection to the server'),
    });
    expect(p.changes.find((c) => c.id === 'node-config@worker1')!.action).toBe('read');
  });
});
