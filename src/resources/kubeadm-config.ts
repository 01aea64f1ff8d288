// The kubeadm configuration hactl renders from the spec, API kubeadm.k8s.io/v1beta4 for every
// supported version (v1beta3 was deprecated in 1.31 and removed in 1.36): one multi-document file
// for `kubeadm init` (InitConfiguration, ClusterConfiguration, KubeletConfiguration), the
// JoinConfiguration a join step fills in at apply time, and the UpgradeConfiguration `kubeadm
// upgrade apply|node --config` reads. Removals keep `kubeadm reset -f` without a
// ResetConfiguration: the removed host's kubeadm is whatever it was left with, and the flag form is
// read by every version.
//
// Field names and types per cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go (kubernetes/kubernetes)
// and, for the kubelet, staging/src/k8s.io/kubelet/config/v1beta1/types.go; the test
// test/resources/kubeadm-schema.test.ts decodes every rendered document strictly against them.
// v1beta4 shapes: extraArgs and kubeletExtraArgs are lists of {name, value}; timeouts live under
// `timeouts`. kubeadm decodes strictly: an unknown or misspelt field is an error.
//
// cgroup v1: kubelet 1.35+ refuses to start on a cgroup v1 host unless its configuration says
// failCgroupV1: false, and kubeadm's SystemVerification preflight check turns the cgroups
// validator's finding into an error for kubelet 1.35+ (KEP-5573; kubernetes/kubernetes#134298,
// #134744). With kubernetes.kubelet.allowCgroupV1 both are rendered.

import { stringify } from 'yaml';
import { managedHeader } from './diff.js';
import { APISERVER_PORT, KUBEADM_DEFAULT_CERT_DAYS } from '../spec/constants.js';
import { KUBEADM_API_VERSION } from '../spec/versions.js';
import type { ClusterSpec, Host, Taint } from '../spec/types.js';
import type { Placement } from '../spec/topology.js';

export const KUBEADM_CONFIG = '/etc/kubernetes/kubeadm-config.yaml';
export const CRI_SOCKET = 'unix:///run/containerd/containerd.sock';
export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
export const KUBECTL = `kubectl --kubeconfig ${ADMIN_CONF}`;

/** Paths of the external etcd client certificate on control-plane hosts (laid out by etcd-pki). */
export const EXTERNAL_ETCD_CLIENT = {
  caFile: '/etc/kubernetes/pki/etcd/ca.crt',
  certFile: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
  keyFile: '/etc/kubernetes/pki/apiserver-etcd-client.key',
} as const;

export const CONTROL_PLANE_TAINT: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

const V1BETA4 = KUBEADM_API_VERSION;
/** The API an older hactl wrote, which kubeadm 1.36+ refuses. */
export const KUBEADM_V1BETA3 = 'kubeadm.k8s.io/v1beta3';
export const KUBELET_CONFIG_API = 'kubelet.config.k8s.io/v1beta1';

/** Where the UpgradeConfiguration is written before `kubeadm upgrade apply|node`. */
export const KUBEADM_UPGRADE_CONFIG = '/etc/kubernetes/kubeadm-upgrade.yaml';

/** kubeadm's preflight check that refuses cgroup v1 for kubelet 1.35+ (the cgroups validator's error). */
export const CGROUP_V1_PREFLIGHT_CHECK = 'SystemVerification';

/** certificateValidityPeriod when the spec's validity is not kubeadm's default, else undefined. */
export function certificateValidityPeriod(spec: ClusterSpec): string | undefined {
  const days = spec.kubernetes.certificates.validityDays;
  return days === KUBEADM_DEFAULT_CERT_DAYS ? undefined : `${days * 24}h0m0s`;
}

/** `host:port` of the control-plane endpoint (brackets around an IPv6 address). */
export function endpointOf(spec: ClusterSpec): string {
  const h = spec.controlPlaneEndpoint.host;
  return `${h.includes(':') ? `[${h}]` : h}:${spec.controlPlaneEndpoint.port}`;
}

/**
 * The taints a node registers with: the spec's, plus kubeadm's control-plane taint on a
 * control-plane host that is not also a worker. Setting `taints` replaces kubeadm's default, so
 * the control-plane taint has to be listed here.
 */
export function registrationTaints(host: Host): Taint[] {
  const out: Taint[] = [];
  if (host.roles.includes('control-plane') && !host.roles.includes('worker') && !host.taints.some((t) => t.key === CONTROL_PLANE_TAINT.key)) {
    out.push(CONTROL_PLANE_TAINT);
  }
  return [...out, ...host.taints];
}

function taintDoc(t: Taint): Record<string, string> {
  return { key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect };
}

/** apiserver certificate SANs: the endpoint host, the spec's extras, every control-plane address and name. */
export function certSANs(spec: ClusterSpec, p: Placement): string[] {
  return [...new Set([spec.controlPlaneEndpoint.host, ...spec.controlPlaneEndpoint.extraSANs, ...p.controlPlane.flatMap((h) => [h.address, h.name])])];
}

export function etcdEndpoints(p: Placement): string[] {
  return p.etcdHosts.map((h) => `https://${h.address.includes(':') ? `[${h.address}]` : h.address}:2379`);
}

/** Preflight checks every init, join and upgrade of this spec skips, on top of a step's own. */
export function specPreflightIgnores(spec: ClusterSpec): string[] {
  return spec.kubernetes.kubelet.allowCgroupV1 ? [CGROUP_V1_PREFLIGHT_CHECK] : [];
}

function nodeRegistration(spec: ClusterSpec, host: Host, ignore: string[]): Record<string, unknown> {
  const all = [...new Set([...ignore, ...specPreflightIgnores(spec)])];
  return {
    name: host.name,
    criSocket: CRI_SOCKET,
    taints: registrationTaints(host).map(taintDoc),
    ...(all.length > 0 ? { ignorePreflightErrors: all } : {}),
    kubeletExtraArgs: [{ name: 'node-ip', value: host.address }],
  };
}

/** The KubeletConfiguration init uploads (kubeadm's kubelet-config ConfigMap, which joins and upgrades read). */
export function kubeletConfiguration(spec: ClusterSpec): Record<string, unknown> {
  return {
    apiVersion: KUBELET_CONFIG_API,
    kind: 'KubeletConfiguration',
    // containerd 1.7 cannot tell the kubelet its cgroup driver (KEP-4033), so it is said here too.
    cgroupDriver: 'systemd',
    ...(spec.kubernetes.kubelet.allowCgroupV1 ? { failCgroupV1: false } : {}),
  };
}

export interface InitConfigOptions {
  /** Preflight checks to ignore (kube-vip's manifest already in /etc/kubernetes/manifests). */
  ignorePreflightErrors?: string[];
}

/** `/etc/kubernetes/kubeadm-config.yaml` for `kubeadm init` on the first control-plane host. */
export function renderInitConfig(spec: ClusterSpec, p: Placement, host: Host, opts: InitConfigOptions = {}): string {
  const k = spec.kubernetes;
  const validity = certificateValidityPeriod(spec);
  const apiVersion = V1BETA4;
  const init = {
    apiVersion,
    kind: 'InitConfiguration',
    localAPIEndpoint: { advertiseAddress: host.address, bindPort: APISERVER_PORT },
    nodeRegistration: nodeRegistration(spec, host, opts.ignorePreflightErrors ?? []),
  };
  const etcd =
    spec.etcd.topology === 'external' ? { external: { endpoints: etcdEndpoints(p), ...EXTERNAL_ETCD_CLIENT } } : { local: { dataDir: '/var/lib/etcd' } };
  const cluster = {
    apiVersion,
    kind: 'ClusterConfiguration',
    clusterName: spec.name,
    kubernetesVersion: `v${k.version}`,
    controlPlaneEndpoint: endpointOf(spec),
    apiServer: { certSANs: certSANs(spec, p) },
    networking: { podSubnet: k.podSubnet, serviceSubnet: k.serviceSubnet, dnsDomain: k.clusterDomain },
    etcd,
    ...(validity !== undefined ? { certificateValidityPeriod: validity } : {}),
  };
  const kubelet = kubeletConfiguration(spec);
  return `${managedHeader()}\n${[init, cluster, kubelet].map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n')}`;
}

/** Placeholders of the JoinConfiguration template, filled in on the joining host at apply time. */
export const JOIN_PLACEHOLDERS = { token: '@HACTL_TOKEN@', caCertHash: '@HACTL_CA_CERT_HASH@', certificateKey: '@HACTL_CERTIFICATE_KEY@' } as const;

/**
 * The JoinConfiguration for one host, with placeholders where the bootstrap token, the CA hash and
 * (control-plane) the certificate key go: they exist only once the first control-plane host has
 * made them, at apply time, and never reach the plan.
 */
export function renderJoinTemplate(spec: ClusterSpec, host: Host, controlPlane: boolean): string {
  const join: Record<string, unknown> = {
    apiVersion: V1BETA4,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: endpointOf(spec),
        token: JOIN_PLACEHOLDERS.token,
        caCertHashes: [JOIN_PLACEHOLDERS.caCertHash],
      },
    },
    nodeRegistration: nodeRegistration(spec, host, []),
  };
  if (controlPlane) {
    join.controlPlane = { localAPIEndpoint: { advertiseAddress: host.address, bindPort: APISERVER_PORT }, certificateKey: JOIN_PLACEHOLDERS.certificateKey };
  }
  return `${managedHeader()}\n${stringify(join, { lineWidth: 0 })}`;
}

/**
 * The UpgradeConfiguration for `kubeadm upgrade apply` (the first control-plane host: `apply`
 * with the target version) or `kubeadm upgrade node` (every other node).
 */
export function renderUpgradeConfig(spec: ClusterSpec, target: string, mode: 'apply' | 'node'): string {
  const ignore = specPreflightIgnores(spec);
  const opts = ignore.length > 0 ? { ignorePreflightErrors: ignore } : {};
  const doc = {
    apiVersion: V1BETA4,
    kind: 'UpgradeConfiguration',
    ...(mode === 'apply' ? { apply: { kubernetesVersion: `v${target}`, ...opts } } : { node: { ...opts } }),
  };
  return `${managedHeader()}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** What `kubeadm init` leaves under /etc/kubernetes (names as the probe lists them). */
export const INIT_CONF_FILES = ['admin.conf', 'controller-manager.conf', 'kubelet.conf', 'scheduler.conf', 'super-admin.conf'];
export const INIT_MANIFESTS = ['kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'];

/** A command whose output (which may hold secrets) is kept private and shown only on failure. */
export function quietly(command: string): string {
  // A subshell, so an `exit` inside the command still reaches the tail and the clean-up.
  return `log=$(umask 077 && mktemp) || exit 1; (\n${command}\n) >"$log" 2>&1; rc=$?; [ "$rc" -eq 0 ] || tail -n 20 "$log" >&2; rm -f -- "$log"; exit "$rc"`;
}
