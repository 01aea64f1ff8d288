// Turns schema-valid input (whose static defaults ajv has already filled in from the schema)
// into the normalized ClusterSpec: the defaults that depend on other fields live here.

import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { APISERVER_PORT, CO_LOCATED_FRONTEND_PORT, DEFAULT_CNI_VERSIONS, KEEPALIVED_PRIORITY_START, KEEPALIVED_PRIORITY_STEP } from './constants.js';
import type { BastionInput, ClusterInput, HostInput, SshOverrideInput } from './input.js';
import { defaultSandboxImage } from './versions.js';
import type { AptSource, BastionSettings, ClusterSpec, DnfSource, Host, LoadBalancer, LoadBalancerType, SshSettings } from './types.js';

/** `~` is the user's home; relative paths are relative to the spec file's directory. */
export function expandPath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export const isKeepalived = (t: LoadBalancerType): boolean => t === 'keepalived-haproxy' || t === 'keepalived-nginx';

export interface Inferred {
  type: LoadBalancerType;
  placement: 'dedicated' | 'co-located';
  /** Hosts that run the load balancer (keepalived or kube-vip), in spec order. */
  lbHosts: HostInput[];
}

/** The load-balancer choices implied by the hosts when the spec leaves them out. */
export function inferLoadBalancer(input: ClusterInput): Inferred {
  const lbRole = input.hosts.filter((h) => h.roles.includes('lb'));
  const cps = input.hosts.filter((h) => h.roles.includes('control-plane'));
  const lb = input.loadBalancer ?? {};
  const type = lb.type ?? (lbRole.length > 0 || cps.length > 1 ? 'keepalived-haproxy' : 'none');
  const placement = type === 'kube-vip' ? 'co-located' : (lb.placement ?? (lbRole.length > 0 ? 'dedicated' : 'co-located'));
  const lbHosts = isKeepalived(type) ? (placement === 'dedicated' ? lbRole : cps) : type === 'kube-vip' ? cps : [];
  return { type, placement, lbHosts };
}

function mergeSsh(base: SshOverrideInput, override: SshOverrideInput | undefined, baseDir: string): SshSettings {
  const m: SshOverrideInput = { ...base };
  for (const [k, v] of Object.entries(override ?? {})) if (v !== undefined) (m as Record<string, unknown>)[k] = v;
  // The schema filled user, port, knownHostsFile and connectTimeoutSeconds into `base`.
  const user = m.user!;
  const privateKeyFile = m.privateKeyFile !== undefined ? expandPath(m.privateKeyFile, baseDir) : undefined;
  const out: SshSettings = {
    user,
    port: m.port!,
    knownHostsFile: expandPath(m.knownHostsFile!, baseDir),
    sudo: m.sudo ?? user !== 'root',
    connectTimeoutSeconds: m.connectTimeoutSeconds!,
  };
  if (privateKeyFile !== undefined) out.privateKeyFile = privateKeyFile;
  if (m.passphraseEnv !== undefined) out.passphraseEnv = m.passphraseEnv;
  if (m.bastion !== undefined) out.bastion = bastion(m.bastion, user, privateKeyFile, baseDir);
  return out;
}

function bastion(b: BastionInput, user: string, keyFile: string | undefined, baseDir: string): BastionSettings {
  const out: BastionSettings = { address: b.address, port: b.port ?? 22, user: b.user ?? user };
  // Usually the same key opens the bastion and the hosts behind it.
  const key = b.privateKeyFile !== undefined ? expandPath(b.privateKeyFile, baseDir) : keyFile;
  if (key !== undefined) out.privateKeyFile = key;
  return out;
}

/**
 * Builds the normalized spec. Inputs that semantic checks reject (say a keepalived load balancer
 * without a VIP) still produce a spec here, with empty values the checks report; it is never
 * handed out while errors exist.
 */
export function applyDefaults(input: ClusterInput, baseDir: string): ClusterSpec {
  const sshIn = input.ssh!;
  const { parallelism, ...sshBase } = sshIn;
  const clusterSsh = { ...mergeSsh(sshBase, undefined, baseDir), parallelism: parallelism! };

  const hosts: Host[] = input.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    roles: [...h.roles],
    labels: { ...h.labels },
    taints: (h.taints ?? []).map((t) => ({ ...t })),
    ssh: mergeSsh(sshBase, h.ssh, baseDir),
  }));

  const cps = input.hosts.filter((h) => h.roles.includes('control-plane'));
  const { type, placement, lbHosts } = inferLoadBalancer(input);
  const lbIn = input.loadBalancer!;
  const proxyCoLocated = isKeepalived(type) && placement === 'co-located';
  const epIn = input.controlPlaneEndpoint ?? {};
  const port = epIn.port ?? (proxyCoLocated ? (lbIn.frontendPort ?? CO_LOCATED_FRONTEND_PORT) : APISERVER_PORT);
  const endpointHost = epIn.host ?? (type === 'none' && cps.length === 1 ? cps[0]!.address : '');

  const loadBalancer: LoadBalancer = {
    type,
    placement,
    // Only the keepalived proxies listen on a port of their own; otherwise clients reach the
    // apiservers on the endpoint port directly.
    frontendPort: isKeepalived(type) ? (lbIn.frontendPort ?? (proxyCoLocated ? CO_LOCATED_FRONTEND_PORT : port)) : port,
    healthCheck: { intervalMs: lbIn.healthCheck!.intervalMs!, fall: lbIn.healthCheck!.fall!, rise: lbIn.healthCheck!.rise! },
  };
  if (isKeepalived(type) && lbIn.keepalived !== undefined) {
    const k = lbIn.keepalived;
    const priorities: Record<string, number> = {};
    lbHosts.forEach((h, i) => {
      priorities[h.name] = k.priorities?.[h.name] ?? Math.max(1, KEEPALIVED_PRIORITY_START - KEEPALIVED_PRIORITY_STEP * i);
    });
    loadBalancer.keepalived = {
      virtualRouterId: k.virtualRouterId!,
      interface: k.interface,
      priorities,
      unicast: k.unicast!,
      subnetPrefix: k.subnetPrefix!,
    };
    if (k.authPasswordEnv !== undefined) loadBalancer.keepalived.authPasswordEnv = k.authPasswordEnv;
  }
  if (type === 'kube-vip' && lbIn.kubeVip !== undefined) {
    loadBalancer.kubeVip = { interface: lbIn.kubeVip.interface, version: lbIn.kubeVip.version! };
  }

  const etcdIn = input.etcd!;
  const k8s = input.kubernetes!;
  const cd = input.containerd!;
  const cniIn = input.cni!;
  const plugin = cniIn.plugin!;
  const pk = input.packages!;

  const apt = (list: NonNullable<NonNullable<ClusterInput['packages']>['apt']>['os']): AptSource[] =>
    (list ?? []).map((s) => {
      const out: AptSource = { uri: s.uri, suite: s.suite, components: [...s.components!], trusted: s.trusted! };
      if (s.keyFile !== undefined) out.keyFile = expandPath(s.keyFile, baseDir);
      return out;
    });
  const dnf = (list: NonNullable<NonNullable<ClusterInput['packages']>['dnf']>['os']): DnfSource[] =>
    (list ?? []).map((s) => {
      const out: DnfSource = { name: s.name, baseurl: s.baseurl, gpgcheck: s.gpgcheck! };
      if (s.gpgkeyFile !== undefined) out.gpgkeyFile = expandPath(s.gpgkeyFile, baseDir);
      return out;
    });

  const spec: ClusterSpec = {
    apiVersion: input.apiVersion,
    kind: 'Cluster',
    name: input.metadata.name,
    profile: input.profile!,
    ssh: clusterSsh,
    hosts,
    controlPlaneEndpoint: { host: endpointHost, port, extraSANs: [...(epIn.extraSANs ?? [])] },
    loadBalancer,
    etcd: { topology: etcdIn.topology ?? (input.hosts.some((h) => h.roles.includes('etcd')) ? 'external' : 'stacked') },
    kubernetes: {
      version: k8s.version!,
      podSubnet: k8s.podSubnet!,
      serviceSubnet: k8s.serviceSubnet!,
      clusterDomain: k8s.clusterDomain!,
      certificates: {
        validityDays: k8s.certificates!.validityDays!,
        renewBeforeDays: k8s.certificates!.renewBeforeDays!,
        warnWithinDays: k8s.certificates!.warnWithinDays!,
      },
      kubelet: { allowCgroupV1: k8s.kubelet!.allowCgroupV1! },
      upgrade: { maxUnavailable: k8s.upgrade!.maxUnavailable! },
    },
    containerd: {
      systemdCgroup: cd.systemdCgroup!,
      sandboxImage: cd.sandboxImage ?? defaultSandboxImage(k8s.version!),
      registryMirrors: cd.registryMirrors!.map((m) => ({ registry: m.registry, endpoints: [...m.endpoints] })),
      privateRegistries: cd.privateRegistries!.map((r) => {
        const out: ClusterSpec['containerd']['privateRegistries'][number] = { host: r.host, insecureSkipVerify: r.insecureSkipVerify! };
        if (r.caFile !== undefined) out.caFile = expandPath(r.caFile, baseDir);
        if (r.usernameEnv !== undefined) out.usernameEnv = r.usernameEnv;
        if (r.passwordEnv !== undefined) out.passwordEnv = r.passwordEnv;
        return out;
      }),
    },
    cni: { plugin },
    packages: {
      replaceDefaults: pk.replaceDefaults!,
      kubernetesRepository: { baseUrl: pk.kubernetesRepository!.baseUrl! },
      apt: { os: apt(pk.apt!.os), kubernetes: apt(pk.apt!.kubernetes) },
      dnf: { os: dnf(pk.dnf!.os), kubernetes: dnf(pk.dnf!.kubernetes) },
    },
  };
  if (pk.bundle !== undefined) spec.packages.bundle = expandPath(pk.bundle, baseDir);
  if (pk.kubernetesRepository!.keyFile !== undefined) spec.packages.kubernetesRepository.keyFile = expandPath(pk.kubernetesRepository!.keyFile, baseDir);
  if (etcdIn.version !== undefined) spec.etcd.version = etcdIn.version;
  if (cd.version !== undefined) spec.containerd.version = cd.version;
  if (plugin === 'manifest') {
    if (cniIn.manifest !== undefined) spec.cni.manifest = expandPath(cniIn.manifest, baseDir);
  } else if (plugin !== 'unmanaged') {
    spec.cni.version = cniIn.version ?? DEFAULT_CNI_VERSIONS[plugin];
  }
  return spec;
}
