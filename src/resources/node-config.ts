// node-config: the labels and taints the spec gives a host, on its Node object, compared with the
// cluster facts. Changes run with kubectl from the first control-plane host (admin.conf); only
// keys hactl manages are ever removed: the Node's annotations `hactl.io/managed-labels` (label
// keys) and `hactl.io/managed-taints` (`key:Effect`) remember what hactl set, so a label someone
// else put on the node (a CSI driver's, an operator's) is left alone.
//
// Without cluster facts (no cluster yet, or the node not registered) nothing can be compared: the
// resource is planned as a read, waiting on the init or join that registers the node. kubeadm
// registers the node with the spec's taints already (nodeRegistration.taints).

import { resourceId } from '../graph/types.js';
import { attr } from './diff.js';
import type { Taint } from '../spec/types.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { ADMIN_CONF, KUBECTL } from './kubeadm-config.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const MANAGED_LABELS = 'hactl.io/managed-labels';
export const MANAGED_TAINTS = 'hactl.io/managed-taints';

const taintId = (t: { key: string; effect: string }) => `${t.key}:${t.effect}`;
const taintArg = (t: { key: string; value?: string; effect: string }) => `${t.key}${t.value !== undefined && t.value !== '' ? `=${t.value}` : ''}:${t.effect}`;
const list = (v: string | undefined): string[] => (v === undefined || v === '' ? [] : v.split(',').filter((x) => x !== ''));

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { host, placement } = ctx;
  const init = placement.firstControlPlane.name;
  // kubectl runs where admin.conf is: on the cluster host.
  const cp1 = placement.clusterHost.name;
  const registeredBy =
    host.name === init ? resourceId('kubeadm-init', init) : resourceId(host.roles.includes('control-plane') ? 'join-control-plane' : 'join-worker', host.name);
  const pendingOn = [...new Set([resourceId('kubeadm-init', init), registeredBy])];
  // A host that has never joined (a new machine under a replaced host's name) is not that node yet.
  const joined = ctx.facts.kubernetes.confFiles.includes('kubelet.conf');
  const node = joined ? ctx.clusterFacts?.nodes.find((n) => n.name === host.name) : undefined;
  if (ctx.clusterFacts === undefined || node === undefined) {
    d.actions = {
      attributes: [],
      operations: [],
      pendingOn,
      deferred:
        ctx.clusterFacts === undefined
          ? 'labels and taints are compared with the cluster once it answers (no cluster facts: not initialised, or no control-plane host with admin.conf reachable)'
          : `node ${host.name} is not registered yet: its labels and taints are compared once ${registeredBy} has run`,
    };
    return d;
  }

  const attributes = [];
  const setLabels: string[] = [];
  const removeLabels: string[] = [];
  const wantLabels = host.labels;
  const managedLabels = list(node.annotations[MANAGED_LABELS]);
  for (const [k, v] of Object.entries(wantLabels).sort(([a], [b]) => (a < b ? -1 : 1))) {
    attributes.push(attr(`label.${k}`, node.labels[k], v));
    if (node.labels[k] !== v) setLabels.push(`${k}=${v}`);
  }
  for (const k of managedLabels.filter((k) => !(k in wantLabels)).sort()) {
    if (node.labels[k] === undefined) continue;
    attributes.push(attr(`label.${k}`, node.labels[k], undefined));
    removeLabels.push(`${k}-`);
  }

  const wantTaints: Taint[] = host.taints;
  const managedTaints = list(node.annotations[MANAGED_TAINTS]);
  const addTaints: string[] = [];
  const removeTaints: string[] = [];
  for (const t of wantTaints) {
    const cur = node.taints.find((x) => x.key === t.key && x.effect === t.effect);
    attributes.push(attr(`taint.${taintId(t)}`, cur ? (cur.value ?? '') : undefined, t.value ?? ''));
    if (!cur || (cur.value ?? '') !== (t.value ?? '')) addTaints.push(taintArg(t));
  }
  for (const id of managedTaints.filter((id) => !wantTaints.some((t) => taintId(t) === id)).sort()) {
    const cur = node.taints.find((x) => taintId(x) === id);
    if (!cur) continue;
    attributes.push(attr(`taint.${id}`, cur.value ?? '', undefined));
    removeTaints.push(`${id}-`);
  }

  const wantManagedLabels = Object.keys(wantLabels).sort().join(',');
  const wantManagedTaints = wantTaints.map(taintId).sort().join(',');
  const annotate: string[] = [];
  if ((node.annotations[MANAGED_LABELS] ?? '') !== wantManagedLabels) annotate.push(`${MANAGED_LABELS}=${wantManagedLabels}`);
  if ((node.annotations[MANAGED_TAINTS] ?? '') !== wantManagedTaints) annotate.push(`${MANAGED_TAINTS}=${wantManagedTaints}`);
  attributes.push(attr(`annotation.${MANAGED_LABELS}`, node.annotations[MANAGED_LABELS] ?? '', wantManagedLabels));
  attributes.push(attr(`annotation.${MANAGED_TAINTS}`, node.annotations[MANAGED_TAINTS] ?? '', wantManagedTaints));

  // kubectl needs admin.conf: on the first control-plane host, whichever node this is.
  const guard = `[ -f ${ADMIN_CONF} ] || { echo ${shellQuote(`hactl: ${ADMIN_CONF} is missing here: this step runs on ${cp1}`)} >&2; exit 1; }; `;
  const on = host.name === cp1 ? {} : { runOn: cp1 };
  const nodeArg = shellQuote(host.name);
  const operations: CommandOperation[] = [];
  const labels = [...setLabels, ...removeLabels];
  if (labels.length > 0) {
    operations.push({
      description: `on ${cp1}: label node ${host.name}: ${labels.join(' ')}`,
      command: `${guard}${KUBECTL} label --overwrite node ${nodeArg} ${shellJoin(labels)}`,
      ...on,
      effects: [],
    });
  }
  const taints = [...addTaints, ...removeTaints];
  if (taints.length > 0) {
    operations.push({
      description: `on ${cp1}: taint node ${host.name}: ${taints.join(' ')}`,
      command: `${guard}${KUBECTL} taint --overwrite node ${nodeArg} ${shellJoin(taints)}`,
      ...on,
      effects: [],
    });
  }
  // Recorded last: a removal is only forgotten once it happened.
  if (annotate.length > 0) {
    operations.push({
      description: `on ${cp1}: record the labels and taints hactl manages on node ${host.name} (${annotate.join(' ')})`,
      command: `${guard}${KUBECTL} annotate --overwrite node ${nodeArg} ${shellJoin(annotate)}`,
      ...on,
      effects: [],
    });
  }
  d.actions = { attributes, operations };
  return d;
}

/** Labels and taints go on once the node object exists in its final version, i.e. after its upgrade. */
function place(b: GraphBuilder): void {
  const controlPlane = new Set(b.placement.controlPlane.map((h) => h.name));
  for (const h of b.placement.kubeNodes) {
    b.needs(b.add('node-config', h.name), at(controlPlane.has(h.name) ? 'upgrade-control-plane' : 'upgrade-worker', h));
  }
}

export const nodeConfig: ResourceKindDef<'node-config'> = {
  kind: 'node-config',
  place,
  factRequest: () => ({ packages: [], units: [], files: [], sysctls: [] }),
  desired,
  readsClusterFacts: true,
};
