// Inference: what was observed on the hosts of a cluster built without hactl in, a cluster spec out
// (a `yaml` Document whose guessed values carry a comment saying what they were inferred from),
// plus what hactl leaves alone. Pure: no I/O, no clock (the caller passes the date).
//
// Refusals are errors with the reason (ImportRefusal): hosts of two clusters, a cluster kubeadm did
// not build (k3s, RKE2, a binary install), hosts without Kubernetes, a cluster whose nodes are not
// all given (hactl would plan the removal of the missing ones), external etcd, an unsupported
// version.

import { createHash } from 'node:crypto';
import { Document, isMap, isScalar, type Node as YamlNode } from 'yaml';
import type { ClusterFacts } from '../facts/cluster.js';
import type { ClusterRecords, ImportFiles } from '../facts/import.js';
import type { HostFacts } from '../facts/types.js';
import { isLoopback, parseIp } from '../spec/net.js';
import { minimumSize } from '../spec/topology.js';
import type { Role } from '../spec/types.js';
import { defaultSandboxImage, kubernetesMinor, SUPPORTED_RANGE_TEXT } from '../spec/versions.js';
import {
  imageVersion,
  kubernetesRepositoryOf,
  parseAptSources,
  parseClusterConfiguration,
  parseContainerdConfig,
  parseEndpoint,
  parseHaproxy,
  parseHostsToml,
  parseKeepalived,
  parseKubeletConfig,
  parseNginxStream,
  parseStaticPod,
  type AptSourceLine,
  type ClusterConfiguration,
  type Endpoint,
  type KeepalivedConfig,
  type ProxyConfig,
  type StaticPod,
} from './configs.js';

export interface ObservedHost {
  /** The address import connected to. */
  address: string;
  /** The host's name in the inventory, when one was given. */
  inventoryName?: string;
  facts: HostFacts;
  files: ImportFiles;
}

export interface ImportObservation {
  hosts: ObservedHost[];
  /** Nodes and DaemonSets as the API server reports them. */
  cluster?: ClusterFacts;
  records?: ClusterRecords;
  /** Why the cluster could not be read. */
  clusterError?: string;
}

export interface ImportOptions {
  ssh: { user: string; port?: number; privateKeyFile?: string; knownHostsFile?: string };
  /** metadata.name of the spec; default: derived from the endpoint. */
  clusterName?: string;
  /** Take over the load balancer (keepalived, haproxy/nginx, kube-vip) instead of leaving it alone. */
  manageLoadBalancer?: boolean;
  /** Where the spec will refer to a signing key import writes beside it (relative to the spec). */
  keyFileName: string;
}

export interface ImportResult {
  document: Document;
  /** What hactl leaves alone, each with the reason. */
  unmanaged: string[];
  warnings: string[];
  /** Files to write beside the spec: name (relative to the spec) → content. */
  files: Record<string, string>;
  /** Host names in spec order. */
  hostNames: string[];
}

export class ImportRefusal extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('\n'));
    this.name = 'ImportRefusal';
  }
}

const MANIFESTS = '/etc/kubernetes/manifests';
const CA = '/etc/kubernetes/pki/ca.crt';
const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
const KUBEASZ_LB = '/etc/kube-lb/conf/kube-lb.conf';

interface HostView {
  o: ObservedHost;
  name: string;
  pods: Map<string, StaticPod>;
  /** Runs a kubelet configured by kubeadm (kubelet.conf or its config). */
  kubelet: boolean;
  controlPlane: boolean;
  stackedEtcd: boolean;
  caSha256?: string;
  proxies: { kind: 'haproxy' | 'nginx' | 'kube-lb'; file: string; config: ProxyConfig }[];
  keepalived?: KeepalivedConfig;
}

const sha256Of = (files: ImportFiles, path: string): string | undefined => {
  const b = files.bytes[path];
  return b !== undefined ? createHash('sha256').update(b).digest('hex') : undefined;
};

function staticPods(files: ImportFiles): Map<string, StaticPod> {
  const out = new Map<string, StaticPod>();
  for (const [path, text] of Object.entries(files.files)) {
    if (!path.startsWith(`${MANIFESTS}/`)) continue;
    const pod = parseStaticPod(text);
    if (pod !== undefined) out.set(path.slice(MANIFESTS.length + 1).replace(/\.ya?ml$/, ''), pod);
  }
  return out;
}

function proxiesOf(files: ImportFiles): HostView['proxies'] {
  const out: HostView['proxies'] = [];
  for (const [path, text] of Object.entries(files.files)) {
    if (path === '/etc/haproxy/haproxy.cfg' || path === '/etc/haproxy-lb/haproxy.cfg') out.push({ kind: 'haproxy', file: path, config: parseHaproxy(text) });
    else if (path === KUBEASZ_LB) out.push({ kind: 'kube-lb', file: path, config: parseNginxStream(text) });
    else if (path.startsWith('/etc/nginx/')) {
      const c = parseNginxStream(text);
      if (c.backends.length > 0) out.push({ kind: 'nginx', file: path, config: c });
    }
  }
  return out.filter((p) => p.config.backends.length > 0);
}

/** What is not kubeadm on this host, if anything: the reason, with the evidence. */
function foreignDistribution(o: ObservedHost): string | undefined {
  const f = o.facts;
  const k3s = [
    ...o.files.exists.filter((p) => /k3s|rke2/.test(p)),
    ...['k3s', 'k3s-agent', 'rke2-server', 'rke2-agent'].filter((u) => f.units[`${u}.service`]?.exists === true).map((u) => `unit ${u}`),
    ...f.processes.filter((p) => /^(k3s|rke2)/.test(p)).map((p) => `process ${p}`),
  ];
  if (k3s.length > 0) {
    const which = k3s.some((e) => e.includes('rke2')) ? 'RKE2' : 'k3s';
    return `it runs ${which} (${[...new Set(k3s)].slice(0, 4).join(', ')}), not a cluster built with kubeadm: hactl adopts kubeadm-built clusters only`;
  }
  const binary = f.units['kube-apiserver.service']?.exists === true || o.files.exists.includes('/etc/systemd/system/kube-apiserver.service');
  if (binary)
    return 'it runs kube-apiserver as a systemd service (a binary install, as kubeasz or "the hard way" make), not as kubeadm\'s static pod: hactl adopts kubeadm-built clusters only';
  return undefined;
}

function view(o: ObservedHost): HostView {
  const pods = staticPods(o.files);
  const f = o.facts;
  const kubelet =
    o.files.files[KUBELET_CONFIG] !== undefined ||
    f.kubernetes.confFiles.includes('kubelet.conf') ||
    o.files.servers['/etc/kubernetes/kubelet.conf'] !== undefined;
  const ka = o.files.files['/etc/keepalived/keepalived.conf'];
  return {
    o,
    name: f.hostname.toLowerCase(),
    pods,
    kubelet,
    controlPlane: pods.has('kube-apiserver'),
    stackedEtcd: pods.has('etcd'),
    ...(sha256Of(o.files, CA) !== undefined ? { caSha256: sha256Of(o.files, CA)! } : {}),
    proxies: proxiesOf(o.files),
    ...(ka !== undefined ? { keepalived: parseKeepalived(ka) } : {}),
  };
}

const short = (h: string) => h.slice(0, 12);

/** Group hosts by the cluster CA they trust; more than one group is two clusters. */
function checkOneCluster(views: HostView[], cps: HostView[], reasons: string[]): void {
  const byCa = new Map<string, string[]>();
  for (const v of views) if (v.caSha256 !== undefined) byCa.set(v.caSha256, [...(byCa.get(v.caSha256) ?? []), `${v.name} (${v.o.address})`]);
  if (byCa.size > 1) {
    reasons.push(
      `the hosts belong to ${byCa.size} different clusters (their /etc/kubernetes/pki/ca.crt differ): ` +
        [...byCa].map(([sha, hs]) => `${hs.join(', ')} trust CA sha256 ${short(sha)}…`).join('; ') +
        '. Import one cluster at a time.',
    );
  }
  // A load-balancer host must balance this cluster's apiservers.
  const cpAddresses = new Set(cps.map((c) => c.o.address));
  for (const v of views) {
    if (v.kubelet || v.proxies.length === 0) continue;
    const backends = v.proxies.flatMap((p) => p.config.backends.map((b) => b.host));
    if (cpAddresses.size > 0 && !backends.some((b) => cpAddresses.has(b)))
      reasons.push(
        `${v.name} (${v.o.address}) balances ${[...new Set(backends)].join(', ')}, none of which is a control-plane host given here (${[...cpAddresses].join(', ')}): it belongs to another cluster`,
      );
  }
}

function endpointOf(cc: ClusterConfiguration | undefined, cps: HostView[], views: HostView[]): { endpoint: Endpoint; from: string } | undefined {
  if (cc?.controlPlaneEndpoint !== undefined) {
    const e = parseEndpoint(cc.controlPlaneEndpoint);
    if (e) return { endpoint: e, from: "controlPlaneEndpoint in the cluster's kubeadm-config ConfigMap" };
  }
  for (const v of [...cps, ...views]) {
    for (const conf of ['/etc/kubernetes/admin.conf', '/etc/kubernetes/kubelet.conf']) {
      const url = v.o.files.servers[conf]?.[0];
      const e = url !== undefined ? parseEndpoint(url) : undefined;
      if (e) return { endpoint: e, from: `the server of ${conf} on ${v.name}` };
    }
  }
  return undefined;
}

type Obj = Record<string, unknown>;

/** Attach `# comment` to the value at `path` of the document (on the key line for maps and lists). */
function note(doc: Document, path: (string | number)[], text: string): void {
  const node = doc.getIn(path, true) as YamlNode | undefined;
  if (node === undefined) return;
  const line = ` ${text.replace(/\n/g, ' ')}`;
  if (isScalar(node)) node.comment = node.comment !== undefined && node.comment !== null ? `${node.comment};${line}` : line;
  else {
    // Collections: the comment goes before their key, in the parent map.
    const parent = doc.getIn(path.slice(0, -1), true);
    const key = path.at(-1);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) pair.key.commentBefore = pair.key.commentBefore ? `${pair.key.commentBefore}\n${line}` : line;
    } else node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${line}` : line;
  }
}

const unique = <T>(xs: T[]) => [...new Set(xs)];

/** The spec, or ImportRefusal with every reason found. */
export function inferSpec(obs: ImportObservation, opts: ImportOptions): ImportResult {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const unmanaged: string[] = [];
  const views = obs.hosts.map(view);

  for (const v of views) {
    const foreign = foreignDistribution(v.o);
    if (foreign !== undefined) reasons.push(`${v.name} (${v.o.address}): ${foreign}`);
  }
  if (reasons.length > 0) throw new ImportRefusal(reasons);

  for (const v of views) {
    const kube = v.kubelet || v.controlPlane || v.o.facts.kubernetes.present || v.o.facts.packages.kubelet?.installed === true;
    if (!kube && v.proxies.length === 0 && v.keepalived === undefined)
      reasons.push(
        `${v.name} (${v.o.address}): no Kubernetes here: no kubelet configured by kubeadm, no static pods in ${MANIFESTS}, and no load balancer or keepalived in front of apiservers`,
      );
    else if (!kube && v.proxies.length === 0 && v.keepalived !== undefined)
      reasons.push(`${v.name} (${v.o.address}): runs keepalived but no proxy in front of apiservers: not part of a Kubernetes control plane import can tell`);
    else if (v.o.facts.kubernetes.present && !v.kubelet && !v.controlPlane && v.proxies.length === 0)
      reasons.push(`${v.name} (${v.o.address}): /etc/kubernetes exists but holds neither a kubelet configuration nor static pods: a reset or half-built node`);
  }
  const cps = views.filter((v) => v.controlPlane);
  if (reasons.length === 0 && cps.length === 0)
    reasons.push(
      `none of the hosts runs a control plane (no ${MANIFESTS}/kube-apiserver.yaml): give at least the control-plane hosts (import reads the cluster through their /etc/kubernetes/admin.conf)`,
    );
  if (reasons.length > 0) throw new ImportRefusal(reasons);
  checkOneCluster(views, cps, reasons);
  if (reasons.length > 0) throw new ImportRefusal(reasons);

  // Names: the node name kubeadm registered (the hostname), which hactl uses as the host name.
  const names = new Map<string, string>();
  for (const v of views) {
    const dup = names.get(v.name);
    if (dup !== undefined) reasons.push(`${v.o.address} and ${dup} have the same hostname ${v.name}: the same host given twice?`);
    names.set(v.name, v.o.address);
    if (v.o.inventoryName !== undefined && v.o.inventoryName !== v.name)
      warnings.push(`${v.o.inventoryName} (${v.o.address}) is named ${v.name} in the spec: its hostname, which is its Kubernetes node name`);
  }

  // The cluster's records: nodes must all be given (else hactl would plan their removal).
  if (obs.cluster === undefined) {
    reasons.push(
      `the cluster could not be read from a control-plane host (${obs.clusterError ?? 'no answer'}): import needs the API server to list the nodes, so that no node is left out of the spec`,
    );
    throw new ImportRefusal(reasons);
  }
  const given = new Set(views.map((v) => v.name));
  const missing = obs.cluster.nodes.filter((n) => !given.has(n.name));
  if (missing.length > 0)
    reasons.push(
      `the cluster has nodes that were not given: ${missing.map((n) => `${n.name}${n.addresses?.[0] !== undefined ? ` (${n.addresses[0]})` : ''}`).join(', ')}. ` +
        'Give every host of the cluster: a spec without them would plan their removal.',
    );
  for (const v of views) {
    if (v.kubelet && !obs.cluster.nodes.some((n) => n.name === v.name))
      reasons.push(
        `${v.name} (${v.o.address}) runs a kubelet but is not a node of the cluster read from ${obs.cluster.observedFrom}: a node of another cluster, or one that never joined`,
      );
  }

  const cc =
    (obs.records?.clusterConfiguration !== undefined ? parseClusterConfiguration(obs.records.clusterConfiguration) : undefined) ??
    cps.map((c) => c.o.files.files['/etc/kubernetes/kubeadm-config.yaml']).flatMap((t) => (t !== undefined ? [parseClusterConfiguration(t)] : []))[0];
  if (cc === undefined) warnings.push('no kubeadm ClusterConfiguration was found (kubeadm-config ConfigMap): settings are read from the static pod manifests');

  // etcd
  const apiFlags = cps[0]!.pods.get('kube-apiserver')!.flags;
  const etcdServers = (apiFlags['etcd-servers'] ?? '').split(',').filter(Boolean);
  const localEtcd = etcdServers.every((u) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(u));
  if (cc?.externalEtcd !== undefined || !localEtcd || cps.some((c) => !c.stackedEtcd)) {
    reasons.push(
      `the cluster uses external etcd (${(cc?.externalEtcd ?? etcdServers).join(', ')}): hactl's external etcd is a layout of its own (members it built and certifies), so adopting another one is refused; stacked etcd (a member on every control-plane host) is adopted`,
    );
  }

  // Version
  const versions = unique(cps.map((c) => imageVersion(c.pods.get('kube-apiserver')!.image) ?? ''));
  const version = versions.length === 1 && versions[0] !== '' ? versions[0]! : undefined;
  if (version === undefined)
    reasons.push(
      versions.length > 1
        ? `the control-plane hosts run different Kubernetes versions (${cps.map((c) => `${c.name}: ${imageVersion(c.pods.get('kube-apiserver')!.image) ?? '?'}`).join(', ')}): finish the upgrade with kubeadm first`
        : 'the Kubernetes version could not be read from the kube-apiserver image',
    );
  else if (kubernetesMinor(version) === undefined)
    reasons.push(`the cluster runs Kubernetes ${version}; hactl supports ${SUPPORTED_RANGE_TEXT}: upgrade it with kubeadm into that range first`);
  for (const v of views.filter((x) => x.kubelet)) {
    const kv = v.o.facts.packages.kubelet;
    if (version !== undefined && kv?.installed === true && !kv.version.startsWith(`${version}-`) && kv.version !== version)
      warnings.push(`${v.name} runs kubelet ${kv.version} while the control plane is ${version}: hactl's plan will align it`);
  }

  // Endpoint and load balancer
  const ep = endpointOf(cc, cps, views);
  if (ep === undefined) reasons.push('the control-plane endpoint could not be read (kubeadm-config, admin.conf, kubelet.conf)');
  if (reasons.length > 0) throw new ImportRefusal(reasons);
  const endpoint = ep!.endpoint;

  const spec: Obj = {
    apiVersion: 'hactl.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: opts.clusterName ?? clusterNameOf(endpoint.host) },
  };
  const ssh: Obj = { user: opts.ssh.user };
  if (opts.ssh.port !== undefined && opts.ssh.port !== 22) ssh.port = opts.ssh.port;
  if (opts.ssh.privateKeyFile !== undefined) ssh.privateKeyFile = opts.ssh.privateKeyFile;
  if (opts.ssh.knownHostsFile !== undefined) ssh.knownHostsFile = opts.ssh.knownHostsFile;
  spec.ssh = ssh;

  const lb = inferLoadBalancer(views, cps, endpoint, opts.manageLoadBalancer === true);
  reasons.push(...lb.reasons);
  unmanaged.push(...lb.unmanaged);
  if (reasons.length > 0) throw new ImportRefusal(reasons);

  // Hosts: load balancers, control plane (the first that the cluster was read from first), workers.
  const cpsOrdered = [...cps].sort((a, b) => (a.name === obs.cluster!.observedFrom ? -1 : b.name === obs.cluster!.observedFrom ? 1 : 0));
  const workers = views.filter((v) => v.kubelet && !v.controlPlane);
  const lbHosts = lb.lbHosts;
  const ignoredHosts = views.filter((v) => !v.kubelet && !v.controlPlane && !lbHosts.includes(v));
  for (const v of ignoredHosts)
    unmanaged.push(`${v.name} (${v.o.address}): its load balancer in front of the apiservers is left alone (hactl does not manage it)`);
  const hosts: Obj[] = [];
  const hostNotes: { i: number; from: string }[] = [];
  const nodeOf = (name: string) => obs.cluster!.nodes.find((n) => n.name === name);
  for (const v of [...lbHosts, ...cpsOrdered, ...workers]) {
    const roles = [...(lbHosts.includes(v) ? ['lb'] : []), ...(v.controlPlane ? ['control-plane'] : []), ...(!v.controlPlane && v.kubelet ? ['worker'] : [])];
    const node = nodeOf(v.name);
    // A control-plane node without kubeadm's NoSchedule taint also runs workloads.
    if (v.controlPlane && node !== undefined && !node.taints.some((t) => t.key === 'node-role.kubernetes.io/control-plane' && t.effect === 'NoSchedule'))
      roles.push('worker');
    const h: Obj = { name: v.name, address: v.o.address, roles };
    const labels = node !== undefined ? ownLabels(node.labels) : {};
    if (Object.keys(labels).length > 0) h.labels = labels;
    const taints =
      node !== undefined ? node.taints.filter((t) => !t.key.startsWith('node-role.kubernetes.io/') && !t.key.startsWith('node.kubernetes.io/')) : [];
    if (taints.length > 0) h.taints = taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
    hostNotes.push({
      i: hosts.length,
      from: v.controlPlane
        ? `control plane: static pods ${[...v.pods.keys()].sort().join(', ')}`
        : v.kubelet
          ? 'worker: kubelet configured by kubeadm, no control-plane static pods'
          : `load balancer: ${v.proxies.map((p) => p.file).join(', ')}${v.keepalived ? ', /etc/keepalived/keepalived.conf' : ''}`,
    });
    hosts.push(h);
  }
  spec.hosts = hosts;
  const profile = profileOf(hosts.map((h) => ({ name: h.name as string, roles: h.roles as Role[], facts: views.find((v) => v.name === h.name)!.o.facts })));
  spec.profile = profile.profile;
  spec.controlPlaneEndpoint = { host: endpoint.host, port: endpoint.port, ...(cc !== undefined && cc.certSANs.length > 0 ? { extraSANs: cc.certSANs } : {}) };
  spec.loadBalancer = lb.spec;
  spec.etcd = { topology: 'stacked' };

  // Kubernetes
  const k8s: Obj = { version: version! };
  const kubeletConfigs = views.filter((v) => v.kubelet).map((v) => parseKubeletConfig(v.o.files.files[KUBELET_CONFIG] ?? ''));
  const recordKubelet = obs.records?.kubeletConfiguration !== undefined ? parseKubeletConfig(obs.records.kubeletConfiguration) : {};
  const cmFlags = cps[0]!.pods.get('kube-controller-manager')?.flags ?? {};
  const podSubnet = cc?.podSubnet ?? cmFlags['cluster-cidr'];
  const serviceSubnet = cc?.serviceSubnet ?? apiFlags['service-cluster-ip-range'];
  const domain = cc?.dnsDomain ?? recordKubelet.clusterDomain ?? kubeletConfigs.find((k) => k.clusterDomain !== undefined)?.clusterDomain;
  if (podSubnet !== undefined) k8s.podSubnet = podSubnet;
  if (serviceSubnet !== undefined) k8s.serviceSubnet = serviceSubnet;
  if (domain !== undefined) k8s.clusterDomain = domain;
  const validity = cc?.certificateValidityDays;
  if (validity !== undefined) k8s.certificates = { validityDays: validity };
  const failV1 = [recordKubelet, ...kubeletConfigs].some((k) => k.failCgroupV1 === false);
  const nonV2 = views.filter((v) => v.kubelet && (v.o.facts.cgroupMode === 'v1' || v.o.facts.cgroupMode === 'hybrid'));
  if (failV1 || (nonV2.length > 0 && version !== undefined && minorNumber(version) >= 35)) k8s.kubelet = { allowCgroupV1: true };
  spec.kubernetes = k8s;

  // containerd
  const containerd: Obj = {};
  const kube = views.filter((v) => v.kubelet || v.controlPlane);
  const cdConfigs = kube.map((v) => parseContainerdConfig(v.o.files.files['/etc/containerd/config.toml'] ?? ''));
  const sandboxes = unique(cdConfigs.map((c) => c.sandboxImage).filter((s): s is string => s !== undefined));
  if (sandboxes.length === 1 && version !== undefined && sandboxes[0] !== defaultSandboxImage(version)) containerd.sandboxImage = sandboxes[0]!;
  if (sandboxes.length > 1) warnings.push(`the hosts' containerd use different sandbox images (${sandboxes.join(', ')}): hactl will set one`);
  const cgroups = unique(cdConfigs.map((c) => c.systemdCgroup).filter((b): b is boolean => b !== undefined));
  if (cgroups.length === 1 && cgroups[0] === false) {
    containerd.systemdCgroup = false;
  }
  const mirrors = registryMirrors(kube);
  if (mirrors.length > 0) containerd.registryMirrors = mirrors.map((m) => ({ registry: m.registry, endpoints: m.endpoints }));
  const legacy = unique(cdConfigs.flatMap((c) => c.legacyMirrors));
  if (legacy.length > 0)
    warnings.push(
      `containerd's config.toml configures mirrors the old way (registry.mirrors for ${legacy.join(', ')}): hactl writes them as hosts.toml; check them`,
    );
  if (Object.keys(containerd).length > 0) spec.containerd = containerd;

  // CNI
  const cni = inferCni(obs.cluster, views);
  spec.cni = cni.spec;
  unmanaged.push(...cni.unmanaged);

  // Package sources
  const pk = inferPackages(kube, opts.keyFileName);
  warnings.push(...pk.warnings);
  if (pk.spec !== undefined) spec.packages = pk.spec;

  // The document and its comments.
  const doc = new Document(spec);
  const say = (path: (string | number)[], from: string) => note(doc, path, `inferred from ${from}`);
  doc.commentBefore = [
    ` yaml-language-server: $schema=https://hactl.io/schemas/cluster.schema.json`,
    ` Written by \`hactl import\` from what the hosts run; values marked "inferred from" are its reading of them.`,
    ` Review it, then \`hactl plan -f FILE\`: the first plan shows only the adoption changes import listed.`,
    ...(unmanaged.length > 0 ? [' Left alone by hactl (not managed):', ...unmanaged.map((u) => `   - ${u}`)] : []),
  ].join('\n');
  say(['profile'], profile.from);
  hostNotes.forEach(({ i, from }) => say(['hosts', i, 'roles'], from));
  say(['controlPlaneEndpoint', 'host'], ep!.from);
  say(['controlPlaneEndpoint', 'port'], ep!.from);
  say(['loadBalancer', 'type'], lb.from);
  for (const [path, from] of lb.notes) say(path, from);
  say(['etcd', 'topology'], `etcd static pods on ${cps.map((c) => c.name).join(', ')} and --etcd-servers=${etcdServers.join(',')} in kube-apiserver.yaml`);
  say(['kubernetes', 'version'], `the kube-apiserver image (${cps[0]!.pods.get('kube-apiserver')!.image ?? ''}) on ${cps.map((c) => c.name).join(', ')}`);
  if (podSubnet !== undefined)
    say(['kubernetes', 'podSubnet'], cc?.podSubnet !== undefined ? 'networking.podSubnet in kubeadm-config' : '--cluster-cidr of kube-controller-manager');
  else
    note(
      doc,
      ['kubernetes'],
      "podSubnet: not set in the cluster (kubeadm init ran without --pod-network-cidr); hactl's default is used only if the cluster is rebuilt",
    );
  if (serviceSubnet !== undefined)
    say(
      ['kubernetes', 'serviceSubnet'],
      cc?.serviceSubnet !== undefined ? 'networking.serviceSubnet in kubeadm-config' : '--service-cluster-ip-range of kube-apiserver',
    );
  if (domain !== undefined)
    say(['kubernetes', 'clusterDomain'], cc?.dnsDomain !== undefined ? 'networking.dnsDomain in kubeadm-config' : 'clusterDomain in the kubelet config');
  if (validity !== undefined) say(['kubernetes', 'certificates', 'validityDays'], 'certificateValidityPeriod in kubeadm-config');
  const certs = certificateSummary(views);
  if (certs !== undefined) note(doc, ['kubernetes', 'version'], certs);
  if (k8s.kubelet !== undefined)
    say(
      ['kubernetes', 'kubelet', 'allowCgroupV1'],
      failV1 ? 'failCgroupV1: false in the kubelet config' : `the cgroup layout (v1/hybrid) of ${nonV2.map((v) => v.name).join(', ')}`,
    );
  if (containerd.sandboxImage !== undefined) say(['containerd', 'sandboxImage'], 'sandbox image in /etc/containerd/config.toml');
  if (containerd.systemdCgroup !== undefined) say(['containerd', 'systemdCgroup'], 'SystemdCgroup in /etc/containerd/config.toml');
  mirrors.forEach((m, i) => say(['containerd', 'registryMirrors', i, 'registry'], m.from));
  const cdVersions = unique(kube.map((v) => v.o.facts.packages.containerd).flatMap((p) => (p?.installed === true ? [p.version] : [])));
  if (cdVersions.length > 0)
    note(doc, ['kubernetes'], `containerd ${cdVersions.join(', ')} is installed (not pinned: containerd.version would hold it at one version)`);
  say(['cni', 'plugin'], cni.from);
  if (cni.spec.version !== undefined) say(['cni', 'version'], cni.from);
  for (const [path, from] of pk.notes) say(path, from);
  return {
    document: doc,
    unmanaged,
    warnings,
    files: pk.files,
    hostNames: hosts.map((h) => h.name as string),
  };
}

/**
 * `production` when every host meets its minimums (DEVELOPERS.md), else `test`, whose preflight
 * warns about small hosts instead of refusing them: the cluster runs on these hosts already.
 */
function profileOf(hosts: { name: string; roles: Role[]; facts: HostFacts }[]): { profile: 'production' | 'test'; from: string } {
  const short: string[] = [];
  for (const h of hosts) {
    const min = minimumSize('production', h.roles);
    const disk = h.facts.disks.find((d) => d.path === '/var') ?? h.facts.disks.find((d) => d.path === '/');
    if (h.facts.cpus < min.cpus) short.push(`${h.name}: ${h.facts.cpus} CPUs < ${min.cpus}`);
    else if (h.facts.memoryBytes < min.memoryMiB * 1024 ** 2 * 0.95)
      short.push(`${h.name}: ${Math.round(h.facts.memoryBytes / 1024 ** 2)} MiB < ${min.memoryMiB} MiB`);
    else if (disk !== undefined && disk.sizeBytes < min.diskGB * 1e9) short.push(`${h.name}: ${Math.round(disk.sizeBytes / 1e9)} GB disk < ${min.diskGB} GB`);
  }
  return short.length === 0
    ? { profile: 'production', from: "the hosts' sizes, which meet profile production's minimums" }
    : {
        profile: 'test',
        from: `the hosts' sizes, below profile production's minimums (${short.slice(0, 3).join(', ')}${short.length > 3 ? ', …' : ''}): preflight warns instead of refusing`,
      };
}

const minorNumber = (v: string) => Number(/^\d+\.(\d+)/.exec(v)?.[1] ?? 0);

function clusterNameOf(endpointHost: string): string {
  const n = endpointHost
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `imported-${n}`.slice(0, 63).replace(/-+$/, '');
}

/** Labels someone set (not the ones the kubelet and kubeadm put on every node). */
function ownLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).filter(
      ([k]) =>
        !/^(kubernetes\.io|beta\.kubernetes\.io|node\.kubernetes\.io|node-role\.kubernetes\.io|topology\.kubernetes\.io|node\.kubernetes\.io)\//.test(k) &&
        !k.startsWith('hactl.io/'),
    ),
  );
}

interface LbInference {
  spec: Obj;
  from: string;
  notes: [(string | number)[], string][];
  lbHosts: HostView[];
  unmanaged: string[];
  reasons: string[];
}

function inferLoadBalancer(views: HostView[], cps: HostView[], endpoint: Endpoint, manage: boolean): LbInference {
  const out: LbInference = { spec: {}, from: '', notes: [], lbHosts: [], unmanaged: [], reasons: [] };
  const ip = parseIp(endpoint.host);
  const cpAddrs = new Set(cps.map((c) => c.o.address));
  // kube-vip: a static pod on the control-plane hosts announcing the endpoint.
  const kubeVip = cps.filter((c) => c.pods.has('kube-vip'));
  // keepalived holding the endpoint, with a proxy beside it.
  const holders = views.filter((v) => v.keepalived?.vips.some((x) => x.address === endpoint.host) === true);
  // Local proxies on the nodes, listening on loopback (kubeasz's kube-lb, kubespray's nginx-proxy).
  const local = views.filter((v) =>
    v.proxies.some((p) => p.config.listens.some((l) => l.port === endpoint.port && (l.host === '127.0.0.1' || l.host === 'localhost'))),
  );
  const external = (why: string, from: string) => {
    out.spec = { type: 'external' };
    out.from = from;
    out.unmanaged.push(why);
  };
  if (ip !== undefined && isLoopback(ip)) {
    const files = unique(local.flatMap((v) => v.proxies.map((p) => p.file)));
    external(
      `the local API proxies on ${local.map((v) => v.name).join(', ') || 'the nodes'} (${files.join(', ') || 'not found'}), which each node reaches at ${endpoint.host}:${endpoint.port}: hactl has no per-node proxy of its own and leaves them as they are`,
      `the endpoint ${endpoint.host}:${endpoint.port}, a loopback address served on each node by ${files.join(', ') || 'a local proxy'}`,
    );
    return out;
  }
  if (kubeVip.length > 0) {
    const pod = kubeVip[0]!.pods.get('kube-vip')!;
    const iface = pod.env.vip_interface;
    const address = pod.env.address ?? pod.env.vip_address;
    if (manage && iface !== undefined && address === endpoint.host) {
      out.spec = { type: 'kube-vip', kubeVip: { interface: iface, ...(imageVersion(pod.image) ? { version: imageVersion(pod.image) } : {}) } };
      out.from = `the kube-vip static pod on ${kubeVip.map((c) => c.name).join(', ')} announcing ${address}`;
      out.notes.push([['loadBalancer', 'kubeVip', 'interface'], 'vip_interface in kube-vip.yaml']);
      return out;
    }
    external(
      `kube-vip on ${kubeVip.map((c) => c.name).join(', ')} (${MANIFESTS}/kube-vip.yaml), announcing ${address ?? endpoint.host}: left as it is${manage ? '' : " (import --manage-load-balancer takes it over; its pod then restarts with hactl's manifest, and the VIP moves)"}`,
      `kube-vip.yaml on ${kubeVip.map((c) => c.name).join(', ')} (left alone: type external to hactl)`,
    );
    return out;
  }
  if (holders.length > 0) {
    const withProxy = holders.filter((h) => h.proxies.some((p) => p.kind === 'haproxy' || p.kind === 'nginx'));
    const kind = withProxy[0]?.proxies.find((p) => p.kind === 'haproxy') !== undefined ? 'haproxy' : 'nginx';
    const colocated = holders.every((h) => cpAddrs.has(h.o.address));
    const desc = `keepalived (VIP ${endpoint.host}) and ${kind} on ${holders.map((h) => h.name).join(', ')}`;
    if (!manage) {
      external(
        `${desc}: left as they are. Taking them over rewrites keepalived.conf and restarts keepalived, which drops the VIP for a few seconds; import --manage-load-balancer does that (the adoption changes then list it)`,
        `${desc} (left alone: type external to hactl)`,
      );
      return out;
    }
    if (withProxy.length !== holders.length) {
      out.reasons.push(
        `keepalived holds ${endpoint.host} on ${holders.map((h) => h.name).join(', ')}, but not all of them run haproxy or nginx: hactl's keepalived load balancers pair it with a proxy on each host`,
      );
      return out;
    }
    const k = holders.map((h) => h.keepalived!);
    const ifaces = unique(k.map((x) => x.interface ?? ''));
    const vrids = unique(k.map((x) => x.virtualRouterId ?? 51));
    if (ifaces.length !== 1 || ifaces[0] === '')
      out.reasons.push(`keepalived's interface differs between ${holders.map((h) => h.name).join(', ')} (${ifaces.join(', ')})`);
    if (vrids.length !== 1) out.reasons.push(`keepalived's virtual_router_id differs between ${holders.map((h) => h.name).join(', ')} (${vrids.join(', ')})`);
    const listen = withProxy[0]!.proxies.flatMap((p) => p.config.listens)[0];
    const prefix = k[0]!.vips.find((x) => x.address === endpoint.host)?.prefix;
    const keepalived: Obj = {
      interface: ifaces[0],
      virtualRouterId: vrids[0],
      priorities: Object.fromEntries(holders.map((h) => [h.name, h.keepalived!.priority ?? 100])),
      unicast: k.every((x) => x.unicast),
      ...(prefix !== undefined ? { subnetPrefix: prefix } : {}),
      ...(k.some((x) => x.authPassword) ? { authPasswordEnv: 'HACTL_VRRP_PASSWORD' } : {}),
    };
    const hc = withProxy[0]!.proxies.find((p) => p.config.healthCheck !== undefined)?.config.healthCheck;
    out.spec = {
      type: kind === 'haproxy' ? 'keepalived-haproxy' : 'keepalived-nginx',
      ...(colocated ? { placement: 'co-located' } : {}),
      ...(listen !== undefined && listen.port !== endpoint.port ? { frontendPort: listen.port } : {}),
      keepalived,
      ...(hc !== undefined ? { healthCheck: hc } : {}),
    };
    out.from = desc;
    out.notes.push(
      [['loadBalancer', 'keepalived', 'interface'], 'interface in keepalived.conf'],
      [['loadBalancer', 'keepalived', 'priorities'], 'priority in each keepalived.conf'],
    );
    if (keepalived.authPasswordEnv !== undefined)
      out.notes.push([
        ['loadBalancer', 'keepalived', 'authPasswordEnv'],
        'auth_pass in keepalived.conf: export the same password in HACTL_VRRP_PASSWORD (import did not copy it)',
      ]);
    if (!colocated) out.lbHosts = holders;
    return out;
  }
  if (cpAddrs.has(endpoint.host) && cps.length === 1) {
    out.spec = { type: 'none' };
    out.from = `the endpoint ${endpoint.host}, the address of the only control-plane host`;
    return out;
  }
  const proxies = views.filter((v) => !v.kubelet && v.proxies.length > 0);
  external(
    `the load balancer at ${endpoint.host}:${endpoint.port}${proxies.length > 0 ? ` (${proxies.map((p) => p.name).join(', ')})` : ''}: not run by keepalived on a host given here, so hactl leaves it alone`,
    `the endpoint ${endpoint.host}:${endpoint.port}, which no keepalived or kube-vip among the hosts holds`,
  );
  return out;
}

function registryMirrors(kube: HostView[]): { registry: string; endpoints: string[]; from: string }[] {
  const byRegistry = new Map<string, { endpoints: string[]; hosts: string[] }>();
  for (const v of kube) {
    for (const [path, text] of Object.entries(v.o.files.files)) {
      const m = /^\/etc\/containerd\/certs\.d\/([^/]+)\/hosts\.toml$/.exec(path);
      if (!m) continue;
      const registry = m[1] === '_default' ? undefined : m[1]!;
      const h = parseHostsToml(text);
      if (registry === undefined || h.hosts.length === 0) continue;
      const e = byRegistry.get(registry) ?? { endpoints: h.hosts, hosts: [] };
      e.hosts.push(v.name);
      byRegistry.set(registry, e);
    }
  }
  return [...byRegistry].map(([registry, e]) => ({
    registry,
    endpoints: e.endpoints,
    from: `/etc/containerd/certs.d/${registry}/hosts.toml on ${e.hosts.join(', ')}`,
  }));
}

/** A well-known CNI's DaemonSet and the image that tells its version. */
const KNOWN_CNIS: { plugin: 'calico' | 'flannel'; name: string; image: RegExp }[] = [
  { plugin: 'calico', name: 'calico-node', image: /calico\/node:v(\d+\.\d+\.\d+)/ },
  { plugin: 'flannel', name: 'kube-flannel-ds', image: /flannel:v(\d+\.\d+\.\d+)/ },
];

function inferCni(cluster: ClusterFacts, views: HostView[]): { spec: Obj; from: string; unmanaged: string[] } {
  for (const k of KNOWN_CNIS) {
    const ds = cluster.daemonsets.find((d) => d.name === k.name);
    const v = ds?.images.map((i) => k.image.exec(i)?.[1]).find((x) => x !== undefined);
    if (ds && v !== undefined)
      return { spec: { plugin: k.plugin, version: v }, from: `DaemonSet ${ds.namespace}/${ds.name} running ${ds.images.join(', ')}`, unmanaged: [] };
  }
  const ds = cluster.daemonsets.filter((d) => d.name !== 'kube-proxy');
  const confs = unique(views.flatMap((v) => Object.keys(v.o.files.files).filter((p) => p.startsWith('/etc/cni/net.d/'))));
  const what = [...ds.map((d) => `DaemonSet ${d.namespace}/${d.name}`), ...confs].join(', ') || 'no CNI DaemonSet or configuration found';
  return {
    spec: { plugin: 'unmanaged' },
    from: `what runs: ${what}; not a CNI hactl installs, so it is left alone`,
    unmanaged: [`the pod network (${what}): not one hactl recognises (calico, flannel), so it is left as it is`],
  };
}

function inferPackages(
  kube: HostView[],
  keyFileName: string,
): { spec?: Obj; notes: [(string | number)[], string][]; files: Record<string, string>; warnings: string[] } {
  const notes: [(string | number)[], string][] = [];
  const files: Record<string, string> = {};
  const warnings: string[] = [];
  const sources: (AptSourceLine & { host: string })[] = kube.flatMap((v) =>
    Object.entries(v.o.files.files)
      .filter(([p]) => p.startsWith('/etc/apt/sources.list'))
      .flatMap(([p, t]) => parseAptSources(p, t).map((s) => ({ ...s, host: v.name }))),
  );
  const repo = sources.map((s) => ({ s, r: kubernetesRepositoryOf(s.uri) })).find((x) => x.r !== undefined);
  if (repo === undefined) {
    const kube = sources.find((s) => /kubernetes|k8s/.test(s.uri));
    if (kube !== undefined)
      warnings.push(
        `the Kubernetes packages come from ${kube.uri} ${kube.suite} (${kube.file}), which is not a per-minor repository of pkgs.k8s.io's layout: set packages.apt.kubernetes yourself`,
      );
    return { notes, files, warnings };
  }
  const repository: Obj = { baseUrl: repo.r!.baseUrl };
  notes.push([['packages', 'kubernetesRepository', 'baseUrl'], `${repo.s.file} on ${repo.s.host} (deb ${repo.s.uri} ${repo.s.suite})`]);
  if (repo.s.signedBy !== undefined) {
    const v = kube.find((x) => x.name === repo.s.host)!;
    const bytes = v.o.files.bytes[repo.s.signedBy];
    const armored = bytes !== undefined ? armoredKey(bytes) : undefined;
    if (armored !== undefined) {
      files[keyFileName] = armored;
      repository.keyFile = keyFileName;
      notes.push([
        ['packages', 'kubernetesRepository', 'keyFile'],
        `the key ${repo.s.host} already trusts for it (${repo.s.signedBy}), copied: check its fingerprint`,
      ]);
    } else warnings.push(`the signing key ${repo.s.signedBy} of ${repo.s.uri} could not be read on ${repo.s.host}: set packages.kubernetesRepository.keyFile`);
  } else if (repo.s.trusted)
    warnings.push(
      `${repo.s.file} on ${repo.s.host} trusts ${repo.s.uri} without a key ([trusted=yes]); hactl's list checks signatures: set packages.kubernetesRepository.keyFile`,
    );
  const others = unique(sources.filter((s) => kubernetesRepositoryOf(s.uri) === undefined).map((s) => `${s.uri} ${s.suite} (${s.file})`));
  if (others.length > 0)
    notes.push([
      ['packages', 'kubernetesRepository'],
      `the hosts' OS sources stay as they are: ${others.slice(0, 3).join('; ')}${others.length > 3 ? '; …' : ''}`,
    ]);
  return { spec: { kubernetesRepository: repository }, notes, files, warnings };
}

/** An OpenPGP public key as ASCII armor: as is when armored already, armored (RFC 4880 §6) when binary. */
export function armoredKey(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  if (/^\s*-----BEGIN PGP PUBLIC KEY BLOCK-----/.test(text)) return text.endsWith('\n') ? text : `${text}\n`;
  // A binary key starts with a public-key packet: old format tag 6 (0x98/0x99) or new format (0xc6).
  if (bytes.length === 0 || ![0x98, 0x99, 0x9a, 0xc6].includes(bytes[0]!)) return undefined;
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  crc &= 0xffffff;
  const body = bytes
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  const sum = Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff]).toString('base64');
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body}\n=${sum}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

/** The earliest expiry among the control plane's certificates, for a comment. */
function certificateSummary(views: HostView[]): string | undefined {
  const all = views.flatMap((v) =>
    v.o.facts.certificates.filter((c) => c.daysLeft !== undefined && c.path.startsWith('/etc/kubernetes/pki/')).map((c) => ({ v, c })),
  );
  if (all.length === 0) return undefined;
  const leaf = all.filter(({ c }) => !/\/ca\.crt$|front-proxy-ca\.crt$/.test(c.path));
  const first = (leaf.length > 0 ? leaf : all).sort((a, b) => a.c.daysLeft! - b.c.daysLeft!)[0]!;
  return `certificates: the first to expire is ${first.c.path} on ${first.v.name}, in ${first.c.daysLeft} days (${first.c.notAfter ?? '?'})`;
}
