// Plans built the way the planner will build them (through the model's builders), one per
// situation the views must render. Fixed timestamps and digests keep the golden files stable.

import type { ResourceKind } from '../../src/resources/index.js';
import { buildPlan, type Plan, type PlanHost } from '../../src/plan/model.js';
import { attr, fileChange, managedHeader, resourceChange, sha256, unknown, type ResourceChange } from '../../src/resources/diff.js';

const CREATED = '2026-11-22T08:00:00.000Z';
const SPEC = { file: 'cluster.yaml', sha256: sha256('cluster.yaml contents') };

const host = (name: string, address: string, extra: Partial<PlanHost> = {}): PlanHost => ({
  name,
  address,
  factsDigest: sha256(`facts of ${name}`),
  ...extra,
});

const node = (kind: ResourceKind, h?: string) => ({ id: h ? `${kind}@${h}` : kind, kind, host: h ?? 'cp1' });

const CONTAINERD_OLD = `${managedHeader()} 2026-10-01T10:00:00Z
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"   
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = false
`;

const CONTAINERD_NEW = `${managedHeader()} 2026-11-22T08:00:00Z
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = true
`;

export function noChanges(): Plan {
  const hosts = [host('cp1', '10.0.0.11'), host('w1', '10.0.0.21')];
  const changes: ResourceChange[] = ['cp1', 'w1'].flatMap((h) => [
    resourceChange(node('containerd', h), {
      attributes: [attr('version', '1.7.22', '1.7.22'), attr('systemdCgroup', true, true)],
      files: [fileChange({ path: '/etc/containerd/config.toml', before: CONTAINERD_NEW.replace('08:00:00', '07:00:00'), after: CONTAINERD_NEW })],
    }),
  ]);
  return buildPlan({ createdAt: CREATED, spec: SPEC, hosts, changes });
}

export function createsOnly(): Plan {
  const hosts = [host('cp1', '10.0.0.11'), host('cp2', '10.0.0.12')];
  const changes: ResourceChange[] = [
    resourceChange(node('containerd', 'cp1'), {
      action: 'create',
      attributes: [attr('version', undefined, '1.7.22'), attr('systemdCgroup', undefined, true)],
      files: [fileChange({ path: '/etc/containerd/config.toml', before: null, after: CONTAINERD_NEW, mode: { after: '0644' }, owner: { after: 'root:root' } })],
      steps: ['install containerd.io 1.7.22', 'write /etc/containerd/config.toml', 'systemctl enable --now containerd'],
    }),
    resourceChange(node('kubeadm-init'), {
      action: 'create',
      attributes: [
        attr('controlPlaneEndpoint', undefined, '10.0.0.10:6443'),
        attr('kubernetesVersion', undefined, '1.36.2'),
        attr('bootstrapToken', undefined, 'abcdef.0123456789abcdef', { sensitive: true }),
      ],
      steps: ['kubeadm init --config /etc/kubernetes/hactl/kubeadm.yaml --upload-certs'],
      dependsOn: ['containerd@cp1'],
    }),
    resourceChange(node('join-control-plane', 'cp2'), {
      action: 'create',
      reason: 'cp2 is not yet a member of the cluster',
      attributes: [attr('certificateKey', undefined, unknown()), attr('discoveryTokenCaCertHash', undefined, unknown())],
      steps: ['kubeadm join 10.0.0.10:6443 --control-plane (token and certificate key from kubeadm-init)'],
      dependsOn: ['kubeadm-init'],
      pendingOn: ['kubeadm-init'],
    }),
  ];
  return buildPlan({ createdAt: CREATED, spec: SPEC, hosts, changes });
}

export function updates(): Plan {
  const hosts = [host('cp1', '10.0.0.11'), host('w1', '10.0.0.21')];
  const registryPassword = 'hunter2-registry-pass';
  const changes: ResourceChange[] = [
    resourceChange(node('containerd', 'cp1'), {
      attributes: [
        attr('version', '1.7.20', '1.7.22'),
        attr('sandboxImage', 'registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.10'),
        attr('systemdCgroup', false, true),
        attr('registryPassword', 'old-pass-value', registryPassword, { sensitive: true }),
        attr('registryUsername', 'ci', 'ci'),
      ],
      files: [
        fileChange({ path: '/etc/containerd/config.toml', before: CONTAINERD_OLD, after: CONTAINERD_NEW }),
        fileChange({
          path: '/etc/containerd/certs.d/harbor.corp.example/hosts.toml',
          before: `server = "https://harbor.corp.example"\n[host."https://harbor.corp.example"]\n  auth = "old-pass-value"\n`,
          after: `server = "https://harbor.corp.example"\n[host."https://harbor.corp.example"]\n  auth = "${registryPassword}"\n`,
          sensitive: true,
          mode: { before: '0644', after: '0600' },
        }),
      ],
      steps: ['write /etc/containerd/config.toml', 'write registry credentials for harbor.corp.example', 'systemctl restart containerd'],
      dependsOn: ['os-prep@cp1'],
    }),
    resourceChange(node('os-prep', 'w1'), {
      attributes: [attr('swap', 'on', 'off')],
      files: [
        fileChange({
          path: '/etc/sysctl.d/99-kubernetes.conf',
          before: 'net.ipv4.ip_forward = 0\r\nnet.bridge.bridge-nf-call-iptables = 1\r\n',
          after: 'net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n',
          normalize: { sortAll: true },
        }),
        fileChange({
          path: '/etc/modules-load.d/k8s.conf',
          before: 'overlay\nbr_netfilter\n',
          after: 'overlay\nbr_netfilter\n',
          owner: { before: 'root:adm', after: 'root:root' },
        }),
      ],
      steps: ['swapoff -a and comment out swap in /etc/fstab', 'sysctl --system'],
    }),
    resourceChange(node('smoke-test'), { action: 'read', reason: 'checks run after every apply', steps: ['kubectl get nodes'] }),
    resourceChange(node('os-prep', 'cp1'), { attributes: [attr('swap', 'off', 'off')] }),
  ];
  return buildPlan({ createdAt: CREATED, spec: SPEC, hosts, changes });
}

export function replaceAndDestroy(): Plan {
  const hosts = [host('cp1', '10.0.0.11'), host('cp2', '10.0.0.12'), host('cp3', '10.0.0.13', { removed: true })];
  const removal = 'host cp3 was removed from the spec';
  const changes: ResourceChange[] = [
    resourceChange(node('etcd', 'cp2'), {
      reason: 'the data directory cannot be moved in place',
      attributes: [attr('dataDir', '/var/lib/etcd', '/data/etcd', { forcesReplacement: true }), attr('version', '3.5.15', '3.5.15')],
      steps: [
        'etcdctl member remove cp2 (quorum stays 2 of 3 during the swap)',
        'stop etcd on cp2 and wipe /var/lib/etcd',
        'etcdctl member add cp2 and start etcd with /data/etcd',
        'wait until cp2 is a healthy, caught-up member',
      ],
      dependsOn: ['etcd@cp1'],
    }),
    resourceChange(node('etcd', 'cp1'), { attributes: [attr('dataDir', '/var/lib/etcd', '/var/lib/etcd')] }),
    resourceChange(node('join-control-plane', 'cp3'), {
      action: 'delete',
      reason: removal,
      attributes: [attr('node', 'cp3', undefined), attr('etcdMember', 'cp3', undefined)],
      steps: [
        'kubectl cordon cp3 and kubectl drain cp3 --ignore-daemonsets --delete-emptydir-data',
        'etcdctl member remove cp3 (from cp1)',
        'kubeadm reset --force on cp3',
        'kubectl delete node cp3',
        'remove cp3 from the haproxy backends on the load balancers',
      ],
    }),
    resourceChange(node('containerd', 'cp3'), {
      action: 'delete',
      reason: removal,
      files: [fileChange({ path: '/etc/containerd/config.toml', before: CONTAINERD_NEW, after: null })],
      steps: ['systemctl disable --now containerd'],
      dependsOn: ['join-control-plane@cp3'],
    }),
  ];
  return buildPlan({ createdAt: CREATED, spec: SPEC, hosts, changes });
}

export function diagnosticsAndUnreachable(): Plan {
  const hosts = [host('cp1', '10.0.0.11'), { name: 'w3', address: '10.0.0.23', unreachable: 'connect ETIMEDOUT 10.0.0.23:22 after 10 s' }];
  const changes: ResourceChange[] = [
    resourceChange(node('kube-packages', 'cp1'), {
      attributes: [attr('kubelet', '1.36.1', '1.36.2'), attr('kubeadm', '1.36.1', '1.36.2'), attr('held', true, true)],
      steps: ['apt-get install kubelet=1.36.2-1.1 kubeadm=1.36.2-1.1', 'apt-mark hold kubelet kubeadm kubectl'],
    }),
  ];
  return buildPlan({
    createdAt: CREATED,
    spec: SPEC,
    hosts,
    changes,
    diagnostics: [
      { severity: 'warning', host: 'cp1', message: 'only 3.6 GiB of memory; the production profile asks for 16 GiB' },
      { severity: 'error', host: 'w3', message: 'not observed: its resources are missing from this plan' },
      { severity: 'warning', resource: 'kube-packages@cp1', message: 'kubelet 1.36.2 restarts the kubelet on cp1' },
    ],
    cluster: {
      leaseHolders: { scheduler: 'cp1', controllerManager: 'cp1' },
      expiringCertificates: [
        { host: 'cp1', path: '/etc/kubernetes/pki/apiserver.crt', daysLeft: 12 },
        { host: 'cp1', path: '/etc/kubernetes/pki/front-proxy-client.crt', daysLeft: -3 },
      ],
      etcd: {
        observedFrom: 'etcd1',
        members: [
          { name: 'etcd1', id: '8e9e05c52164694d', peerURLs: ['https://10.0.0.31:2380'], started: true, healthy: true, leader: true },
          {
            name: 'etcd2',
            id: '91bc3c398fb3c146',
            peerURLs: ['https://10.0.0.32:2380'],
            started: true,
            healthy: false,
            leader: false,
            error: 'context deadline exceeded',
          },
          { name: '', id: 'fd422379fda50e48', peerURLs: ['https://10.0.0.34:2380'], started: false, healthy: false, leader: false },
        ],
      },
    },
  });
}

/** Enough hosts and file churn that the markdown view must cut. */
export function overCap(hostCount = 40): Plan {
  const hosts: PlanHost[] = [];
  const changes: ResourceChange[] = [];
  for (let i = 1; i <= hostCount; i++) {
    const name = `w${String(i).padStart(2, '0')}`;
    hosts.push(host(name, `10.0.1.${i}`));
    const before = Array.from({ length: 60 }, (_, j) => `option_${j} = ${j}`).join('\n') + '\n';
    const after = Array.from({ length: 60 }, (_, j) => `option_${j} = ${j % 2 === 0 ? j : j * 10}`).join('\n') + '\n';
    changes.push(
      resourceChange(node('os-prep', name), {
        files: [fileChange({ path: '/etc/hactl/tuning.conf', before, after })],
        steps: ['write /etc/hactl/tuning.conf'],
      }),
    );
    if (i % 10 === 0) {
      changes.push(
        resourceChange(node('join-worker', name), {
          action: 'delete',
          reason: `${name} is being rebuilt`,
          steps: [`kubectl drain ${name}`, `kubeadm reset --force on ${name}`],
        }),
      );
    }
  }
  return buildPlan({ createdAt: CREATED, spec: SPEC, hosts, changes });
}

export const FIXTURES: Record<string, () => Plan> = {
  'no-changes': noChanges,
  'creates-only': createsOnly,
  updates,
  'replace-destroy': replaceAndDestroy,
  'diagnostics-unreachable': diagnosticsAndUnreachable,
  'over-cap': overCap,
};
