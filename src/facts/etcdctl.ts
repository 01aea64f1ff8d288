// How etcdctl reaches a member of the cluster's etcd, per topology: stacked etcd (kubeadm's static
// pod on every control-plane host) with the health-check client certificate kubeadm makes for
// exactly this kind of use; external etcd (hactl's own members) with the member's certificate, as
// the membership facts do (src/facts/etcd.ts). Always against the member's local client URL.

import { ETCDCTL as EXTERNAL_ETCDCTL } from './etcd.js';
import { resolvePlacement } from '../spec/topology.js';
import { shellQuote } from '../transport/quote.js';
import type { ClusterSpec, Host } from '../spec/types.js';

/** kubeadm's PKI directory on a control-plane host. */
export const KUBE_PKI = '/etc/kubernetes/pki';

/** etcdctl (v3 API) against the local stacked member, as the health-check client. */
export const STACKED_ETCDCTL = [
  'ETCDCTL_API=3 etcdctl',
  '--endpoints=https://127.0.0.1:2379',
  `--cacert=${shellQuote(`${KUBE_PKI}/etcd/ca.crt`)}`,
  `--cert=${shellQuote(`${KUBE_PKI}/etcd/healthcheck-client.crt`)}`,
  `--key=${shellQuote(`${KUBE_PKI}/etcd/healthcheck-client.key`)}`,
  '--dial-timeout=3s',
].join(' ');

export function etcdctlFor(spec: ClusterSpec): string {
  return spec.etcd.topology === 'external' ? EXTERNAL_ETCDCTL : STACKED_ETCDCTL;
}

/** The hosts that run an etcd member, in spec order: control-plane hosts (stacked) or etcd hosts. */
export function etcdMemberHosts(spec: ClusterSpec): Host[] {
  const p = resolvePlacement(spec);
  return spec.etcd.topology === 'external' ? p.etcdHosts : p.controlPlane;
}

/** Fails with a clear message where etcdctl is missing (Debian ships it in etcd-client). */
export const REQUIRE_ETCDCTL = `command -v etcdctl >/dev/null 2>&1 || { echo 'hactl: etcdctl is not installed on this host (Debian/Ubuntu: etcd-client, Rocky: etcd)' >&2; exit 3; }`;
