import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { observeAndPlan } from '../../src/commands/plan.js';
import { compile, type ResourceKind } from '../../src/resources/index.js';
import { hasChanges } from '../../src/plan/model.js';
import { factRequestFor, planClusterDetailed, type HostObservation } from '../../src/plan/planner.js';
import type { ClusterFacts } from '../../src/facts/cluster.js';
import { validatePlanDocument } from '../../src/plan/saved.js';
import { HostPool } from '../../src/transport/pool.js';
import type { ExecResult, Observation, Transport } from '../../src/transport/transport.js';
import { renderPlan } from '../../src/views/index.js';
import { applyPlan, bareCluster, FACT_FIXTURES, localFiles, planSpec, specFixture, specFromText, TEST_ENV } from '../resources/helpers.js';

const spec = specFixture('ha-haproxy.yaml');

describe('planCluster', () => {
  it('produces a plan document the plan schema accepts, the same bytes every time', () => {
    const facts = bareCluster(spec, (h) => (h.startsWith('lb') ? 'rocky9' : 'debian12'));
    const a = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec) }).plan;
    const b = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec) }).plan;
    expect(validatePlanDocument(JSON.parse(JSON.stringify(a)))).toEqual([]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(hasChanges(a)).toBe(true);
  });

  it('marks every resource of an unreachable host as read with the reason, and says so as an error', () => {
    const facts = bareCluster(spec, 'debian12');
    const { plan } = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec), unreachable: { cp2: 'connect ECONNREFUSED 10.0.0.12:22' } });
    const cp2 = plan.changes.filter((c) => c.host === 'cp2');
    expect(cp2.length).toBeGreaterThan(3);
    for (const c of cp2) {
      expect(c.action).toBe('read');
      expect(c.reason).toBe('host cp2 not observed');
      expect(c.steps).toEqual([]);
    }
    expect(plan.hosts.find((h) => h.name === 'cp2')).toEqual({ name: 'cp2', address: '10.0.0.12', unreachable: 'connect ECONNREFUSED 10.0.0.12:22' });
    expect(plan.diagnostics).toContainEqual({
      severity: 'error',
      host: 'cp2',
      message: expect.stringContaining('could not be observed (connect ECONNREFUSED'),
    });
    // The other hosts are planned all the same.
    expect(plan.changes.find((c) => c.id === 'containerd@cp1')?.action).toBe('create');
  });

  it('shows kinds this version does not plan as read with a reason, never as a no-op', () => {
    // Every graph kind is in the catalog now: a node of a kind the catalog lacks stands for a newer graph.
    const graph = compile(spec);
    const future = { id: 'future-kind@cp1', kind: 'future-kind' as ResourceKind, host: 'cp1' };
    graph.setNode(future.id, future);
    graph.setEdge('kube-packages@cp1', future.id);
    const obs = new Map<string, HostObservation>([...bareCluster(spec, 'debian12')].map(([h, f]) => [h, { ok: true, facts: f }]));
    const { plan } = planClusterDetailed({
      spec,
      specFile: 'cluster.yaml',
      specSha256: 'x',
      graph,
      facts: obs,
      env: TEST_ENV,
      localFiles: localFiles(spec),
      createdAt: new Date(0),
    });
    const c = plan.changes.find((x) => x.id === future.id);
    expect(c!.action).toBe('read');
    expect(c!.reason).toBe('not yet planned by this version of hactl');
    expect(c!.dependsOn).toEqual(['kube-packages@cp1']);
    const w = plan.diagnostics.find((d) => d.message.startsWith('not yet planned by this version of hactl'));
    expect(w?.severity).toBe('warning');
    expect(w?.message).toContain('future-kind');
    expect(plan.changes.filter((x) => x.reason === 'not yet planned by this version of hactl').map((x) => x.id)).toEqual([future.id]);
  });

  // The cluster's records: a Node object per host, at its InternalIP.
  const clusterWith = (extra: { name: string; addresses?: string[] }[]): ClusterFacts => ({
    observedFrom: 'cp1',
    nodes: [
      ...spec.hosts.filter((h) => h.roles.includes('control-plane') || h.roles.includes('worker')).map((h) => ({ name: h.name, addresses: [h.address] })),
      ...extra,
    ].map((n) => ({
      ready: true,
      labels: {},
      annotations: {},
      taints: [],
      unschedulable: false,
      ...n,
    })),
    daemonsets: [],
    leaseHolders: {},
  });
  const converged = () => {
    const facts = bareCluster(spec, 'debian12');
    return applyPlan(spec, facts, planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec) }));
  };

  it('plans the removal of a node the cluster still has and the spec no longer lists', () => {
    const { plan } = planSpec(spec, converged(), {
      env: TEST_ENV,
      localFiles: localFiles(spec),
      clusterFacts: clusterWith([{ name: 'worker2', addresses: ['10.0.0.22'] }]),
    });
    expect(plan.hosts.find((h) => h.name === 'worker2')).toEqual({ name: 'worker2', address: '10.0.0.22', removed: true });
    const removal = plan.changes.find((c) => c.id === 'host-removal@worker2');
    expect(removal?.action).toBe('delete');
    expect(removal?.kind).toBe('host-removal');
    expect(removal?.reason).toContain('no longer in the spec (the cluster still has it: Kubernetes node)');
    expect(removal?.steps[0]).toContain('on cp1: drain node worker2');
    expect(plan.diagnostics).toContainEqual({ severity: 'warning', host: 'worker2', message: expect.stringContaining('removal is planned') });
  });

  it('never takes a removal target from what a host wrote: a hostile /etc/hosts entry is ignored', () => {
    const facts = converged();
    const cp1 = structuredClone(facts.get('cp1')!);
    cp1.files['/etc/hosts']!.content = cp1.files['/etc/hosts']!.content!.replace('# END hactl', '203.0.113.66 victim\n10.0.0.23 worker3\n# END hactl');
    facts.set('cp1', cp1);
    const { plan, operations } = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec), clusterFacts: clusterWith([]) });
    expect(plan.hosts.map((h) => h.name)).not.toContain('victim');
    expect(plan.hosts.map((h) => h.name)).not.toContain('worker3');
    expect(plan.changes.filter((c) => c.kind === 'host-removal')).toEqual([]);
    expect(JSON.stringify([...operations.values()])).not.toContain('203.0.113.66');
    // os-prep puts cp1's block back as the spec says.
    expect(plan.changes.find((c) => c.id === 'os-prep@cp1')?.files.find((f) => f.path === '/etc/hosts')?.diff).toContain('-203.0.113.66 victim');
  });

  it("a node whose address is outside the spec's networks is reported, never dialled", () => {
    const { plan } = planSpec(spec, converged(), {
      env: TEST_ENV,
      localFiles: localFiles(spec),
      clusterFacts: clusterWith([{ name: 'rogue', addresses: ['203.0.113.66'] }, { name: 'bare' }]),
    });
    expect(plan.hosts.map((h) => h.name)).not.toContain('rogue');
    expect(plan.changes.filter((c) => c.kind === 'host-removal')).toEqual([]);
    expect(plan.diagnostics).toContainEqual({
      severity: 'warning',
      host: 'rogue',
      message: expect.stringContaining("203.0.113.66 is not in the spec's networks (10.0.0.0/24)"),
    });
    expect(plan.diagnostics).toContainEqual({
      severity: 'warning',
      host: 'bare',
      message: expect.stringContaining("it has no InternalIP address in the spec's networks"),
    });
  });

  it('lists certificates expiring within kubernetes.certificates.warnWithinDays (default 90)', () => {
    const facts = bareCluster(spec, 'debian12');
    const cp1 = facts.get('cp1')!;
    cp1.certificates = [
      { path: '/etc/kubernetes/pki/apiserver.crt', daysLeft: 12 },
      { path: '/etc/kubernetes/pki/apiserver-kubelet-client.crt', daysLeft: 89 },
      { path: '/etc/kubernetes/pki/etcd/server.crt', daysLeft: 90 },
      { path: '/etc/kubernetes/pki/ca.crt', daysLeft: 3000 },
      { path: '/etc/kubernetes/pki/front-proxy-client.crt', daysLeft: -2 },
      { path: '/etc/kubernetes/pki/odd.crt', error: 'unable to load certificate' },
    ];
    const { plan } = planSpec(spec, facts, { env: TEST_ENV, localFiles: localFiles(spec) });
    expect(plan.cluster?.expiringCertificates).toEqual([
      { host: 'cp1', path: '/etc/kubernetes/pki/front-proxy-client.crt', daysLeft: -2 },
      { host: 'cp1', path: '/etc/kubernetes/pki/apiserver.crt', daysLeft: 12 },
      { host: 'cp1', path: '/etc/kubernetes/pki/apiserver-kubelet-client.crt', daysLeft: 89 },
    ]);
  });

  it('marks resources whose versions depend on pending package sources', () => {
    const { plan } = planSpec(spec, bareCluster(spec, 'debian12'), { env: TEST_ENV, localFiles: localFiles(spec) });
    expect(plan.changes.find((c) => c.id === 'kube-packages@worker1')?.pendingOn).toEqual(['package-sources@worker1']);
    expect(plan.changes.find((c) => c.id === 'lb-haproxy@lb1')?.pendingOn).toEqual(['package-sources@lb1']);
    expect(plan.changes.find((c) => c.id === 'package-sources@lb1')?.pendingOn).toBeUndefined();
  });
});

describe('secrets', () => {
  it('the VRRP password appears in no view of the plan and in no step; only in the sensitive write itself', () => {
    const password = 'Q7zk-p2';
    const facts = bareCluster(spec, 'debian12');
    const detailed = planSpec(spec, facts, { env: { HACTL_TEST_VRRP: password }, localFiles: localFiles(spec) });
    for (const format of ['human', 'json', 'markdown'] as const) expect(renderPlan(detailed.plan, format)).not.toContain(password);
    expect(JSON.stringify(detailed.plan)).not.toContain(password);
    const ops = [...detailed.operations.values()].flat();
    for (const o of ops) expect(o.description).not.toContain(password);
    const carrying = ops.filter((o) => 'writeFile' in o && o.writeFile.content.includes(password));
    expect(carrying.length).toBe(2); // lb1 and lb2's candidate keepalived.conf
    for (const o of carrying) expect(o.sensitive).toBe(true);
    for (const o of ops) if ('command' in o) expect(o.command).not.toContain(password);

    // A changed password is still only "changed".
    const converged = applyPlan(spec, facts, detailed);
    const again = planSpec(spec, converged, { env: { HACTL_TEST_VRRP: 'other-pw' }, localFiles: localFiles(spec) });
    const f = again.plan.changes.find((c) => c.id === 'lb-keepalived@lb1')!.files[0]!;
    expect(f).toEqual({ path: '/etc/keepalived/keepalived.conf', action: 'update', mode: { before: '0600', after: '0600' }, diff: '', sensitive: true });
    for (const format of ['human', 'json', 'markdown'] as const) {
      const out = renderPlan(again.plan, format);
      expect(out).not.toContain(password);
      expect(out).not.toContain('other-pw');
    }
  });
});

describe('registry credentials', () => {
  it('go into config.toml (0600); the diff masks the password and the write is marked sensitive', () => {
    const text = readFileSync(new URL('../fixtures/resources/ha-haproxy.yaml', import.meta.url), 'utf8').replace(
      '      caFile: files/harbor-ca.crt\n',
      '      caFile: files/harbor-ca.crt\n      usernameEnv: HACTL_TEST_REG_USER\n      passwordEnv: HACTL_TEST_REG_PASS\n',
    );
    const withAuth = specFromText(text, fileURLToPath(new URL('../fixtures/resources/auth.yaml', import.meta.url)));
    const detailed = planSpec(withAuth, bareCluster(withAuth, 'debian12'), { env: TEST_ENV, localFiles: localFiles(withAuth) });
    const f = detailed.plan.changes.find((c) => c.id === 'containerd@cp1')!.files.find((x) => x.path === '/etc/containerd/config.toml')!;
    expect(f.mode).toEqual({ after: '0600' });
    expect(f.diff).toContain('+[plugins."io.containerd.grpc.v1.cri".registry.configs."harbor.corp.internal".auth]');
    expect(f.diff).toContain('+  username = "robot$ci"');
    expect(f.diff).toContain('+  password = "(sensitive value)"');
    const password = TEST_ENV.HACTL_TEST_REG_PASS!;
    for (const format of ['human', 'json', 'markdown'] as const) {
      const out = renderPlan(detailed.plan, format);
      expect(out).not.toContain(password);
      expect(out).not.toContain('r3g-Pa55');
    }
    const write = detailed.operations.get('containerd@cp1')!.find((o) => 'writeFile' in o && o.writeFile.path === '/etc/containerd/config.toml')!;
    expect(write.sensitive).toBe(true);
    // The password is TOML-escaped in the file: the raw value has a double quote.
    expect('writeFile' in write && write.writeFile.content).toContain('password = "r3g-Pa55\\"word"');

    const missing = planSpec(withAuth, bareCluster(withAuth, 'debian12'), { env: { HACTL_TEST_VRRP: 'x' }, localFiles: localFiles(withAuth) });
    expect(missing.plan.diagnostics).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        resource: 'containerd@cp1',
        message: expect.stringContaining('HACTL_TEST_REG_USER, HACTL_TEST_REG_PASS not set'),
      }),
    );
  });
});

describe('factRequestFor', () => {
  it('unions what every kind reads with the defaults', () => {
    const req = factRequestFor(spec, compile(spec));
    expect(req.files).toEqual(
      expect.arrayContaining([
        '/etc/containerd/config.toml',
        '/etc/containerd/certs.d/docker.io/hosts.toml',
        '/etc/containerd/certs.d/harbor.corp.internal/hosts.toml',
        '/etc/containerd/certs.d/harbor.corp.internal/ca.crt',
        '/etc/apt/keyrings/hactl-kubernetes-0.asc',
        '/etc/pki/rpm-gpg/hactl-kubernetes-0.asc',
        '/etc/apt/sources.list',
        '/etc/yum.repos.d/rocky.repo',
        '/etc/keepalived/keepalived.conf',
        '/etc/haproxy/haproxy.cfg',
      ]),
    );
    // Only kinds in the graph add to it: no kube-vip here.
    expect(req.files).not.toContain('/etc/kubernetes/manifests/kube-vip.yaml');
    expect(req.packages).toEqual(expect.arrayContaining(['python3-dnf-plugin-versionlock', 'kubeadm', 'containerd.io', 'chrony']));
    expect(req.modules).toEqual(expect.arrayContaining(['br_netfilter', 'overlay']));
    expect(new Set(req.files).size).toBe(req.files.length);
  });
});

describe('plan observes, never writes', () => {
  it('every host is only observed through the read-only pool: no exec, write or upload reaches a host', async () => {
    const calls: string[] = [];
    const probe = (h: string) => readFileSync(`${FACT_FIXTURES}${h.startsWith('lb') ? 'rocky9' : 'debian12'}.txt`, 'utf8');
    const fake = (host: string): Transport => ({
      host,
      readOnly: false,
      exec: async (cmd) => (calls.push(`${host} exec ${cmd}`), result('')),
      observe: async (o: Observation) => (calls.push(`${host} observe ${o.name}`), result(probe(host))),
      readFile: async (p) => (calls.push(`${host} read ${p}`), undefined),
      writeFile: async (p) => void calls.push(`${host} write ${p}`),
      upload: async (_l, r) => void calls.push(`${host} upload ${r}`),
      close: async () => undefined,
    });
    const pool = new HostPool({ readOnly: true, connect: async (t) => fake(t.name) });
    const plan = await observeAndPlan({ spec, specFile: 'cluster.yaml', specText: 'spec', pool, env: TEST_ENV, localFiles: localFiles(spec) });
    await pool.close();
    expect(calls.sort()).toEqual(spec.hosts.map((h) => `${h.name} observe facts-probe`).sort());
    expect(plan.hosts.every((h) => h.unreachable === undefined && h.factsDigest !== undefined)).toBe(true);
    expect(plan.changes.find((c) => c.id === 'lb-haproxy@lb1')?.action).toBe('update');
  });

  it('reads the cluster facts from a control-plane host while the other hosts are still being observed', async () => {
    const order: string[] = [];
    let releaseOthers = (): void => undefined;
    const othersHeld = new Promise<void>((r) => (releaseOthers = r));
    // Without the overlap the read would never come while the others wait: they go on after 2 s.
    const fallback = setTimeout(() => releaseOthers(), 2000);
    const fake = (host: string): Transport => ({
      host,
      readOnly: false,
      exec: async () => result(''),
      observe: async (o: Observation) => {
        if (o.name === 'cluster-facts') {
          order.push(`${host} cluster-facts`);
          releaseOthers();
          return result('');
        }
        if (!host.startsWith('cp')) await othersHeld;
        order.push(`${host} ${o.name}`);
        return result(readFileSync(`${FACT_FIXTURES}${host.startsWith('cp') ? 'ubuntu2204' : 'debian12'}.txt`, 'utf8'));
      },
      readFile: async () => undefined,
      writeFile: async () => undefined,
      upload: async () => undefined,
      close: async () => undefined,
    });
    const pool = new HostPool({ readOnly: true, connect: async (t) => fake(t.name) });
    await observeAndPlan({ spec, specFile: 'cluster.yaml', specText: 'spec', pool, env: TEST_ENV, localFiles: localFiles(spec) });
    await pool.close();
    clearTimeout(fallback);
    expect(order).toContain('cp1 cluster-facts');
    expect(order.indexOf('cp1 cluster-facts')).toBeLessThan(order.indexOf('worker1 facts-probe'));
    expect(order.filter((o) => o.endsWith('facts-probe')).sort()).toEqual(spec.hosts.map((h) => `${h.name} facts-probe`).sort());
  });

  it('refuses a pool that could write', async () => {
    const pool = new HostPool({
      readOnly: false,
      connect: async () => {
        throw new Error('not reached');
      },
    });
    await expect(observeAndPlan({ spec, specFile: 'c', specText: '', pool, env: {}, localFiles: new Map() })).rejects.toThrow(/read-only/);
  });
});

function result(stdout: string): ExecResult {
  return { code: 0, stdout, stderr: '', durationMs: 5 };
}
