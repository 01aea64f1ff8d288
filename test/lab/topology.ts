// Named lab topologies and the addresses of their hosts (198.18.0.0/24; .100-.109 are VIPs).
export type HostKind = 'systemd' | 'light';
export type LabRole = 'lb' | 'control-plane' | 'etcd' | 'worker';
export type TopologyName = 'ha-stacked' | 'ha-external' | 'single' | 'light' | 'scale';

export interface HostPlan {
  name: string;
  address: string;
  kind: HostKind;
  roles: LabRole[];
}

export interface Topology {
  name: TopologyName;
  /** Control-plane endpoint VIP of the example spec; no host has this address. */
  vip?: string;
  hosts: HostPlan[];
}

const NET = '198.18.0';
const VIP_FIRST = 100;
const VIP_LAST = 109;
export const MAX_LIGHT_HOSTS = 254 - 11 - (VIP_LAST - VIP_FIRST + 1);

/** The address of the n-th host (1-based): 198.18.0.(10+n), skipping the VIP range. */
export function hostAddress(n: number): string {
  let last = 10 + n;
  if (last >= VIP_FIRST) last += VIP_LAST - VIP_FIRST + 1;
  if (n < 1 || last > 254) throw new Error(`no lab address for host number ${n}`);
  return `${NET}.${last}`;
}

function systemdHosts(spec: Array<[string, LabRole[]]>): HostPlan[] {
  return spec.map(([name, roles], i) => ({ name, address: hostAddress(i + 1), kind: 'systemd', roles }));
}

/** The `scale` topology's small cluster beside the big one: ha-stacked with three workers and a spare. */
const SCALE_SMALL: Array<[string, LabRole[]]> = [
  ['slb1', ['lb']],
  ['slb2', ['lb']],
  ['scp1', ['control-plane']],
  ['scp2', ['control-plane']],
  ['scp3', ['control-plane']],
  ['sw1', ['worker']],
  ['sw2', ['worker']],
  ['sw3', ['worker']],
  ['sw4', ['worker']],
];

/** VIP of the `scale` topology's small cluster (the big one uses .100). */
export const SCALE_SMALL_VIP = `${NET}.102`;

/** `light`: the host count; `scale`: the big cluster's workers (`count`). */
export function topology(name: string, count = 0): Topology {
  switch (name) {
    case 'ha-stacked':
      return {
        name,
        vip: `${NET}.100`,
        hosts: systemdHosts([
          ['lb1', ['lb']],
          ['lb2', ['lb']],
          ['cp1', ['control-plane']],
          ['cp2', ['control-plane']],
          ['cp3', ['control-plane']],
          ['w1', ['worker']],
          ['w2', ['worker']],
        ]),
      };
    case 'ha-external':
      return {
        name,
        vip: `${NET}.101`,
        hosts: systemdHosts([
          ['lb1', ['lb']],
          ['lb2', ['lb']],
          ['etcd1', ['etcd']],
          ['etcd2', ['etcd']],
          ['etcd3', ['etcd']],
          ['cp1', ['control-plane']],
          ['cp2', ['control-plane']],
          ['cp3', ['control-plane']],
          ['w1', ['worker']],
        ]),
      };
    case 'single':
      return { name, hosts: systemdHosts([['node1', ['control-plane', 'worker']]]) };
    case 'light': {
      if (!Number.isInteger(count) || count < 1 || count > MAX_LIGHT_HOSTS) {
        throw new Error(`light hosts: give a count from 1 to ${MAX_LIGHT_HOSTS}`);
      }
      const hosts: HostPlan[] = [];
      for (let i = 1; i <= count; i++) {
        hosts.push({ name: `light${i}`, address: hostAddress(i), kind: 'light', roles: [] });
      }
      return { name, hosts };
    }
    case 'scale': {
      // Big: lb1 lb2 cp1-3 (stacked etcd) w1..wN, VIP .100; small: slb1 slb2 scp1-3 sw1-4, VIP .102.
      const max = MAX_LIGHT_HOSTS - 5 - SCALE_SMALL.length;
      if (!Number.isInteger(count) || count < 1 || count > max) throw new Error(`scale topology: give a worker count from 1 to ${max}`);
      const big: Array<[string, LabRole[]]> = [
        ['lb1', ['lb']],
        ['lb2', ['lb']],
        ['cp1', ['control-plane']],
        ['cp2', ['control-plane']],
        ['cp3', ['control-plane']],
      ];
      for (let i = 1; i <= count; i++) big.push([`w${i}`, ['worker']]);
      return { name, vip: `${NET}.100`, hosts: systemdHosts([...big, ...SCALE_SMALL]) };
    }
    default:
      throw new Error(`unknown topology ${JSON.stringify(name)}: ha-stacked, ha-external, single, light or scale`);
  }
}
