// Named lab topologies and the addresses of their hosts (198.18.0.0/24; .100-.109 are VIPs).
export type HostKind = 'systemd' | 'light';
export type LabRole = 'lb' | 'control-plane' | 'etcd' | 'worker';
export type TopologyName = 'ha-stacked' | 'ha-external' | 'single' | 'light';

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

export function topology(name: string, light = 0): Topology {
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
      if (!Number.isInteger(light) || light < 1 || light > MAX_LIGHT_HOSTS) {
        throw new Error(`light hosts: give a count from 1 to ${MAX_LIGHT_HOSTS}`);
      }
      const hosts: HostPlan[] = [];
      for (let i = 1; i <= light; i++) {
        hosts.push({ name: `light${i}`, address: hostAddress(i), kind: 'light', roles: [] });
      }
      return { name, hosts };
    }
    default:
      throw new Error(`unknown topology ${JSON.stringify(name)}: ha-stacked, ha-external, single or light`);
  }
}
