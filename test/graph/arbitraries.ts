// fast-check generators of valid cluster shapes, shared by the property tests.

import fc from 'fast-check';
import type { ClusterSpec, LoadBalancerType } from '../../src/spec/types.js';
import { buildSpec, type Topology } from './spec-builder.js';

export const LB_TYPES: LoadBalancerType[] = ['keepalived-haproxy', 'keepalived-nginx', 'kube-vip', 'external', 'none'];

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/**
 * Cluster shapes within what validation accepts: 1-7 control-plane hosts (odd when stacked), 1-5 LB hosts for a
 * dedicated keepalived LB (none otherwise), 0/1/3/5/7 external etcd members (external topology iff any),
 * 0-50 workers, some of which may be control-plane hosts too; LB type `none` only with a single
 * control-plane host, kube-vip only co-located.
 */
export const topologyArb: fc.Arbitrary<Topology> = fc
  .record({
    cp: fc.integer({ min: 1, max: 7 }),
    lb: fc.integer({ min: 0, max: 5 }),
    etcd: fc.constantFrom(0, 1, 3, 5, 7),
    workers: fc.integer({ min: 0, max: 50 }),
    sharedWorkers: fc.integer({ min: 0, max: 7 }),
    lbType: fc.constantFrom(...LB_TYPES),
    placement: fc.constantFrom('dedicated' as const, 'co-located' as const),
  })
  .map((r) => {
    // Stacked etcd has a member per control-plane host, so their count must be odd too.
    const cpCount = r.etcd === 0 && r.cp % 2 === 0 ? r.cp - 1 : r.cp;
    const lbType: LoadBalancerType = r.lbType === 'none' && cpCount > 1 ? 'external' : r.lbType;
    // kube-vip always runs on the control-plane hosts.
    const placement = lbType === 'kube-vip' ? 'co-located' : r.placement;
    const needsLbHosts = lbType.startsWith('keepalived') && placement === 'dedicated';
    const controlPlane = names('cp', cpCount);
    return {
      controlPlane,
      // The lb role only means something to a dedicated keepalived LB.
      lb: names('lb', needsLbHosts ? Math.max(1, r.lb) : 0),
      etcd: names('etcd', r.etcd),
      workers: [...controlPlane.slice(0, Math.min(r.sharedWorkers, cpCount)), ...names('w', r.workers)],
      lbType,
      placement,
      etcdTopology: r.etcd > 0 ? ('external' as const) : ('stacked' as const),
    };
  });

/** A spec from a topology, with its hosts in an arbitrary order (spec order picks the first control plane). */
export const specArb: fc.Arbitrary<ClusterSpec> = topologyArb.chain((t) => {
  const spec = buildSpec(t);
  return fc.shuffledSubarray(spec.hosts, { minLength: spec.hosts.length, maxLength: spec.hosts.length }).map((hosts) => ({ ...spec, hosts }));
});

/**
 * The input YAML a user would write for a built spec: hosts in the spec's order and the settings
 * the compiler reads; everything else is left to the loader's defaults.
 */
export function specToYaml(spec: ClusterSpec): string {
  const lb = spec.loadBalancer;
  const lines = ['apiVersion: hactl.io/v1alpha1', 'kind: Cluster', 'metadata:', `  name: ${spec.name}`, 'hosts:'];
  for (const h of spec.hosts) lines.push(`  - { name: ${h.name}, address: ${h.address}, roles: [${h.roles.join(', ')}] }`);
  // The VIP sits in the hosts' /24 (keepalived requires it) on an address no host uses.
  if (lb.type !== 'none') lines.push('controlPlaneEndpoint:', '  host: 10.0.0.250');
  lines.push('loadBalancer:', `  type: ${lb.type}`);
  if (lb.type.startsWith('keepalived')) lines.push(`  placement: ${lb.placement}`, '  keepalived:', '    interface: eth0');
  if (lb.type === 'kube-vip') lines.push('  placement: co-located', '  kubeVip:', '    interface: eth0');
  lines.push('etcd:', `  topology: ${spec.etcd.topology}`);
  return lines.join('\n') + '\n';
}
