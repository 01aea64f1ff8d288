// What `hactl import` reads on a host besides the usual probe: the configuration files a cluster
// built without hactl leaves behind, found by name patterns (static pod manifests, the kubelet's
// config, load balancer and keepalived configs under their usual and kubeasz's paths, containerd's
// registry hosts, package sources and their keys), and the markers of distributions hactl does not
// adopt (k3s, RKE2, binary installs). One read-only command per host; the cluster's own records
// (kubeadm-config, kubelet-config) come from one more on a control-plane host with admin.conf.
//
// Secrets: kubeconfigs are never read whole (they hold client keys): only their `server:` lines.
// keepalived.conf may hold a VRRP password; the parser keeps only whether one is set.

import { observation, type Observation } from '../transport/transport.js';
import { ADMIN_CONF } from './cluster.js';
import { defaultFactRequest } from './default-request.js';
import { mergeRequests } from './request.js';
import type { FactRequest } from './types.js';

/** Files up to this size are read; larger ones are listed without content. */
export const IMPORT_MAX_BYTES = 256 * 1024;

/** Fixed shell globs (no input from anywhere reaches this script). */
export const IMPORT_GLOBS = [
  '/etc/kubernetes/manifests/*.yaml',
  '/etc/kubernetes/manifests/*.yml',
  '/etc/kubernetes/pki/ca.crt',
  '/etc/kubernetes/kubeadm-config.yaml',
  '/var/lib/kubelet/config.yaml',
  '/var/lib/kubelet/kubeadm-flags.env',
  '/etc/default/kubelet',
  '/etc/haproxy/haproxy.cfg',
  '/etc/keepalived/keepalived.conf',
  '/etc/nginx/nginx.conf',
  '/etc/nginx/conf.d/*.conf',
  '/etc/nginx/stream.d/*.conf',
  '/etc/nginx/modules-enabled/*stream*.conf',
  '/etc/kube-lb/conf/kube-lb.conf',
  '/etc/haproxy-lb/haproxy.cfg',
  '/etc/containerd/config.toml',
  '/etc/containerd/certs.d/*/hosts.toml',
  '/etc/apt/sources.list',
  '/etc/apt/sources.list.d/*.list',
  '/etc/apt/sources.list.d/*.sources',
  '/etc/apt/keyrings/*',
  '/etc/yum.repos.d/*.repo',
  '/etc/cni/net.d/*',
  '/etc/default/etcd',
  '/etc/etcd/etcd.conf',
  '/etc/etcd/etcd.conf.yml',
];

/** Kubeconfigs whose `server:` lines (only) are read. */
export const IMPORT_KUBECONFIGS = ['/etc/kubernetes/kubelet.conf', '/etc/kubernetes/admin.conf', '/etc/kubernetes/bootstrap-kubelet.conf'];

/** Paths whose existence alone tells something (other distributions, binary installs). */
export const IMPORT_MARKERS = [
  '/usr/local/bin/k3s',
  '/etc/rancher/k3s',
  '/var/lib/rancher/k3s',
  '/etc/rancher/rke2',
  '/var/lib/rancher/rke2',
  '/etc/systemd/system/k3s.service',
  '/etc/systemd/system/rke2-server.service',
  '/etc/systemd/system/kube-apiserver.service',
  '/etc/systemd/system/kube-lb.service',
  '/etc/kube-lb/sbin/kube-lb',
  '/usr/bin/kubeadm',
  '/usr/local/bin/kubeadm',
  '/opt/kube/bin/kubelet',
];

export const FILE_MARK = '@@hactl:file ';
export const TOO_BIG_MARK = '@@hactl:too-big ';
export const SERVER_MARK = '@@hactl:server ';
export const EXISTS_MARK = '@@hactl:exists ';

const q = (s: string) => `'${s}'`; // constants only, none holds a quote

export const IMPORT_FILES_SCRIPT = [
  'export LC_ALL=C',
  `for f in ${IMPORT_GLOBS.join(' ')}; do`,
  '  [ -f "$f" ] || continue',
  '  s=$(wc -c < "$f" 2>/dev/null) || continue',
  `  if [ "$s" -gt ${IMPORT_MAX_BYTES} ]; then printf '${TOO_BIG_MARK}%s\\n' "$f"; continue; fi`,
  `  printf '${FILE_MARK}%s\\n' "$f"; base64 -w0 < "$f"; printf '\\n'`,
  'done',
  `for f in ${IMPORT_KUBECONFIGS.map(q).join(' ')}; do`,
  '  [ -f "$f" ] || continue',
  `  while read -r k v rest; do [ "$k" = server: ] && printf '${SERVER_MARK}%s %s\\n' "$f" "$v"; done < "$f"`,
  'done',
  `for f in ${IMPORT_MARKERS.map(q).join(' ')}; do [ -e "$f" ] && printf '${EXISTS_MARK}%s\\n' "$f"; done`,
  'true',
].join('\n');

export function importFilesObservation(timeoutMs = 60_000): Observation {
  return observation('import-files', IMPORT_FILES_SCRIPT, timeoutMs);
}

export interface ImportFiles {
  /** Content by path (UTF-8 text; binary files such as dearmored keys come as `bytes`). */
  files: Record<string, string>;
  bytes: Record<string, Buffer>;
  /** Files larger than IMPORT_MAX_BYTES, listed without content. */
  tooBig: string[];
  /** kubeconfig path → its `server:` URLs. */
  servers: Record<string, string[]>;
  /** IMPORT_MARKERS that exist. */
  exists: string[];
}

/** The observation's output in, files out. */
export function parseImportFiles(output: string): ImportFiles {
  const out: ImportFiles = { files: {}, bytes: {}, tooBig: [], servers: {}, exists: [] };
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith(FILE_MARK)) {
      const path = l.slice(FILE_MARK.length);
      const data = Buffer.from((lines[++i] ?? '').trim(), 'base64');
      out.bytes[path] = data;
      out.files[path] = data.toString('utf8');
    } else if (l.startsWith(TOO_BIG_MARK)) out.tooBig.push(l.slice(TOO_BIG_MARK.length));
    else if (l.startsWith(SERVER_MARK)) {
      const [path, url] = l.slice(SERVER_MARK.length).split(' ');
      if (path !== undefined && url !== undefined) (out.servers[path] ??= []).push(url);
    } else if (l.startsWith(EXISTS_MARK)) out.exists.push(l.slice(EXISTS_MARK.length));
  }
  return out;
}

/** The cluster's own records, as kubeadm stored them (read-only kubectl verbs only). */
export const CLUSTER_RECORDS_COMMAND = `kubectl --kubeconfig ${ADMIN_CONF} --request-timeout=20s -n kube-system get configmap kubeadm-config kubelet-config -o json`;

export function clusterRecordsObservation(timeoutMs = 60_000): Observation {
  return observation('cluster-records', CLUSTER_RECORDS_COMMAND, timeoutMs);
}

export interface ClusterRecords {
  /** kubeadm-config's ClusterConfiguration (YAML text). */
  clusterConfiguration?: string;
  /** kubelet-config's kubelet (YAML text). */
  kubeletConfiguration?: string;
}

/** kubectl's JSON (a List, or one object) in, the two records out. */
export function parseClusterRecords(output: string): ClusterRecords {
  const v = JSON.parse(output) as unknown;
  const o = (x: unknown): Record<string, unknown> => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const items = Array.isArray(o(v).items) ? (o(v).items as unknown[]) : [v];
  const out: ClusterRecords = {};
  for (const it of items) {
    const name = o(o(it).metadata).name;
    const data = o(o(it).data);
    if (name === 'kubeadm-config' && typeof data.ClusterConfiguration === 'string') out.clusterConfiguration = data.ClusterConfiguration;
    if (name === 'kubelet-config' && typeof data.kubelet === 'string') out.kubeletConfiguration = data.kubelet;
  }
  return out;
}

/** The probe's request for import: what plan reads, plus the units and services other builds run. */
export function importFactRequest(): FactRequest {
  return mergeRequests(defaultFactRequest(), {
    packages: ['k3s', 'rke2-server', 'haproxy', 'nginx', 'keepalived'],
    units: ['kube-lb', 'k3s', 'k3s-agent', 'rke2-server', 'rke2-agent', 'kube-apiserver', 'kube-vip'],
    files: [],
    sysctls: [],
    certDirs: ['/etc/kubernetes/pki'],
  });
}
