// upgrade-worker (and, through upgradeDesired, upgrade-control-plane): a node that has joined
// (kubelet.conf exists) and whose kubeadm is at another version than the spec's is upgraded the
// way kubeadm prescribes, never by a package bump alone:
//   1. kubeadm to the new version (hold released and put back);
//   2. the first control-plane host: `kubeadm upgrade apply`; every other node: `kubeadm upgrade
//      node`; each reads a v1beta4 UpgradeConfiguration (/etc/kubernetes/kubeadm-upgrade.yaml,
//      kubeadm-config.ts) that names the target version and the preflight checks to skip;
//   3. drain the node (a worker before its `upgrade node`, as kubeadm's guide has it); kubelet and
//      kubectl to the new version; restart the kubelet; uncordon.
// The first control-plane host's upgrade starts with an etcd snapshot kept on the host
// (/var/lib/hactl/etcd-snapshots/pre-upgrade-v<from>-to-v<to>.db, checked with `snapshot status`):
// the way back should `kubeadm upgrade apply` break etcd. Stacked etcd: on that host; external etcd:
// on the first etcd host with its member's certificate (runOn), where etcdctl is installed and the
// snapshot stays beside the data it is of.
// Control-plane hosts go one at a time, the first one first, each followed by the /readyz gate
// through the control-plane endpoint (their serial group is the control-plane one, see
// src/apply/readyz.ts); workers go after every control-plane host, one at a time.
//
// Only upgrades kubeadm supports are planned (a patch, or the next minor version: see
// version-change.ts); a downgrade or a skipped minor is refused by kube-packages, and this kind
// then plans nothing. Each step is safe to run again, so a run that stops midway converges on the
// next one: the lower of kubeadm's and the kubelet's versions decides whether the node still
// needs its upgrade (nodeVersionChange).

import { attr, type AttributeChange } from './diff.js';
import { shellQuote } from '../transport/quote.js';
import { converge } from './converge.js';
import { type CommandOperation, type Operation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { ADMIN_CONF, KUBEADM_UPGRADE_CONFIG, KUBECTL, renderUpgradeConfig } from './kubeadm-config.js';
import { KUBEADM_API_VERSION } from '../spec/versions.js';
import { quietly } from './kubeadm-config.js';
import { nodeVersionChange } from './version-change.js';
import { preUpgradeSnapshotCommand, preUpgradeSnapshotPath } from '../etcd/commands.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { WORKER_UPGRADE_GROUP, at, workerUpgradeBatch, type GraphBuilder } from '../graph/compile.js';

/** Guarded kubectl for steps that run on the first control-plane host (runOn). */
function onAdmin(cp1: string, command: string): string {
  return `[ -f ${ADMIN_CONF} ] || { echo ${shellQuote(`hactl: ${ADMIN_CONF} is missing here: this step runs on ${cp1}`)} >&2; exit 1; }; ${command}`;
}

/** The package steps (install at `version`, held) the shared engine derives for `names`. */
function packageSteps(ctx: ResourceContext, names: string[], version: string): Operation[] {
  const d = emptyDesired();
  for (const name of names) d.packages.push({ name, version: `${version}-*`, hold: true });
  return converge(d, ctx.facts).operations;
}

export function upgradeDesired(ctx: ResourceContext, controlPlane: boolean): Desired {
  const d = emptyDesired();
  const { spec, host, placement } = ctx;
  const change = nodeVersionChange(ctx.facts, spec.kubernetes.version);
  if (change === undefined) {
    // Not a running node: its init or join installs the spec's version; nothing to upgrade.
    d.actions = { attributes: [], operations: [] };
    return d;
  }
  if (change.type === 'same' || change.type === 'refused') {
    const attributes: AttributeChange[] = change.type === 'same' ? [attr('kubernetes.version', spec.kubernetes.version, spec.kubernetes.version)] : [];
    d.actions = { attributes, operations: [] };
    return d;
  }
  const target = change.to;
  const cp1 = placement.firstControlPlane.name;
  const first = controlPlane && host.name === cp1;
  const admin = placement.clusterHost.name;
  const node = shellQuote(host.name);
  // Drain and uncordon need the admin credentials: a control-plane host has them, a worker asks the cluster host.
  const adminOn = controlPlane ? undefined : admin;
  const kubectl = (args: string): Pick<CommandOperation, 'command' | 'runOn'> =>
    adminOn === undefined ? { command: `${KUBECTL} ${args}` } : { command: onAdmin(admin, `${KUBECTL} ${args}`), runOn: adminOn };

  const drain: Operation = {
    description: `drain node ${host.name}${adminOn ? ` (from ${admin})` : ''}`,
    ...kubectl(`drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=300s`),
    effects: [],
  };
  const ops: Operation[] = [];
  if (first) {
    const etcdHost = spec.etcd.topology === 'external' ? placement.etcdHosts[0]?.name : undefined;
    ops.push({
      description: `etcd snapshot before the upgrade: ${preUpgradeSnapshotPath(change.from, target)}${etcdHost ? ` on ${etcdHost}` : ''} (kept; checked with etcdctl snapshot status)`,
      command: preUpgradeSnapshotCommand(spec, change.from, target),
      ...(etcdHost ? { runOn: etcdHost } : {}),
      effects: [],
    });
  }
  ops.push(...packageSteps(ctx, ['kubeadm'], target));
  if (!controlPlane) ops.push(drain);
  const mode = first ? 'apply' : 'node';
  ops.push({
    description: `write ${KUBEADM_UPGRADE_CONFIG}: the ${KUBEADM_API_VERSION} UpgradeConfiguration for \`kubeadm upgrade ${mode}\``,
    writeFile: { path: KUBEADM_UPGRADE_CONFIG, content: renderUpgradeConfig(spec, target, mode), mode: 0o600 },
    effects: [],
  });
  ops.push(
    first
      ? {
          description: `kubeadm upgrade apply --config ${KUBEADM_UPGRADE_CONFIG} (v${target}): the control plane (and stacked etcd) of the cluster to ${target}`,
          command: quietly(`kubeadm upgrade apply --config ${shellQuote(KUBEADM_UPGRADE_CONFIG)} --yes`),
          effects: [],
        }
      : {
          description: `kubeadm upgrade node --config ${KUBEADM_UPGRADE_CONFIG}: ${controlPlane ? "this control-plane host's static pods and " : ''}kubelet configuration to ${target}`,
          command: quietly(`kubeadm upgrade node --config ${shellQuote(KUBEADM_UPGRADE_CONFIG)}`),
          effects: [],
        },
  );
  if (controlPlane) ops.push(drain);
  ops.push(...packageSteps(ctx, ['kubelet', 'kubectl'], target));
  ops.push({
    description: 'restart the kubelet on its new version',
    command: 'systemctl daemon-reload && systemctl restart -- kubelet',
    effects: [{ type: 'unit', name: 'kubelet', active: true }],
  });
  ops.push({ description: `uncordon node ${host.name}${adminOn ? ` (from ${admin})` : ''}`, ...kubectl(`uncordon ${node}`), effects: [] });
  d.actions = {
    attributes: [attr('kubernetes.version', change.from, target)],
    operations: ops,
    // Every node after the first control-plane host's `upgrade apply`.
    pendingOn: first ? [] : ['upgrade-control-plane@' + cp1],
  };
  return d;
}

/** Version upgrades of running workers after the control plane's, maxUnavailable at a time. */
function place(b: GraphBuilder): void {
  const p = b.placement;
  const lastControlPlane = p.controlPlane[p.controlPlane.length - 1];
  const previous = lastControlPlane ? [at('upgrade-control-plane', lastControlPlane)] : [];
  const batch = workerUpgradeBatch(b.spec.kubernetes.upgrade.maxUnavailable, p.workers.length);
  for (const h of p.workers) {
    const id = b.add('upgrade-worker', h.name, { serialGroup: WORKER_UPGRADE_GROUP, serialLimit: batch });
    b.needs(id, at('join-worker', h), at('kube-packages', h), ...previous);
  }
}

export const upgradeWorker: ResourceKindDef<'upgrade-worker'> = {
  kind: 'upgrade-worker',
  place,
  factRequest: () => ({ packages: ['kubeadm', 'kubelet', 'kubectl'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => upgradeDesired(ctx, false),
};
