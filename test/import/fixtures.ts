// Observations of clusters built without hactl, as data: the files kubeadm, the kubeadm HA guide,
// kubeasz-like layouts and k3s leave on their hosts, and the cluster's records.
import type { ClusterFacts, ClusterNode } from '../../src/facts/cluster.js';
import type { ImportFiles } from '../../src/facts/import.js';
import type { HostFacts } from '../../src/facts/types.js';
import type { ImportObservation, ObservedHost } from '../../src/import/infer.js';
import { bareFacts } from '../resources/helpers.js';

export const CA_A = '-----BEGIN CERTIFICATE-----\nMIIA...cluster-a\n-----END CERTIFICATE-----\n';
export const CA_B = '-----BEGIN CERTIFICATE-----\nMIIB...cluster-b\n-----END CERTIFICATE-----\n';

export function files(entries: Record<string, string>, extra: Partial<ImportFiles> = {}): ImportFiles {
  return {
    files: { ...entries },
    bytes: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)])),
    tooBig: [],
    servers: {},
    exists: [],
    ...extra,
  };
}

export function apiserverManifest(address: string, version: string, opts: { etcdServers?: string; serviceRange?: string; bind?: string } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=${address}
    - --allow-privileged=true
    - --etcd-servers=${opts.etcdServers ?? 'https://127.0.0.1:2379'}
    - --secure-port=6443
    - --service-cluster-ip-range=${opts.serviceRange ?? '10.96.0.0/12'}
${opts.bind !== undefined ? `    - --bind-address=${opts.bind}\n` : ''}    image: registry.k8s.io/kube-apiserver:v${version}
    name: kube-apiserver
`;
}

export function etcdManifest(name: string, address: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --name=${name}
    - --listen-client-urls=https://127.0.0.1:2379,https://${address}:2379
    image: registry.k8s.io/etcd:3.6.9-0
    name: etcd
`;
}

export function controllerManagerManifest(version: string, clusterCidr?: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: kube-controller-manager
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-controller-manager
    - --leader-elect=true
${clusterCidr !== undefined ? `    - --allocate-node-cidrs=true\n    - --cluster-cidr=${clusterCidr}\n` : ''}    image: registry.k8s.io/kube-controller-manager:v${version}
    name: kube-controller-manager
`;
}

export const KUBELET_CONFIG = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\nclusterDomain: cluster.local\n';

export const CONTAINERD_CONFIG =
  'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.10.1"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n';

export const HOSTS_TOML = 'server = "https://registry-1.docker.io"\n\n[host."http://mirror.corp:5000"]\n  capabilities = ["pull", "resolve"]\n';

export function kubeFacts(name: string, address: string, over: Partial<HostFacts> = {}): HostFacts {
  const f = bareFacts('debian12', address, { hostname: name, cgroupMode: 'v2', ...over });
  f.kubernetes = { present: true, confFiles: ['kubelet.conf'], manifests: [], kubeletConfig: true, caPresent: true };
  f.packages = { kubelet: { installed: true, version: '1.34.9-1.1', held: true }, containerd: { installed: true, version: '1.7.24~ds1-1', held: false } };
  return f;
}

export interface CpOptions {
  version?: string;
  ca?: string;
  endpointServer?: string;
  etcd?: boolean;
  extra?: Record<string, string>;
  facts?: Partial<HostFacts>;
}

export function controlPlaneHost(name: string, address: string, o: CpOptions = {}): ObservedHost {
  const version = o.version ?? '1.34.9';
  const f = kubeFacts(name, address, o.facts);
  f.kubernetes = {
    present: true,
    confFiles: ['admin.conf', 'controller-manager.conf', 'kubelet.conf', 'scheduler.conf', 'super-admin.conf'],
    manifests: ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'],
    kubeletConfig: true,
    caPresent: true,
  };
  f.certificates = [
    { path: '/etc/kubernetes/pki/ca.crt', notAfter: 'Dec  1 10:00:00 2036 GMT', daysLeft: 3646 },
    { path: '/etc/kubernetes/pki/apiserver.crt', notAfter: 'Dec  1 10:00:00 2027 GMT', daysLeft: 359 },
  ];
  const fl = files({
    '/etc/kubernetes/manifests/kube-apiserver.yaml': apiserverManifest(address, version),
    '/etc/kubernetes/manifests/kube-controller-manager.yaml': controllerManagerManifest(version, '10.244.0.0/16'),
    ...(o.etcd === false ? {} : { '/etc/kubernetes/manifests/etcd.yaml': etcdManifest(name, address) }),
    '/etc/kubernetes/pki/ca.crt': o.ca ?? CA_A,
    '/var/lib/kubelet/config.yaml': KUBELET_CONFIG,
    '/etc/containerd/config.toml': CONTAINERD_CONFIG,
    '/etc/containerd/certs.d/docker.io/hosts.toml': HOSTS_TOML,
    ...(o.extra ?? {}),
  });
  const server = o.endpointServer ?? 'https://198.18.0.100:6443';
  fl.servers = { '/etc/kubernetes/admin.conf': [server], '/etc/kubernetes/kubelet.conf': [server] };
  return { address, facts: f, files: fl };
}

export function workerHost(name: string, address: string, o: { ca?: string; server?: string; extra?: Record<string, string> } = {}): ObservedHost {
  const fl = files({
    '/etc/kubernetes/pki/ca.crt': o.ca ?? CA_A,
    '/var/lib/kubelet/config.yaml': KUBELET_CONFIG,
    '/etc/containerd/config.toml': CONTAINERD_CONFIG,
    ...(o.extra ?? {}),
  });
  fl.servers = { '/etc/kubernetes/kubelet.conf': [o.server ?? 'https://198.18.0.100:6443'] };
  return { address, facts: kubeFacts(name, address), files: fl };
}

export const HAPROXY_GUIDE = (backends: string[]) =>
  `frontend apiserver\n    bind *:6443\n    mode tcp\n    default_backend apiserverbackend\nbackend apiserverbackend\n    option httpchk\n    mode tcp\n${backends.map((b, i) => `    server cp${i + 1} ${b}:6443 check inter 2s fall 3 rise 2`).join('\n')}\n`;

export const KEEPALIVED_GUIDE = (vip: string) =>
  `global_defs {\n    router_id LVS_DEVEL\n}\nvrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 101\n    authentication {\n        auth_type PASS\n        auth_pass 42\n    }\n    virtual_ipaddress {\n        ${vip}/24\n    }\n}\n`;

export function lbHost(name: string, address: string, backends: string[], vip = '198.18.0.100'): ObservedHost {
  const f = bareFacts('debian12', address, { hostname: name });
  return {
    address,
    facts: f,
    files: files({ '/etc/haproxy/haproxy.cfg': HAPROXY_GUIDE(backends), '/etc/keepalived/keepalived.conf': KEEPALIVED_GUIDE(vip) }),
  };
}

export function node(name: string, address: string, controlPlane: boolean, over: Partial<ClusterNode> = {}): ClusterNode {
  return {
    name,
    ready: true,
    labels: { 'kubernetes.io/hostname': name, ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}) },
    annotations: {},
    taints: controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [],
    kubeletVersion: 'v1.34.9',
    unschedulable: false,
    addresses: [address],
    ...over,
  };
}

export function cluster(nodes: ClusterNode[], observedFrom = 'cp1', daemonsets: ClusterFacts['daemonsets'] = []): ClusterFacts {
  return { observedFrom, nodes, daemonsets, leaseHolders: {} };
}

export const CLUSTER_CONFIGURATION = `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.9
controlPlaneEndpoint: 198.18.0.100:6443
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
  dnsDomain: cluster.local
`;

/** The kubeadm HA guide: lb1 with keepalived + haproxy, three stacked control-plane hosts. */
export function byHandHa(): ImportObservation {
  const cps = [
    ['cp1', '198.18.0.13'],
    ['cp2', '198.18.0.14'],
    ['cp3', '198.18.0.15'],
  ] as const;
  return {
    hosts: [
      lbHost(
        'lb1',
        '198.18.0.11',
        cps.map((c) => c[1]),
      ),
      ...cps.map(([n, a]) => controlPlaneHost(n, a)),
    ],
    cluster: cluster(cps.map(([n, a]) => node(n, a, true))),
    records: { clusterConfiguration: CLUSTER_CONFIGURATION },
  };
}

export const KUBE_LB_CONF = (backends: string[]) =>
  `user root;\nworker_processes 1;\nevents {\n    worker_connections  3000;\n}\nstream {\n    upstream backend {\n${backends.map((b) => `        server ${b}:6443    max_fails=2 fail_timeout=3s;`).join('\n')}\n    }\n    server {\n        listen 127.0.0.1:6443;\n        proxy_connect_timeout 1s;\n        proxy_pass backend;\n    }\n}\n`;

/** kubeasz-like: kube-lb on every node at 127.0.0.1:6443, one control-plane host, two workers. */
export function kubeaszLike(): ImportObservation {
  const lb = { '/etc/kube-lb/conf/kube-lb.conf': KUBE_LB_CONF(['198.18.0.16']) };
  const cp = controlPlaneHost('w1', '198.18.0.16', {
    version: '1.37.2',
    endpointServer: 'https://127.0.0.1:6443',
    extra: { ...lb, '/var/lib/kubelet/config.yaml': `${KUBELET_CONFIG}failCgroupV1: false\n` },
    facts: { cgroupMode: 'hybrid' },
  });
  return {
    hosts: [
      cp,
      workerHost('w2', '198.18.0.17', { server: 'https://127.0.0.1:6443', extra: lb }),
      workerHost('lb2', '198.18.0.12', { server: 'https://127.0.0.1:6443', extra: lb }),
    ],
    cluster: cluster([node('w1', '198.18.0.16', true), node('w2', '198.18.0.17', false), node('lb2', '198.18.0.12', false)], 'w1'),
    records: {
      clusterConfiguration:
        'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.37.2\ncontrolPlaneEndpoint: 127.0.0.1:6443\nnetworking:\n  podSubnet: 172.20.0.0/16\n  serviceSubnet: 10.68.0.0/16\n  dnsDomain: cluster.local\n',
    },
  };
}
