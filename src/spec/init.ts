// `hactl init`: a commented starting spec from a list of addresses. Roles by count: one host is a
// single-node cluster; two are a control plane and a worker (no HA); three or more give three
// control-plane hosts (etcd keeps quorum through the loss of one) behind a VIP held by keepalived
// and haproxy on them, and the rest as workers (with exactly three, the control planes run
// workloads too). Pure: the command validates the result and writes it.

import { formatIp, parseIp, parseIpv4 } from './net.js';

export interface InitInput {
  name: string;
  addresses: readonly string[];
  /** The VIP; without it, a placeholder in the first host's /24 that the comments ask to check. */
  vip?: string;
  /** The Kubernetes version to pin (the schema's default). */
  kubernetesVersion: string;
  /** For the header only. */
  command: string;
}

export interface InitSpec {
  text: string;
  /** Things the user must look at before apply (printed by the command). */
  notes: string[];
}

export class InitError extends Error {}

/** Hosts per role for `count` addresses. */
export function assignRoles(count: number): { name: string; roles: string[] }[] {
  if (count === 1) return [{ name: 'node1', roles: ['control-plane', 'worker'] }];
  if (count === 2)
    return [
      { name: 'cp1', roles: ['control-plane'] },
      { name: 'worker1', roles: ['worker'] },
    ];
  const cpRoles = count === 3 ? ['control-plane', 'worker'] : ['control-plane'];
  return Array.from({ length: count }, (_, i) => (i < 3 ? { name: `cp${i + 1}`, roles: cpRoles } : { name: `worker${i - 2}`, roles: ['worker'] }));
}

/**
 * A VIP guess for IPv4 hosts: the highest address of the first host's /24 below .255, counting
 * down, that no host has. Undefined for IPv6 (too many to guess from).
 */
export function guessVip(addresses: readonly string[]): string | undefined {
  const first = parseIpv4(addresses[0]!);
  if (first === undefined) return undefined;
  const taken = new Set(addresses.map((a) => parseIpv4(a)).filter((v) => v !== undefined));
  const net = first & ~0xffn;
  for (let last = 250n; last > 0n; last--) {
    const v = net | last;
    if (!taken.has(v)) return formatIp({ family: 4, value: v });
  }
  return undefined;
}

export function initSpec(input: InitInput): InitSpec {
  const addresses = input.addresses;
  if (addresses.length === 0) throw new InitError('--hosts: give at least one address');
  const seen = new Set<string>();
  for (const a of addresses) {
    const ip = parseIp(a);
    if (ip === undefined) throw new InitError(`--hosts: ${JSON.stringify(a)} is not an IPv4 or IPv6 address`);
    const key = formatIp(ip);
    if (seen.has(key)) throw new InitError(`--hosts: ${a} is given twice`);
    seen.add(key);
  }
  // Checked before they become YAML text: nothing typed can add keys or comments to the spec.
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(input.name)) {
    throw new InitError(`--name: ${JSON.stringify(input.name)} is not a DNS label (lowercase letters, digits and '-', at most 63 characters)`);
  }
  if (input.vip !== undefined) {
    const vip = parseIp(input.vip);
    if (vip === undefined) throw new InitError(`--vip: ${JSON.stringify(input.vip)} is not an IPv4 or IPv6 address`);
    if (seen.has(formatIp(vip))) throw new InitError(`--vip: ${input.vip} is the address of a host; the VIP must be one no machine uses`);
  }
  const hosts = assignRoles(addresses.length);
  const ha = addresses.length >= 3;
  const notes: string[] = [];
  let vip = input.vip;
  if (ha && vip === undefined) {
    vip = guessVip(addresses);
    if (vip === undefined)
      throw new InitError("--vip: give the VIP of the control plane (an unused address in the hosts' network); it cannot be guessed for IPv6 hosts");
    notes.push(`controlPlaneEndpoint.host ${vip} is a guess: make sure no machine uses it, or run init again with --vip`);
  }
  if (ha) notes.push("loadBalancer.keepalived.interface is eth0: change it to the interface that carries the hosts' addresses");

  const L: string[] = [];
  const hostLine = (h: { name: string; roles: string[] }, i: number) => `  - { name: ${h.name}, address: ${addresses[i]}, roles: [${h.roles.join(', ')}] }`;
  L.push(`# A starting spec written by \`${input.command}\`. Read it and change what the comments ask, then:`);
  L.push('#   hactl validate -f cluster.yaml && hactl plan -f cluster.yaml');
  L.push('# Every key and its default: schemas/cluster.schema.json (editors complete from it).');
  L.push('apiVersion: hactl.io/v1alpha1');
  L.push('kind: Cluster');
  L.push('metadata:');
  L.push(`  name: ${input.name}`);
  L.push('# production checks each host against the recommended size of its roles; test allows smaller lab machines.');
  L.push('profile: production');
  L.push('ssh:');
  L.push('  # The user hactl logs in as: root, or a user with passwordless sudo.');
  L.push('  user: root');
  L.push('  # Without privateKeyFile, hactl uses ssh-agent (SSH_AUTH_SOCK).');
  L.push('  # privateKeyFile: ~/.ssh/id_ed25519');
  L.push('  # Host keys are verified against this file; `hactl facts -f cluster.yaml --accept-new-host-keys` records new ones.');
  L.push('  knownHostsFile: ~/.ssh/known_hosts');
  L.push('hosts:');
  if (addresses.length === 1) {
    L.push('  # One host runs the control plane and workloads: for development and labs, not for production.');
  } else if (addresses.length === 2) {
    L.push('  # One control-plane host is not highly available: with three, etcd keeps quorum when one fails.');
  } else {
    L.push(`  # Three control-plane hosts with stacked etcd: the cluster survives the loss of one.${addresses.length === 3 ? ' With no other host,' : ''}`);
    if (addresses.length === 3) L.push('  # they run workloads too (remove worker from their roles once there are worker hosts).');
  }
  hosts.forEach((h, i) => {
    if (ha && i === 3) L.push('  # Workers: add more at any time, then plan and apply.');
    L.push(hostLine(h, i));
  });
  if (ha) {
    L.push('  # Dedicated load-balancer hosts instead of the control-plane hosts: add two with roles [lb]');
    L.push('  # and set loadBalancer.placement: dedicated.');
    L.push('  # - { name: lb1, address: <address>, roles: [lb] }');
    L.push('  # - { name: lb2, address: <address>, roles: [lb] }');
    L.push('controlPlaneEndpoint:');
    L.push(
      input.vip === undefined
        ? "  # CHECK: a guess. The VIP must be an address in the hosts' network that no machine uses: keepalived"
        : "  # The VIP: an address in the hosts' network that no machine uses. keepalived",
    );
    L.push('  # moves it to a healthy host; kubectl, kubelets and joins reach the API server through it.');
    L.push(`  host: ${vip}`);
    L.push('  # Names and addresses the API server certificate must also carry (a DNS name for the VIP):');
    L.push('  # extraSANs: [k8s.example.internal]');
    L.push('loadBalancer:');
    L.push('  type: keepalived-haproxy');
    L.push('  keepalived:');
    L.push("    # CHECK: the network interface that carries the hosts' addresses (`ip -br addr` on a host).");
    L.push('    interface: eth0');
    L.push('    # The VRRP password (at most 8 characters) is read from this environment variable by plan and apply.');
    L.push('    authPasswordEnv: HACTL_VRRP_PASSWORD');
    L.push('etcd:');
    L.push('  # stacked: one member on each control-plane host. external: on hosts with the etcd role.');
    L.push('  topology: stacked');
  }
  L.push('kubernetes:');
  L.push('  # Pinned: raising it later plans an upgrade (a patch or one minor version at a time).');
  L.push(`  version: ${input.kubernetesVersion}`);
  L.push("  # The pod and service networks must not overlap the hosts' network; these are the defaults.");
  L.push('  # podSubnet: 10.244.0.0/16');
  L.push('  # serviceSubnet: 10.96.0.0/12');
  L.push('cni:');
  L.push('  # calico, flannel, cilium, or manifest (with manifest: a local file applied after init).');
  L.push('  plugin: calico');
  return { text: L.join('\n') + '\n', notes };
}
