// What hactl observes by default: everything the resources it manages read or change.
import type { FactRequest } from './types.js';

/**
 * Files hactl writes (besides the package's own config files):
 * - /etc/sysctl.d/99-kubernetes.conf: the Kubernetes sysctls (os-prep)
 * - /etc/modules-load.d/kubernetes.conf: br_netfilter and overlay at boot (os-prep)
 * - /etc/apt/sources.list.d/hactl-*.list, /etc/apt/keyrings/hactl-*.gpg (package-sources, Debian/Ubuntu)
 * - /etc/yum.repos.d/hactl-*.repo (package-sources, Rocky)
 * - /etc/default/etcd: external etcd members' settings
 */
export const HACTL_FILES = {
  sysctl: '/etc/sysctl.d/99-kubernetes.conf',
  modulesLoad: '/etc/modules-load.d/kubernetes.conf',
  aptOs: '/etc/apt/sources.list.d/hactl-os.list',
  aptKubernetes: '/etc/apt/sources.list.d/hactl-kubernetes.list',
  dnfOs: '/etc/yum.repos.d/hactl-os.repo',
  dnfKubernetes: '/etc/yum.repos.d/hactl-kubernetes.repo',
  etcdDefaults: '/etc/default/etcd',
} as const;

export const KUBERNETES_SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.ipv4.ip_nonlocal_bind',
  'net.ipv6.conf.all.forwarding',
  'vm.swappiness',
  'fs.inotify.max_user_instances',
  'fs.inotify.max_user_watches',
];

export function defaultFactRequest(): FactRequest {
  return {
    packages: [
      'containerd',
      'containerd.io',
      'runc',
      'haproxy',
      'keepalived',
      'nginx',
      'etcd-server',
      'etcd-client',
      'etcd',
      'kubeadm',
      'kubelet',
      'kubectl',
      'cri-tools',
      'kubernetes-cni',
      'conntrack',
      'conntrack-tools',
      'socat',
      'ebtables',
      'ipset',
      'iptables',
      'chrony',
    ],
    units: ['containerd', 'haproxy', 'nginx', 'keepalived', 'etcd', 'kubelet', 'chrony', 'chronyd', 'systemd-timesyncd'],
    files: [
      '/etc/containerd/config.toml',
      '/etc/haproxy/haproxy.cfg',
      '/etc/keepalived/keepalived.conf',
      '/etc/nginx/nginx.conf',
      HACTL_FILES.sysctl,
      HACTL_FILES.modulesLoad,
      '/etc/hosts',
      '/etc/hostname',
      '/etc/fstab',
      HACTL_FILES.aptOs,
      HACTL_FILES.aptKubernetes,
      HACTL_FILES.dnfOs,
      HACTL_FILES.dnfKubernetes,
      HACTL_FILES.etcdDefaults,
    ],
    sysctls: KUBERNETES_SYSCTLS,
    modules: ['br_netfilter', 'overlay'],
    certDirs: ['/etc/kubernetes/pki', '/etc/etcd/pki'],
  };
}
