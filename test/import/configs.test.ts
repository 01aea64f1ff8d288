import { describe, expect, it } from 'vitest';
import { parseClusterRecords, parseImportFiles, EXISTS_MARK, FILE_MARK, SERVER_MARK, TOO_BIG_MARK } from '../../src/facts/import.js';
import {
  durationDays,
  kubernetesRepositoryOf,
  parseAptSources,
  parseClusterConfiguration,
  parseContainerdConfig,
  parseEndpoint,
  parseHaproxy,
  parseHostsToml,
  parseKeepalived,
  parseNginxStream,
  parseStaticPod,
} from '../../src/import/configs.js';

describe('the import observation', () => {
  it('files in base64 (binary intact), big files listed, kubeconfig server lines only, markers', () => {
    const bin = Buffer.from([0x99, 0x01, 0xff, 0x00]);
    const out = [
      `${FILE_MARK}/etc/haproxy/haproxy.cfg`,
      Buffer.from('bind *:6443\n').toString('base64'),
      `${FILE_MARK}/etc/apt/keyrings/k.gpg`,
      bin.toString('base64'),
      `${TOO_BIG_MARK}/etc/nginx/nginx.conf`,
      `${SERVER_MARK}/etc/kubernetes/admin.conf https://10.0.0.10:6443`,
      `${EXISTS_MARK}/usr/local/bin/k3s`,
      '',
    ].join('\n');
    const f = parseImportFiles(out);
    expect(f.files['/etc/haproxy/haproxy.cfg']).toBe('bind *:6443\n');
    expect(f.bytes['/etc/apt/keyrings/k.gpg']).toEqual(bin);
    expect(f.tooBig).toEqual(['/etc/nginx/nginx.conf']);
    expect(f.servers).toEqual({ '/etc/kubernetes/admin.conf': ['https://10.0.0.10:6443'] });
    expect(f.exists).toEqual(['/usr/local/bin/k3s']);
  });

  it("the cluster's kubeadm records from kubectl's List", () => {
    const list = {
      kind: 'List',
      items: [
        { kind: 'ConfigMap', metadata: { name: 'kubeadm-config' }, data: { ClusterConfiguration: 'kind: ClusterConfiguration\n' } },
        { kind: 'ConfigMap', metadata: { name: 'kubelet-config' }, data: { kubelet: 'clusterDomain: c.local\n' } },
      ],
    };
    expect(parseClusterRecords(JSON.stringify(list))).toEqual({
      clusterConfiguration: 'kind: ClusterConfiguration\n',
      kubeletConfiguration: 'clusterDomain: c.local\n',
    });
  });
});

describe('config parsers', () => {
  it('static pods: flags from command and args, env, image version', () => {
    const p = parseStaticPod(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: kube-vip}\nspec:\n  containers:\n  - image: ghcr.io/kube-vip/kube-vip:v0.8.7\n    args: [manager, --arp=true]\n    env:\n    - {name: vip_interface, value: eth0}\n    - {name: address, value: 10.0.0.10}\n',
    )!;
    expect(p.flags).toEqual({ arp: 'true' });
    expect(p.env).toEqual({ vip_interface: 'eth0', address: '10.0.0.10' });
    expect(parseStaticPod('kind: Deployment\n')).toBeUndefined();
    expect(parseStaticPod('{{ not yaml')).toBeUndefined();
  });

  it('endpoints: host:port, URLs, IPv6 in brackets', () => {
    expect(parseEndpoint('https://lb.corp:8443/')).toEqual({ host: 'lb.corp', port: 8443 });
    expect(parseEndpoint('[fd00::10]:6443')).toEqual({ host: 'fd00::10', port: 6443 });
    expect(parseEndpoint('10.0.0.10')).toEqual({ host: '10.0.0.10', port: 6443 });
  });

  it('haproxy: binds, servers and their health check', () => {
    const c = parseHaproxy(
      'frontend f\n  bind *:8443 # co-located\nbackend b\n  server a 10.0.0.1:6443 check inter 500ms fall 2 rise 3\n  server b 10.0.0.2:6443 check\n',
    );
    expect(c).toEqual({
      listens: [{ host: '*', port: 8443 }],
      backends: [
        { host: '10.0.0.1', port: 6443 },
        { host: '10.0.0.2', port: 6443 },
      ],
      healthCheck: { intervalMs: 500, fall: 2, rise: 3 },
    });
  });

  it('nginx stream: upstream servers and listens, outside the http block', () => {
    const c = parseNginxStream(
      'http { server { listen 80; } }\nstream {\n  upstream u { server 10.0.0.1:6443 max_fails=2; }\n  server { listen 127.0.0.1:6443; proxy_pass u; }\n}\n',
    );
    expect(c.backends).toEqual([{ host: '10.0.0.1', port: 6443 }]);
    expect(c.listens).toEqual([{ host: '127.0.0.1', port: 6443 }]);
    expect(parseNginxStream('http { server { listen 80; } }').backends).toEqual([]);
  });

  it('keepalived: the instance settings; the password only as set or not', () => {
    const k = parseKeepalived(
      'vrrp_instance VI_1 {\n  state BACKUP\n  interface ens3\n  virtual_router_id 7\n  priority 90\n  unicast_peer {\n    10.0.0.2\n  }\n  authentication { auth_type PASS\n auth_pass s3cret }\n  virtual_ipaddress {\n    10.0.0.10/22 dev ens3\n  }\n}\n',
    );
    expect(k).toEqual({
      unicast: true,
      vips: [{ address: '10.0.0.10', prefix: 22 }],
      authPassword: true,
      virtualRouterId: 7,
      priority: 90,
      interface: 'ens3',
      state: 'BACKUP',
    });
    expect(JSON.stringify(k)).not.toContain('s3cret');
  });

  it('ClusterConfiguration: networks, endpoint, external etcd, validity', () => {
    const cc = parseClusterConfiguration(
      'kind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncontrolPlaneEndpoint: lb:6443\ncertificateValidityPeriod: 17520h0m0s\napiServer: {certSANs: [a.example]}\netcd: {external: {endpoints: [https://e1:2379]}}\nnetworking: {podSubnet: 10.1.0.0/16}\n',
    );
    expect(cc).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      controlPlaneEndpoint: 'lb:6443',
      podSubnet: '10.1.0.0/16',
      certSANs: ['a.example'],
      externalEtcd: ['https://e1:2379'],
      certificateValidityDays: 730,
    });
    expect(durationDays('8760h')).toBe(365);
    expect(durationDays('')).toBeUndefined();
  });

  it('containerd: version 2 and 3 keys, legacy mirrors; hosts.toml endpoints', () => {
    expect(
      parseContainerdConfig("version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10'\n"),
    ).toMatchObject({
      version: 3,
      sandboxImage: 'registry.k8s.io/pause:3.10',
    });
    expect(parseContainerdConfig('[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n').legacyMirrors).toEqual(['docker.io']);
    expect(parseHostsToml('server = "https://quay.io"\n[host."https://m1"]\n[host."https://m2"]\n')).toEqual({
      server: 'https://quay.io',
      hosts: ['https://m1', 'https://m2'],
    });
  });

  it('apt sources: one-line and deb822, options, disabled entries; the per-minor repository layout', () => {
    expect(
      parseAptSources(
        '/etc/apt/sources.list.d/k.list',
        '# x\ndeb [arch=amd64 signed-by=/k.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\ndeb-src http://x y z\n',
      ),
    ).toEqual([
      {
        uri: 'https://pkgs.k8s.io/core:/stable:/v1.35/deb/',
        suite: '/',
        components: [],
        trusted: false,
        signedBy: '/k.gpg',
        file: '/etc/apt/sources.list.d/k.list',
      },
    ]);
    expect(
      parseAptSources(
        '/etc/apt/sources.list.d/d.sources',
        'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nEnabled: no\nURIs: http://x\nSuites: y\n',
      ),
    ).toHaveLength(2);
    expect(kubernetesRepositoryOf('http://mirror:8765/core:/stable:/v1.34/deb/')).toEqual({ baseUrl: 'http://mirror:8765/', minor: '1.34', format: 'deb' });
    expect(kubernetesRepositoryOf('http://deb.debian.org/debian')).toBeUndefined();
  });
});
