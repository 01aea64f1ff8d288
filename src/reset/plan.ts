// `hactl reset`: what tearing the cluster down removes, host by host, as KubeOne's and k0sctl's
// reset do: every node is reset by kubeadm (the same steps a host removal takes, from
// resources/host-removal.ts), then what kubeadm leaves and hactl put there is removed; etcd data and
// the load balancers go too. Derived from the spec alone (roles and placement), never from what a
// host reports about others. Every step can run again: a reset that stopped half-way is finished
// by running it again.
//
// Order: workers (in parallel); control-plane hosts one at a time, the first one last (it holds
// the apply lock and the cluster's records); external etcd members and dedicated load-balancer
// hosts last, once no apiserver needs them.
//
// Kept, as a host removal keeps them: packages and package sources, containerd and its images, the
// OS settings (sysctl, kernel modules, /etc/hosts, swap), and the etcd snapshots hactl took before
// upgrades (/var/lib/hactl/etcd-snapshots), from which `hactl etcd restore` can start it again.

import { HOST_SNAPSHOT_DIR } from '../etcd/commands.js';
import { RESTORE_DIR, STACKED_ETCD_DATA_DIR } from '../etcd/restore-marker.js';
import { ETCD_DATA_DIR } from '../facts/etcd.js';
import { resolvePlacement } from '../spec/topology.js';
import { CNI_DIR } from '../resources/cni.js';
import type { CommandOperation } from '../resources/operation.js';
import { ETCD_PKI_DIR } from '../resources/etcd-pki.js';
import { removalOperations } from '../resources/host-removal.js';
import { KUBEADM_CONFIG } from '../resources/kubeadm-config.js';
import { HAPROXY_CFG } from '../resources/lb-haproxy.js';
import { KEEPALIVED_CONF } from '../resources/lb-keepalived.js';
import { NGINX_CONF } from '../resources/lb-nginx.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { shellQuote } from '../transport/quote.js';

export type ResetPhase = 'workers' | 'control-plane' | 'infrastructure';

export interface HostReset {
  host: Host;
  /** What the host is to the cluster, for the plan: `worker`, `control-plane, etcd member`, ... */
  roles: string[];
  phase: ResetPhase;
  /** In order; a failed step stops the host's later steps. */
  operations: CommandOperation[];
}

export interface ResetPlan {
  cluster: string;
  /** In the order they run: phase by phase; within `control-plane`, one host at a time. */
  hosts: HostReset[];
  /** What stays on the hosts, for the plan. */
  kept: string[];
}

/** The host's step that stops and disables a unit, when the unit exists. */
function stopUnit(unit: string): string {
  const u = shellQuote(`${unit}.service`);
  return `if systemctl cat ${u} >/dev/null 2>&1; then systemctl disable --now ${u}; fi`;
}

const rm = (paths: readonly string[]) => `rm -rf -- ${paths.map(shellQuote).join(' ')}`;

function removeFiles(description: string, paths: readonly string[]): CommandOperation {
  return { description: `${description}: ${paths.join(', ')}`, command: rm(paths), effects: [] };
}

function service(unit: string, config: string): CommandOperation {
  return { description: `stop and disable ${unit}; remove ${config}`, command: `${stopUnit(unit)} && ${rm([config])}`, effects: [] };
}

/** What kubeadm reset leaves of hactl's on a node: kubeadm's config, the CNI manifest, restore markers and certificate-renewal files (all under /etc/kubernetes/hactl), restore staging. */
export const NODE_FILES = [KUBEADM_CONFIG, CNI_DIR, '/etc/kubernetes/hactl-restart', RESTORE_DIR];

export function planReset(spec: ClusterSpec): ResetPlan {
  const p = resolvePlacement(spec);
  const first = p.firstControlPlane.name;
  const stacked = spec.etcd.topology === 'stacked';
  const proxyHosts = new Set(p.proxyHosts.map((h) => h.name));
  const etcdHosts = new Set(p.etcdHosts.map((h) => h.name));
  const kubeNodes = new Set(p.kubeNodes.map((h) => h.name));
  const controlPlane = new Set(p.controlPlane.map((h) => h.name));

  const hostReset = (host: Host, phase: ResetPhase): HostReset => {
    const roles: string[] = [];
    const operations: CommandOperation[] = [];
    if (kubeNodes.has(host.name)) {
      roles.push(controlPlane.has(host.name) ? `control-plane${stacked ? ', etcd member' : ''}` : 'worker');
      // kubeadm reset -f, then the kubelet and the CNI configuration kubeadm leaves.
      // Shown under the host's name: without their "on <host>, if it can be reached:" lead.
      const etcdMember = controlPlane.has(host.name) && stacked;
      operations.push(
        ...removalOperations(host.name, first, { inCluster: false, drain: false }).map((o) => {
          const description = o.description.replace(/^on [^:]+: /, '');
          return { ...o, description: etcdMember ? description : description.replace('its stacked etcd member, ', '') };
        }),
      );
      operations.push(removeFiles("remove hactl's and kubeadm's files that kubeadm reset leaves", NODE_FILES));
      if (etcdMember) operations.push(removeFiles('remove the stacked etcd data', [STACKED_ETCD_DATA_DIR]));
    }
    if (etcdHosts.has(host.name)) {
      roles.push('external etcd member');
      operations.push({
        description: `stop and disable etcd; remove its data (${ETCD_DATA_DIR}), its certificates (${ETCD_PKI_DIR}) and the settings hactl wrote`,
        command: `${stopUnit('etcd')} && ${rm([ETCD_DATA_DIR, ETCD_PKI_DIR, '/etc/default/etcd', '/etc/etcd/etcd.conf'])}`,
        effects: [],
      });
    }
    if (proxyHosts.has(host.name)) {
      roles.push('load balancer');
      // keepalived first: the VIP is released before the proxy behind it stops.
      operations.push(service('keepalived', KEEPALIVED_CONF));
      operations.push(p.proxy === 'lb-nginx' ? service('nginx', NGINX_CONF) : service('haproxy', HAPROXY_CFG));
    }
    return { host, roles, phase, operations };
  };

  const workers = spec.hosts.filter((h) => kubeNodes.has(h.name) && !controlPlane.has(h.name)).map((h) => hostReset(h, 'workers'));
  // The first control-plane host last.
  const cps = [...p.controlPlane].reverse().map((h) => hostReset(h, 'control-plane'));
  const rest = spec.hosts.filter((h) => !kubeNodes.has(h.name)).map((h) => hostReset(h, 'infrastructure'));
  return {
    cluster: spec.name,
    hosts: [...workers, ...cps, ...rest].filter((r) => r.operations.length > 0),
    kept: [
      'packages and package sources',
      'containerd, its configuration and its images',
      'OS settings: sysctl, kernel modules, /etc/hosts, swap',
      `etcd snapshots taken before upgrades (${HOST_SNAPSHOT_DIR})`,
    ],
  };
}
