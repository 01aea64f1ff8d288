// Cluster specs of a given host count for the benchmarks: 3 control-plane hosts, 2 LB hosts
// (dedicated keepalived + haproxy), the rest workers, each with a unique name and address.

import type { Role } from '../src/spec/types.js';

export interface GeneratedHost {
  name: string;
  address: string;
  roles: Role[];
  labels: Record<string, string>;
}

const VIP = '10.0.0.254';

/** 10.a.b.c with c in 1..250, so no address is a network or broadcast address; LB hosts share 10.0.0.0/24 with the VIP. */
function address(i: number): string {
  const c = (i % 250) + 1;
  const b = Math.floor(i / 250) % 250;
  const a = Math.floor(i / 62_500);
  return `10.${a}.${b}.${c}`;
}

export function generateHosts(count: number): GeneratedHost[] {
  if (count < 5) throw new Error('a generated spec needs at least 5 hosts (2 LB, 3 control plane)');
  const hosts: GeneratedHost[] = [];
  const add = (name: string, roles: Role[], labels: Record<string, string> = {}): void => {
    hosts.push({ name, address: address(hosts.length), roles, labels });
  };
  add('lb1', ['lb']);
  add('lb2', ['lb']);
  for (let i = 1; i <= 3; i++) add(`master${i}`, ['control-plane']);
  for (let i = 1; hosts.length < count; i++) {
    add(`node${i}`, ['worker'], { 'topology.kubernetes.io/zone': `zone-${i % 3}` });
  }
  return hosts;
}

/** The spec as a user would write it (YAML), relying on defaults for everything else. */
export function generateSpecYaml(count: number): string {
  const lines = [
    'apiVersion: hactl.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    `  name: bench-${count}`,
    'profile: test',
    'controlPlaneEndpoint:',
    `  host: ${VIP}`,
    'loadBalancer:',
    '  type: keepalived-haproxy',
    '  keepalived:',
    '    interface: eth0',
    // One /24 of pod addresses per node: a /11 holds 8,192 nodes.
    'kubernetes:',
    '  podSubnet: 10.128.0.0/11',
    'hosts:',
  ];
  for (const h of generateHosts(count)) {
    lines.push(`  - name: ${h.name}`, `    address: ${h.address}`, `    roles: [${h.roles.join(', ')}]`);
    const labels = Object.entries(h.labels);
    if (labels.length > 0) {
      lines.push('    labels:');
      for (const [k, v] of labels) lines.push(`      ${k}: ${v}`);
    }
  }
  return lines.join('\n') + '\n';
}
