import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { armoredKey, ImportRefusal, inferSpec, type ImportObservation, type ImportResult } from '../../src/import/infer.js';
import { loadSpec } from '../../src/spec/index.js';
import { byHandHa, CA_B, cluster, controlPlaneHost, files, kubeaszLike, lbHost, node, workerHost } from './fixtures.js';
import { bareFacts } from '../resources/helpers.js';

const OPTS = { ssh: { user: 'root', privateKeyFile: 'id_ed25519', knownHostsFile: 'known_hosts' }, keyFileName: 'cluster-kubernetes-release.asc' };

function refusal(obs: ImportObservation, opts: Partial<typeof OPTS> & { manageLoadBalancer?: boolean } = {}): string {
  try {
    inferSpec(obs, { ...OPTS, ...opts });
  } catch (e) {
    if (e instanceof ImportRefusal) return e.reasons.join('\n');
    throw e;
  }
  throw new Error('expected a refusal');
}

function text(r: ImportResult): string {
  return r.document.toString({ lineWidth: 0 });
}

/** The spec as `hactl validate` loads it. */
function validated(r: ImportResult) {
  const loaded = loadSpec(text(r), '/tmp/import-test/cluster.yaml');
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return loaded.spec!;
}

describe('inferSpec: the kubeadm HA guide (keepalived + haproxy on their own host)', () => {
  it('hosts, roles, endpoint, etcd, version, networks, containerd mirror; the load balancer left alone by default', () => {
    const r = inferSpec(byHandHa(), OPTS);
    const spec = validated(r);
    expect(spec.hosts.map((h) => [h.name, h.address, h.roles])).toEqual([
      ['cp1', '198.18.0.13', ['control-plane']],
      ['cp2', '198.18.0.14', ['control-plane']],
      ['cp3', '198.18.0.15', ['control-plane']],
    ]);
    expect(spec.controlPlaneEndpoint).toMatchObject({ host: '198.18.0.100', port: 6443 });
    expect(spec.loadBalancer.type).toBe('external');
    expect(spec.etcd.topology).toBe('stacked');
    expect(spec.kubernetes).toMatchObject({ version: '1.34.9', podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', clusterDomain: 'cluster.local' });
    expect(spec.containerd.registryMirrors).toEqual([{ registry: 'docker.io', endpoints: ['http://mirror.corp:5000'] }]);
    expect(spec.cni.plugin).toBe('unmanaged');
    expect(r.unmanaged.join('\n')).toMatch(/keepalived \(VIP 198\.18\.0\.100\) and haproxy on lb1: left as they are/);
  });

  it('every guessed value carries a comment saying what it was inferred from', () => {
    const t = text(inferSpec(byHandHa(), OPTS));
    expect(t).toMatch(/version: 1\.34\.9 # inferred from the kube-apiserver image \(registry\.k8s\.io\/kube-apiserver:v1\.34\.9\)/);
    expect(t).toMatch(/host: 198\.18\.0\.100 # inferred from controlPlaneEndpoint in the cluster's kubeadm-config ConfigMap/);
    expect(t).toMatch(/podSubnet: 10\.244\.0\.0\/16 # inferred from networking\.podSubnet in kubeadm-config/);
    expect(t).toMatch(/topology: stacked # inferred from etcd static pods on cp1, cp2, cp3/);
    expect(t).toMatch(/plugin: unmanaged # inferred from what runs/);
    expect(t).toMatch(/# inferred from control plane: static pods etcd, kube-apiserver, kube-controller-manager\n\s+roles:/);
    expect(t).toMatch(/certificates: the first to expire is \/etc\/kubernetes\/pki\/apiserver\.crt on cp1, in 359 days/);
  });

  it('with --manage-load-balancer: keepalived-haproxy on the dedicated lb host, its settings read from its configs', () => {
    const r = inferSpec(byHandHa(), { ...OPTS, manageLoadBalancer: true });
    const spec = validated(r);
    expect(spec.hosts[0]).toMatchObject({ name: 'lb1', roles: ['lb'] });
    expect(spec.loadBalancer).toMatchObject({
      type: 'keepalived-haproxy',
      placement: 'dedicated',
      keepalived: {
        interface: 'eth0',
        virtualRouterId: 51,
        priorities: { lb1: 101 },
        unicast: false,
        subnetPrefix: 24,
        authPasswordEnv: 'HACTL_VRRP_PASSWORD',
      },
      healthCheck: { intervalMs: 2000, fall: 3, rise: 2 },
    });
    // The password itself is never copied.
    expect(text(r)).not.toMatch(/\b42\b/);
  });

  it('without kubeadm-config, the networks come from the manifests and the endpoint from admin.conf', () => {
    const obs = byHandHa();
    delete obs.records;
    const spec = validated(inferSpec(obs, OPTS));
    expect(spec.controlPlaneEndpoint.host).toBe('198.18.0.100');
    expect(spec.kubernetes.podSubnet).toBe('10.244.0.0/16');
    expect(spec.kubernetes.serviceSubnet).toBe('10.96.0.0/12');
  });

  it('a recognised CNI is recorded with its version; node labels someone set are kept', () => {
    const obs = byHandHa();
    obs.cluster = cluster(
      [
        node('cp1', '198.18.0.13', true, { labels: { 'kubernetes.io/hostname': 'cp1', 'topology.example.com/rack': 'r1' } }),
        node('cp2', '198.18.0.14', true),
        node('cp3', '198.18.0.15', true),
      ],
      'cp1',
      [{ namespace: 'kube-system', name: 'calico-node', labels: {}, images: ['docker.io/calico/node:v3.28.2'], desiredNumberScheduled: 3, numberReady: 3 }],
    );
    const spec = validated(inferSpec(obs, OPTS));
    expect(spec.cni).toMatchObject({ plugin: 'calico', version: '3.28.2' });
    expect(spec.hosts[0]!.labels).toEqual({ 'topology.example.com/rack': 'r1' });
  });
});

describe('inferSpec: kubeasz-like (a local proxy on every node, no VIP)', () => {
  it('the endpoint is loopback, the proxies are left alone, workers and cgroup v1 are read', () => {
    const r = inferSpec(kubeaszLike(), OPTS);
    const spec = validated(r);
    expect(spec.hosts.map((h) => [h.name, h.roles])).toEqual([
      ['w1', ['control-plane']],
      ['w2', ['worker']],
      ['lb2', ['worker']],
    ]);
    expect(spec.controlPlaneEndpoint).toMatchObject({ host: '127.0.0.1', port: 6443 });
    expect(spec.loadBalancer.type).toBe('external');
    expect(spec.kubernetes).toMatchObject({ version: '1.37.2', podSubnet: '172.20.0.0/16', serviceSubnet: '10.68.0.0/16', kubelet: { allowCgroupV1: true } });
    expect(r.unmanaged.join('\n')).toMatch(/local API proxies on w1, w2, lb2 \(\/etc\/kube-lb\/conf\/kube-lb\.conf\)/);
    expect(text(r)).toContain('allowCgroupV1: true # inferred from failCgroupV1: false in the kubelet config');
  });
});

describe('inferSpec: package sources', () => {
  const KEY_ARMORED = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQGNBGXYZ\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
  it("pkgs.k8s.io's per-minor list gives the repository root; its key is written beside the spec", () => {
    const obs = byHandHa();
    for (const h of obs.hosts.slice(1)) {
      Object.assign(
        h.files,
        files({
          ...h.files.files,
          '/etc/apt/sources.list.d/kubernetes.list':
            'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.asc] https://pkgs.k8s.io/core:/stable:/v1.34/deb/ /\n',
          '/etc/apt/keyrings/kubernetes-apt-keyring.asc': KEY_ARMORED,
        }),
        { servers: h.files.servers },
      );
    }
    const r = inferSpec(obs, OPTS);
    const spec = validated(r);
    expect(spec.packages.kubernetesRepository.baseUrl).toBe('https://pkgs.k8s.io/');
    expect(spec.packages.kubernetesRepository.keyFile).toBe('/tmp/import-test/cluster-kubernetes-release.asc');
    expect(r.files).toEqual({ 'cluster-kubernetes-release.asc': KEY_ARMORED });
  });

  it('a dearmored (binary) key is armored as RFC 4880 says, checksum included', () => {
    // A public-key packet's first bytes, then anything: the armor is a base64 body and a CRC-24.
    const bin = Buffer.from([0x99, 0x01, 0x0d, 0x04, 0x65, 0xd8, 0x00, 0x01]);
    const a = armoredKey(bin)!;
    expect(a).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBGXYAAE=\n=[A-Za-z0-9+/]{4}\n-----END PGP PUBLIC KEY BLOCK-----\n$/);
    // CRC-24 of the bytes (RFC 4880 6.1), computed independently.
    let crc = 0xb704ce;
    for (const b of bin) {
      crc ^= b << 16;
      for (let i = 0; i < 8; i++) {
        crc = (crc << 1) & 0x1ffffff;
        if (crc & 0x1000000) crc ^= 0x1864cfb;
      }
    }
    const want = Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff]).toString('base64');
    expect(a).toContain(`\n=${want}\n`);
    expect(armoredKey(Buffer.from('not a key'))).toBeUndefined();
  });
});

describe('inferSpec refuses bad input with the reason', () => {
  it('hosts from two different clusters (their CAs differ)', () => {
    const obs = byHandHa();
    obs.hosts.push(controlPlaneHost('other1', '10.9.0.1', { ca: CA_B }));
    expect(refusal(obs)).toMatch(
      /the hosts belong to 2 different clusters \(their \/etc\/kubernetes\/pki\/ca\.crt differ\): cp1 \(198\.18\.0\.13\), cp2 .* trust CA sha256 [0-9a-f]{12}…; other1 \(10\.9\.0\.1\) trust/,
    );
  });

  it('a load balancer of another cluster', () => {
    const obs = byHandHa();
    obs.hosts.push(lbHost('lbx', '10.9.0.2', ['10.9.0.21', '10.9.0.22']));
    expect(refusal(obs)).toMatch(/lbx \(10\.9\.0\.2\) balances 10\.9\.0\.21, 10\.9\.0\.22, none of which is a control-plane host given here/);
  });

  it('a worker that is not a node of the cluster read', () => {
    const obs = byHandHa();
    obs.hosts.push(workerHost('stray', '10.9.0.3'));
    expect(refusal(obs)).toMatch(/stray \(10\.9\.0\.3\) runs a kubelet but is not a node of the cluster read from cp1/);
  });

  it('a cluster not built with kubeadm (k3s)', () => {
    const f = bareFacts('debian12', '10.0.0.5', { hostname: 'k3s1', processes: ['systemd', 'k3s-server', 'containerd'] });
    f.units = { 'k3s.service': { exists: true, active: true, enabled: true } };
    const obs: ImportObservation = {
      hosts: [{ address: '10.0.0.5', facts: f, files: files({}, { exists: ['/usr/local/bin/k3s', '/etc/rancher/k3s'] }) }],
    };
    expect(refusal(obs)).toMatch(
      /k3s1 \(10\.0\.0\.5\): it runs k3s \(\/usr\/local\/bin\/k3s, \/etc\/rancher\/k3s, unit k3s, process k3s-server\), not a cluster built with kubeadm/,
    );
  });

  it('a binary install (kube-apiserver as a systemd service)', () => {
    const f = bareFacts('debian12', '10.0.0.6', { hostname: 'm1' });
    f.units = { 'kube-apiserver.service': { exists: true, active: true, enabled: true } };
    expect(refusal({ hosts: [{ address: '10.0.0.6', facts: f, files: files({}) }] })).toMatch(
      /m1 \(10\.0\.0\.6\): it runs kube-apiserver as a systemd service/,
    );
  });

  it('hosts with no Kubernetes at all', () => {
    const obs: ImportObservation = { hosts: [{ address: '10.0.0.7', facts: bareFacts('debian12', '10.0.0.7', { hostname: 'plain' }), files: files({}) }] };
    expect(refusal(obs)).toMatch(/plain \(10\.0\.0\.7\): no Kubernetes here: no kubelet configured by kubeadm, no static pods/);
  });

  it('workers only: no control-plane host given', () => {
    const obs: ImportObservation = { hosts: [workerHost('w1', '10.0.0.8')], cluster: cluster([node('w1', '10.0.0.8', false)]) };
    expect(refusal(obs)).toMatch(/none of the hosts runs a control plane/);
  });

  it('a node of the cluster that was not given (its removal would be planned)', () => {
    const obs = byHandHa();
    obs.hosts.pop();
    expect(refusal(obs)).toMatch(/the cluster has nodes that were not given: cp3 \(198\.18\.0\.15\)/);
  });

  it('the cluster could not be read', () => {
    const obs = byHandHa();
    delete obs.cluster;
    obs.clusterError = 'cp1: kubectl exited 1: connection refused';
    expect(refusal(obs)).toMatch(/the cluster could not be read from a control-plane host \(cp1: kubectl exited 1: connection refused\)/);
  });

  it('external etcd', () => {
    const obs = byHandHa();
    obs.hosts = [obs.hosts[0]!, ...['cp1', 'cp2', 'cp3'].map((n, i) => controlPlaneHost(n, `198.18.0.${13 + i}`, { etcd: false }))];
    for (const h of obs.hosts.slice(1)) {
      const path = '/etc/kubernetes/manifests/kube-apiserver.yaml';
      h.files.files[path] = h.files.files[path]!.replace('https://127.0.0.1:2379', 'https://10.0.0.31:2379,https://10.0.0.32:2379');
    }
    expect(refusal(obs)).toMatch(/the cluster uses external etcd \(https:\/\/10\.0\.0\.31:2379, https:\/\/10\.0\.0\.32:2379\)/);
  });

  it('a Kubernetes version outside the supported range, and control-plane hosts at different versions', () => {
    const old = byHandHa();
    old.hosts = [old.hosts[0]!, ...['cp1', 'cp2', 'cp3'].map((n, i) => controlPlaneHost(n, `198.18.0.${13 + i}`, { version: '1.31.4' }))];
    expect(refusal(old)).toMatch(/the cluster runs Kubernetes 1\.31\.4; hactl supports 1\.34 to 1\.37/);
    const mixed = byHandHa();
    mixed.hosts[3] = controlPlaneHost('cp3', '198.18.0.15', { version: '1.35.9' });
    expect(refusal(mixed)).toMatch(/different Kubernetes versions \(cp1: 1\.34\.9, cp2: 1\.34\.9, cp3: 1\.35\.9\)/);
  });
});

describe('the spec text', () => {
  it('is YAML with the header saying what is left alone', () => {
    const t = text(inferSpec(kubeaszLike(), OPTS));
    const o = parseYaml(t) as { metadata: { name: string } };
    expect(o.metadata.name).toBe('imported-127-0-0-1');
    expect(t.split('\n').slice(0, 6).join('\n')).toMatch(/Left alone by hactl \(not managed\):/);
  });
});
