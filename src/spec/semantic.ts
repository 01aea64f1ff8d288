// Checks the schema cannot express: references between hosts and settings, counts, networks and
// versions. Each check is linear (or n log n) in the number of hosts: specs with thousands of
// hosts validate in well under a second.

import { APISERVER_PORT, MAX_ETCD_MEMBERS } from './constants.js';
import { inferLoadBalancer, isKeepalived } from './defaults.js';
import type { ClusterInput, HostInput } from './input.js';
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIp,
  hasHostBits,
  ipKey,
  isLoopback,
  networkOf,
  networkOrBroadcast,
  parseCidr,
  parseIp,
  sameSubnet,
  unusableAddress,
  type Cidr,
  type IpAddress,
} from './net.js';
import type { Path } from './positions.js';
import { closest } from './suggest.js';
import type { ClusterSpec } from './types.js';
import { kubernetesMinor, minorOf, SUPPORTED_RANGE_TEXT } from './versions.js';

export interface SemanticProblem {
  severity: 'error' | 'warning';
  path: Path;
  atKey: boolean;
  message: string;
}

type Report = (path: Path, message: string, opts?: { warning?: boolean; atKey?: boolean }) => void;

const roleIndex = (h: HostInput, role: string): number => Math.max(0, h.roles.indexOf(role as HostInput['roles'][number]));

/**
 * Runs every check. With `tolerant` (the input failed the schema somewhere) a check that trips
 * over the broken shape is skipped and the others still report.
 */
export function checkSemantics(input: ClusterInput, spec: ClusterSpec, tolerant = false): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const report: Report = (path, message, opts = {}) =>
    problems.push({ severity: opts.warning ? 'warning' : 'error', path, atKey: opts.atKey ?? false, message });
  const run = <T>(check: () => T, fallback: T): T => {
    if (!tolerant) return check();
    try {
      return check();
    } catch {
      return fallback;
    }
  };

  const addresses = run(() => checkHosts(input, report), []);
  run(() => checkEtcd(input, spec, report), undefined);
  run(() => checkLoadBalancer(input, spec, addresses, report), undefined);
  run(() => checkNetworks(input, spec, addresses, report), undefined);
  run(() => checkKubernetes(spec, report), undefined);
  run(() => checkContainerd(input, report), undefined);
  run(() => checkCni(input, report), undefined);
  run(() => checkPackages(input, report), undefined);
  run(() => checkSsh(input, spec, report), undefined);
  return problems;
}

/** Unique names and addresses, a control plane. Returns each host's parsed address. */
function checkHosts(input: ClusterInput, report: Report): (IpAddress | undefined)[] {
  const names = new Map<string, number>();
  const byAddress = new Map<string, number>();
  // Loopback is how hosts reach each other only when every one of them is this machine.
  const allLoopback = input.hosts.every((h) => {
    const ip = parseIp(h.address);
    return ip !== undefined && isLoopback(ip);
  });
  const parsed = input.hosts.map((h, i) => {
    const seen = names.get(h.name);
    if (seen !== undefined) report(['hosts', i, 'name'], `host name '${h.name}' is already used by hosts[${seen}]`);
    else names.set(h.name, i);
    const ip = parseIp(h.address);
    const unusable = ip !== undefined ? unusableAddress(ip, { allowLoopback: allLoopback }) : undefined;
    if (unusable !== undefined) report(['hosts', i, 'address'], `${h.address} is ${unusable}, not an address the other hosts and hactl can reach this host at`);
    if (ip !== undefined) {
      const other = byAddress.get(ipKey(ip));
      if (other !== undefined) {
        report(['hosts', i, 'address'], `address ${h.address} is already used by hosts[${other}] (${input.hosts[other]!.name})`);
      } else byAddress.set(ipKey(ip), i);
    }
    return ip;
  });

  const cps = input.hosts.flatMap((h, i) => (h.roles.includes('control-plane') ? [i] : []));
  if (cps.length === 0) {
    report(['hosts'], "at least one host needs the role 'control-plane'");
  } else if (cps.length === 2) {
    report(['hosts', cps[1]!, 'roles'], '2 control-plane hosts are no more fault-tolerant than 1: use 1 or 3', { warning: true });
  }
  return parsed;
}

function checkEtcd(input: ClusterInput, spec: ClusterSpec, report: Report): void {
  const topology = spec.etcd.topology;
  const etcdHosts: number[] = [];
  const cps: number[] = [];
  input.hosts.forEach((h, i) => {
    if (h.roles.includes('etcd')) etcdHosts.push(i);
    if (h.roles.includes('control-plane')) cps.push(i);
  });

  if (topology === 'stacked') {
    for (const i of etcdHosts) {
      report(
        ['hosts', i, 'roles', roleIndex(input.hosts[i]!, 'etcd')],
        "role 'etcd' needs etcd.topology 'external'; with 'stacked' etcd runs on the control-plane hosts",
      );
    }
    if (cps.length > 0 && cps.length % 2 === 0) {
      const last = cps[cps.length - 1]!;
      report(
        ['hosts', last, 'roles', roleIndex(input.hosts[last]!, 'control-plane')],
        `etcd needs an odd number of members to keep quorum, got ${cps.length} (stacked etcd: one member per control-plane host)`,
      );
    } else if (cps.length > MAX_ETCD_MEMBERS) {
      report(['etcd', 'topology'], `stacked etcd would have ${cps.length} members (one per control-plane host); at most ${MAX_ETCD_MEMBERS} are supported`);
    }
    if (input.etcd?.version !== undefined) {
      report(['etcd', 'version'], 'is ignored with the stacked topology: kubeadm runs the etcd that matches Kubernetes', { warning: true });
    }
    return;
  }

  if (etcdHosts.length === 0) {
    report(['etcd', 'topology'], "external etcd needs hosts with the role 'etcd', found none");
    return;
  }
  const last = etcdHosts[etcdHosts.length - 1]!;
  const lastRole = ['hosts', last, 'roles', roleIndex(input.hosts[last]!, 'etcd')];
  if (etcdHosts.length % 2 === 0) {
    report(lastRole, `etcd needs an odd number of members to keep quorum, got ${etcdHosts.length}`);
  } else if (etcdHosts.length > MAX_ETCD_MEMBERS) {
    report(lastRole, `etcd supports at most ${MAX_ETCD_MEMBERS} members, got ${etcdHosts.length}`);
  }
  for (const i of etcdHosts) {
    const h = input.hosts[i]!;
    if (h.roles.includes('control-plane')) {
      report(['hosts', i, 'roles', roleIndex(h, 'etcd')], `external etcd members run on their own hosts, but '${h.name}' is also a control-plane host`);
    }
  }
}

function checkLoadBalancer(input: ClusterInput, spec: ClusterSpec, addresses: (IpAddress | undefined)[], report: Report): void {
  const lbIn = input.loadBalancer ?? {};
  const { type, placement, lbHosts } = inferLoadBalancer(input);
  const typeText = lbIn.type !== undefined ? `'${type}'` : `'${type}' (the default)`;
  const lbRole = input.hosts.flatMap((h, i) => (h.roles.includes('lb') ? [i] : []));
  const cpCount = input.hosts.filter((h) => h.roles.includes('control-plane')).length;
  const lbRolePath = (i: number): Path => ['hosts', i, 'roles', roleIndex(input.hosts[i]!, 'lb')];

  if (!isKeepalived(type)) {
    for (const i of lbRole) report(lbRolePath(i), `role 'lb' needs a keepalived-haproxy or keepalived-nginx load balancer, but the type is ${typeText}`);
  } else if (placement === 'co-located') {
    for (const i of lbRole) report(lbRolePath(i), "role 'lb' is unused with loadBalancer.placement 'co-located': the proxy runs on the control-plane hosts");
  }
  if (type === 'kube-vip' && lbIn.placement === 'dedicated') {
    report(['loadBalancer', 'placement'], "kube-vip runs on the control-plane hosts: placement must be 'co-located'");
  }
  if (lbIn.keepalived !== undefined && !isKeepalived(type)) {
    report(['loadBalancer', 'keepalived'], `keepalived settings apply to the keepalived-* types, not ${typeText}`, { atKey: true });
  }
  if (lbIn.kubeVip !== undefined && type !== 'kube-vip') {
    report(['loadBalancer', 'kubeVip'], `kubeVip settings apply to the type 'kube-vip', not ${typeText}`, { atKey: true });
  }

  const ep = spec.controlPlaneEndpoint;
  const hostPath: Path = ['controlPlaneEndpoint', 'host'];

  if (isKeepalived(type)) {
    if (lbIn.keepalived === undefined) {
      const why =
        lbIn.type !== undefined
          ? `the load balancer '${type}' needs it`
          : `with ${cpCount} control-plane hosts the load balancer defaults to '${type}', which needs it (or set loadBalancer.type)`;
      report(['loadBalancer', 'keepalived'], `missing required key 'keepalived': ${why}; at least its 'interface'`);
    }
    if (placement === 'dedicated' && lbRole.length === 0) {
      report(['loadBalancer', 'placement'], "dedicated placement needs hosts with the role 'lb', found none");
    } else if (lbHosts.length === 1) {
      const i = input.hosts.indexOf(lbHosts[0]!);
      report(
        placement === 'dedicated' ? lbRolePath(i) : ['hosts', i, 'roles'],
        'a single load-balancer host is a single point of failure: keepalived needs 2 or more to fail over',
        { warning: true },
      );
    }
    if (placement === 'dedicated') {
      const fp = spec.loadBalancer.frontendPort;
      for (const i of lbRole) {
        if (input.hosts[i]!.roles.includes('control-plane') && fp === APISERVER_PORT) {
          report(lbRolePath(i), `the proxy and kube-apiserver would both listen on port ${APISERVER_PORT}; use loadBalancer.placement 'co-located'`);
        }
      }
    } else if (input.controlPlaneEndpoint?.port === APISERVER_PORT) {
      report(
        ['controlPlaneEndpoint', 'port'],
        `port ${APISERVER_PORT} belongs to kube-apiserver on the control-plane hosts the proxy shares; leave it out to use ${spec.loadBalancer.frontendPort}`,
      );
    }
    if (lbIn.frontendPort !== undefined && lbIn.frontendPort !== ep.port) {
      report(
        ['loadBalancer', 'frontendPort'],
        `clients reach the VIP on port ${ep.port} (controlPlaneEndpoint.port), so the proxy must listen on it too; got ${lbIn.frontendPort}`,
      );
    }
    checkPriorities(input, lbHosts, report);
  } else if (lbIn.frontendPort !== undefined) {
    report(['loadBalancer', 'frontendPort'], `is used only by the keepalived-* load balancers, not ${typeText}`, { warning: true, atKey: true });
  }

  if (ep.host === '') {
    // With no control-plane host the hosts error says enough; with one, the endpoint is its
    // address, and a problem with that address is reported there.
    if (type === 'none' && cpCount <= 1) return;
    const why =
      type === 'none'
        ? `with no load balancer and ${cpCount} control-plane hosts, name a DNS name that resolves to them`
        : type === 'external'
          ? "the external load balancer's address or DNS name"
          : `the VIP that the load balancer ${typeText} holds`;
    report(hostPath, `missing required key 'host': ${why}`);
    return;
  }

  const vip = parseIp(ep.host);
  if (isKeepalived(type) || type === 'kube-vip') {
    if (vip === undefined) {
      report(hostPath, `must be an IP address (the VIP ${type} holds), got the DNS name '${ep.host}'`);
      return;
    }
    const unusable = unusableAddress(vip, { allowLoopback: addresses.every((a) => a !== undefined && isLoopback(a)) });
    if (unusable !== undefined) {
      report(hostPath, `the VIP ${ep.host} is ${unusable}; the VIP must be an unused address on the load-balancer hosts' network`);
      return;
    }
    const key = ipKey(vip);
    const owner = addresses.findIndex((a) => a !== undefined && ipKey(a) === key);
    if (owner >= 0) {
      report(hostPath, `the VIP ${ep.host} is the address of host '${input.hosts[owner]!.name}'; the VIP must be an unused address`);
    }
    if (isKeepalived(type) && spec.loadBalancer.keepalived !== undefined) {
      const prefix = spec.loadBalancer.keepalived.subnetPrefix;
      const maxPrefix = vip.family === 4 ? 32 : 128;
      if (prefix > maxPrefix) {
        report(['loadBalancer', 'keepalived', 'subnetPrefix'], `must be at most ${maxPrefix} for the IPv${vip.family} VIP, got ${prefix}`);
        return;
      }
      const edge = networkOrBroadcast(vip, prefix);
      if (edge !== undefined) {
        report(
          hostPath,
          `the VIP ${ep.host} is the ${edge} address of its /${prefix} network (loadBalancer.keepalived.subnetPrefix); choose an unused host address in it`,
        );
        return;
      }
      const outside = lbHosts.filter((h) => {
        const a = parseIp(h.address);
        return a !== undefined && !sameSubnet(a, vip, prefix);
      });
      if (outside.length > 0) {
        const h = outside[0]!;
        const more = outside.length > 1 ? ` (and ${outside.length - 1} more)` : '';
        report(
          hostPath,
          `the VIP ${ep.host} is not in the /${prefix} network of load-balancer host '${h.name}' (${h.address})${more}; keepalived can only hold a VIP on the LB hosts' subnet`,
        );
      }
    }
  }
}

function checkPriorities(input: ClusterInput, lbHosts: HostInput[], report: Report): void {
  const priorities = input.loadBalancer?.keepalived?.priorities ?? {};
  const names = lbHosts.map((h) => h.name);
  const known = new Set(names);
  for (const name of Object.keys(priorities)) {
    if (known.has(name)) continue;
    const suggestion = closest(name, names);
    const mean = suggestion !== undefined ? `did you mean '${suggestion}'?` : `the load-balancer hosts are: ${names.join(', ') || 'none'}`;
    report(['loadBalancer', 'keepalived', 'priorities', name], `'${name}' is not a load-balancer host; ${mean}`, { atKey: true });
  }
}

function checkNetworks(input: ClusterInput, spec: ClusterSpec, addresses: (IpAddress | undefined)[], report: Report): void {
  const parse = (key: 'podSubnet' | 'serviceSubnet'): Cidr | undefined => {
    const text = spec.kubernetes[key];
    const c = parseCidr(text);
    if (c === undefined) {
      report(['kubernetes', key], `'${text}' is not a valid CIDR`);
      return undefined;
    }
    if (hasHostBits(c)) {
      report(['kubernetes', key], `${text} has host bits set; did you mean ${formatCidr({ ...c, value: networkOf(c) })}?`);
      return undefined;
    }
    return c;
  };
  const pod = parse('podSubnet');
  const svc = parse('serviceSubnet');

  if (svc !== undefined && svc.family === 4 && svc.prefix < 12) {
    report(['kubernetes', 'serviceSubnet'], `${spec.kubernetes.serviceSubnet} is too large: kube-apiserver accepts an IPv4 service range of /12 or smaller`);
  }
  if (pod !== undefined) {
    const nodeMask = pod.family === 4 ? 24 : 64;
    if (pod.prefix > nodeMask) {
      report(['kubernetes', 'podSubnet'], `${spec.kubernetes.podSubnet} is smaller than the /${nodeMask} pod range each node gets`);
    } else if (BigInt(input.hosts.length) > cidrSize(pod) / (1n << BigInt((pod.family === 4 ? 32 : 128) - nodeMask))) {
      const ranges = cidrSize(pod) >> BigInt((pod.family === 4 ? 32 : 128) - nodeMask);
      report(
        ['kubernetes', 'podSubnet'],
        `${spec.kubernetes.podSubnet} holds ${ranges} node ranges of /${nodeMask}, but the spec has ${input.hosts.length} hosts`,
      );
    }
  }
  if (pod !== undefined && svc !== undefined) {
    if (pod.family !== svc.family) {
      report(
        ['kubernetes', 'serviceSubnet'],
        `podSubnet is IPv${pod.family} and serviceSubnet IPv${svc.family}: both must be the same family (dual-stack is not supported)`,
      );
    } else if (cidrsOverlap(pod, svc)) {
      report(['kubernetes', 'serviceSubnet'], `${spec.kubernetes.serviceSubnet} overlaps podSubnet ${spec.kubernetes.podSubnet}`);
    }
  }

  const nets: [string, Cidr][] = [];
  if (pod !== undefined) nets.push(['podSubnet', pod]);
  if (svc !== undefined) nets.push(['serviceSubnet', svc]);
  addresses.forEach((ip, i) => {
    if (ip === undefined) return;
    for (const [name, c] of nets) {
      if (cidrContains(c, ip)) {
        report(['hosts', i, 'address'], `host address ${input.hosts[i]!.address} lies inside ${name} ${formatCidr(c)}: the host network must not overlap it`);
      }
    }
    if (pod !== undefined && ip.family !== pod.family) {
      report(['hosts', i, 'address'], `host address is IPv${ip.family} but podSubnet is IPv${pod.family}: dual-stack is not supported`);
    }
  });
  const vip = parseIp(spec.controlPlaneEndpoint.host);
  if (vip !== undefined && input.controlPlaneEndpoint?.host !== undefined) {
    for (const [name, c] of nets) {
      if (cidrContains(c, vip)) {
        report(['controlPlaneEndpoint', 'host'], `${formatIp(vip)} lies inside ${name} ${formatCidr(c)}`);
      }
    }
  }
}

function checkKubernetes(spec: ClusterSpec, report: Report): void {
  if (kubernetesMinor(spec.kubernetes.version) === undefined) {
    report(['kubernetes', 'version'], `Kubernetes ${spec.kubernetes.version} is not supported: hactl supports ${SUPPORTED_RANGE_TEXT} (any patch release)`);
  }
  const repo = spec.packages.kubernetesRepository;
  const repoInUse = (spec.packages.apt.kubernetes.length === 0 && spec.packages.bundle === undefined) || spec.packages.dnf.kubernetes.length === 0;
  if (repoInUse && repo.keyFile === undefined && !repo.baseUrl.startsWith('https://')) {
    report(
      ['packages', 'kubernetesRepository', 'keyFile'],
      `required when baseUrl is not https (${repo.baseUrl}): a signing key fetched without TLS proves nothing. Save the repository's key (${repo.baseUrl}core:/stable:/v${minorOf(spec.kubernetes.version)}/deb/Release.key, from a source you trust) and name the file here`,
    );
  }
  const c = spec.kubernetes.certificates;
  if (c.renewBeforeDays >= c.validityDays) {
    report(['kubernetes', 'certificates', 'renewBeforeDays'], `must be less than validityDays (${c.validityDays}), got ${c.renewBeforeDays}`);
  }
}

function checkContainerd(input: ClusterInput, report: Report): void {
  const cd = input.containerd ?? {};
  const mirrors = new Map<string, number>();
  (cd.registryMirrors ?? []).forEach((m, i) => {
    const seen = mirrors.get(m.registry);
    if (seen !== undefined) report(['containerd', 'registryMirrors', i, 'registry'], `'${m.registry}' already has mirrors in registryMirrors[${seen}]`);
    else mirrors.set(m.registry, i);
  });
  const hosts = new Map<string, number>();
  (cd.privateRegistries ?? []).forEach((r, i) => {
    const path = ['containerd', 'privateRegistries', i];
    const seen = hosts.get(r.host);
    if (seen !== undefined) report([...path, 'host'], `'${r.host}' is already listed in privateRegistries[${seen}]`);
    else hosts.set(r.host, i);
    if (r.insecureSkipVerify && r.caFile !== undefined) {
      report([...path, 'caFile'], 'is unused: insecureSkipVerify turns certificate checks off', { warning: true });
    }
    if ((r.usernameEnv === undefined) !== (r.passwordEnv === undefined)) {
      const missing = r.usernameEnv === undefined ? 'usernameEnv' : 'passwordEnv';
      report(path, `registry credentials need both usernameEnv and passwordEnv; '${missing}' is missing`);
    }
  });
}

function checkCni(input: ClusterInput, report: Report): void {
  const cni = input.cni ?? {};
  if (cni.plugin === 'manifest' && cni.version !== undefined) {
    report(['cni', 'version'], "applies to calico, flannel and cilium; with plugin 'manifest' the manifest decides", { atKey: true });
  }
  if (cni.plugin === 'unmanaged' && cni.version !== undefined) {
    report(['cni', 'version'], "applies to calico, flannel and cilium; with plugin 'unmanaged' hactl leaves the pod network alone", { atKey: true });
  }
  if (cni.manifest !== undefined && cni.plugin !== 'manifest') {
    report(['cni', 'manifest'], `needs plugin 'manifest', but the plugin is '${cni.plugin ?? 'calico'}'`, { atKey: true });
  }
}

function checkPackages(input: ClusterInput, report: Report): void {
  const pk = input.packages ?? {};
  const groups = [
    ['apt', 'os'],
    ['apt', 'kubernetes'],
  ] as const;
  for (const [family, kind] of groups) {
    (pk[family]?.[kind] ?? []).forEach((s, i) => {
      if (s.trusted && s.keyFile !== undefined) {
        report(['packages', family, kind, i, 'trusted'], 'contradicts keyFile: a trusted source skips signature checks', { atKey: true });
      }
    });
  }
  const repoIds = new Map<string, string>();
  for (const kind of ['os', 'kubernetes'] as const) {
    (pk.dnf?.[kind] ?? []).forEach((s, i) => {
      const seen = repoIds.get(s.name);
      if (seen !== undefined) report(['packages', 'dnf', kind, i, 'name'], `repository id '${s.name}' is already used by packages.dnf.${seen}`);
      else repoIds.set(s.name, `${kind}[${i}]`);
      if (!s.gpgcheck && s.gpgkeyFile !== undefined) {
        report(['packages', 'dnf', kind, i, 'gpgkeyFile'], 'is unused: gpgcheck is false', { warning: true });
      }
    });
  }
  if (pk.replaceDefaults && pk.bundle === undefined && (pk.apt?.os ?? []).length === 0 && (pk.dnf?.os ?? []).length === 0) {
    report(
      ['packages', 'replaceDefaults'],
      "replacing the hosts' package sources needs at least one OS source in packages.apt.os or packages.dnf.os, or a packages.bundle",
    );
  }
}

function checkSsh(input: ClusterInput, spec: ClusterSpec, report: Report): void {
  const message = (user: string): string => `user '${user}' without sudo cannot install packages or write system files`;
  let clusterWide = false;
  spec.hosts.forEach((h, i) => {
    if (h.ssh.sudo || h.ssh.user === 'root') return;
    const own = input.hosts[i]!.ssh;
    // Hosts that inherit both settings share one warning at the cluster-wide ssh section.
    if (own?.sudo !== undefined || own?.user !== undefined) {
      report(['hosts', i, 'ssh', own.sudo !== undefined ? 'sudo' : 'user'], message(h.ssh.user), { warning: true });
    } else if (!clusterWide) {
      clusterWide = true;
      report(['ssh', 'sudo'], message(h.ssh.user), { warning: true });
    }
  });
}
