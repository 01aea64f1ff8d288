// The kubeadm configuration hactl renders from the spec: one multi-document file for `kubeadm init`
// (InitConfiguration, ClusterConfiguration, KubeletConfiguration) and the JoinConfiguration a join
// step fills in at apply time. API kubeadm.k8s.io/v1beta3, which kubeadm reads from 1.22 up to
// (at least) 1.31, so one renderer serves every supported version. v1beta4 (1.31+) is written only
// when the spec asks for a certificate validity other than kubeadm's 365 days: its
// ClusterConfiguration.certificateValidityPeriod is the one field hactl needs from it (and it turns
// nodeRegistration.kubeletExtraArgs into a list of name/value pairs).
//
// Field names per https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta3/:
// ClusterConfiguration.{kubernetesVersion, controlPlaneEndpoint, apiServer.certSANs,
// networking.{podSubnet, serviceSubnet, dnsDomain}, etcd.local | etcd.external.{endpoints,
// caFile, certFile, keyFile}}; InitConfiguration.{localAPIEndpoint.advertiseAddress,
// nodeRegistration.{name, criSocket, taints, ignorePreflightErrors}}; JoinConfiguration.{discovery.
// bootstrapToken.{apiServerEndpoint, token, caCertHashes}, controlPlane.{localAPIEndpoint,
// certificateKey}, nodeRegistration}.

import { stringify } from 'yaml';
import { managedHeader } from '../plan/model.js';
import { APISERVER_PORT, KUBEADM_DEFAULT_CERT_DAYS } from '../spec/constants.js';
import type { ClusterSpec, Host, Taint } from '../spec/types.js';
import type { Placement } from '../graph/compile.js';

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

const V1BETA3 = 'kubeadm.k8s.io/v1beta3';
const V1BETA4 = 'kubeadm.k8s.io/v1beta4';

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

function nodeRegistration(host: Host, ignore: string[], apiVersion = V1BETA3): Record<string, unknown> {
  return {
    name: host.name,
    criSocket: CRI_SOCKET,
    taints: registrationTaints(host).map(taintDoc),
    ...(ignore.length > 0 ? { ignorePreflightErrors: ignore } : {}),
    kubeletExtraArgs: apiVersion === V1BETA4 ? [{ name: 'node-ip', value: host.address }] : { 'node-ip': host.address },
  };
}

export interface InitConfigOptions {
  /** Preflight checks to ignore (kube-vip's manifest already in /etc/kubernetes/manifests). */
  ignorePreflightErrors?: string[];
}

/** `/etc/kubernetes/kubeadm-config.yaml` for `kubeadm init` on the first control-plane host. */
export function renderInitConfig(spec: ClusterSpec, p: Placement, host: Host, opts: InitConfigOptions = {}): string {
  const k = spec.kubernetes;
  // Semantic checks refuse another validity before 1.31, so v1beta4 is always understood here.
  const validity = certificateValidityPeriod(spec);
  const apiVersion = validity !== undefined ? V1BETA4 : V1BETA3;
  const init = {
    apiVersion,
    kind: 'InitConfiguration',
    localAPIEndpoint: { advertiseAddress: host.address, bindPort: APISERVER_PORT },
    nodeRegistration: nodeRegistration(host, opts.ignorePreflightErrors ?? [], apiVersion),
  };
  const etcd =
    spec.etcd.topology === 'external'
      ? { external: { endpoints: etcdEndpoints(p), ...EXTERNAL_ETCD_CLIENT } }
      : { local: { dataDir: '/var/lib/etcd' } };
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
  const kubelet = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    cgroupDriver: 'systemd',
  };
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
    apiVersion: V1BETA3,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: endpointOf(spec),
        token: JOIN_PLACEHOLDERS.token,
        caCertHashes: [JOIN_PLACEHOLDERS.caCertHash],
      },
    },
    nodeRegistration: nodeRegistration(host, []),
  };
  if (controlPlane) {
    join.controlPlane = { localAPIEndpoint: { advertiseAddress: host.address, bindPort: APISERVER_PORT }, certificateKey: JOIN_PLACEHOLDERS.certificateKey };
  }
  return `${managedHeader()}\n${stringify(join, { lineWidth: 0 })}`;
}

export function kubernetesMinor(spec: ClusterSpec): number {
  return Number(spec.kubernetes.version.split('.')[1]);
}
