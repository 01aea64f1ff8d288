// smoke-test: always a `read`, after everything else. Two parts:
// - checks on the cluster facts (when there are any): every kubelet host of the spec is a Ready
//   node, every CNI DaemonSet has all its pods ready, the scheduler and controller-manager leases
//   are held by control-plane hosts;
// - at apply (readOperations): a Deployment of the sandbox (pause) image, one replica per worker
//   up to SMOKE_REPLICAS_MAX (so its cost does not grow with the cluster: every node's readiness
//   is already checked from the cluster facts), without tolerations so it lands on untainted
//   nodes, waited for to be Ready; its pods must run on the spec's workers (or, without workers,
//   anywhere); then everything is removed again. The lab's stand-ins run only `*/pause:*` images and have no endpoints controller and no pod
//   network, so "a pod starts" is checked and a Service is created (the API allocates its
//   ClusterIP) but its endpoints are not waited for.

import { KUBECTL } from './kubeadm-config.js';
import { emptyDesired } from './desired.js';
import type { CommandOperation } from './operation.js';
import type { Diagnostic } from './diff.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { shellQuote } from '../transport/quote.js';
import { type GraphBuilder } from '../graph/compile.js';
import { resourceId } from '../graph/types.js';

export const SMOKE_NAMESPACE = 'hactl-smoke';
export const SMOKE_TIMEOUT = '180s';
/** Pods the smoke test starts at most: enough to see scheduling onto workers, whatever their number. */
export const SMOKE_REPLICAS_MAX = 3;

export function smokeManifest(image: string, replicas: number): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    `  name: ${SMOKE_NAMESPACE}`,
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: hactl-smoke',
    `  namespace: ${SMOKE_NAMESPACE}`,
    'spec:',
    `  replicas: ${replicas}`,
    '  selector:',
    '    matchLabels: { app: hactl-smoke }',
    '  template:',
    '    metadata:',
    '      labels: { app: hactl-smoke }',
    '    spec:',
    '      containers:',
    '      - name: pause',
    `        image: ${q(image)}`,
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: hactl-smoke',
    `  namespace: ${SMOKE_NAMESPACE}`,
    'spec:',
    '  selector: { app: hactl-smoke }',
    '  ports:',
    '  - { port: 80, targetPort: 80 }',
    '',
  ].join('\n');
}

function readOperations(ctx: ResourceContext): CommandOperation[] {
  return smokeOperations(
    ctx.placement.workers.map((h) => h.name),
    ctx.spec.containerd.sandboxImage,
  );
}

/** The smoke test's steps for a cluster whose workers are `workers`, with the sandbox `image`. */
export function smokeOperations(workers: string[], image: string): CommandOperation[] {
  const replicas = Math.min(SMOKE_REPLICAS_MAX, Math.max(1, workers.length));
  const manifest = smokeManifest(image, replicas);
  const ns = `-n ${SMOKE_NAMESPACE}`;
  const cleanup = `${KUBECTL} ${ns} delete deployment hactl-smoke --ignore-not-found; ${KUBECTL} ${ns} delete pod -l app=hactl-smoke --ignore-not-found; ${KUBECTL} ${ns} delete service hactl-smoke --ignore-not-found; ${KUBECTL} delete namespace ${SMOKE_NAMESPACE} --ignore-not-found`;
  const onWorkers =
    workers.length === 0
      ? 'true'
      : `for n in $(${KUBECTL} ${ns} get pods -l app=hactl-smoke -o jsonpath='{.items[*].spec.nodeName}'); do case ${shellQuote(` ${workers.join(' ')} `)} in *" $n "*) ;; *) echo "hactl: smoke pod on $n, not on a worker" >&2; exit 1 ;; esac; done`;
  return [
    {
      description: `create ${replicas} pause pod(s) (${image}) and a Service in namespace ${SMOKE_NAMESPACE}`,
      command: `printf '%s' ${shellQuote(manifest)} | ${KUBECTL} apply -f -`,
      effects: [],
    },
    {
      description: `wait up to ${SMOKE_TIMEOUT} for them to be Ready${workers.length === 0 ? '' : workers.length <= 5 ? ` on the workers (${workers.join(', ')})` : ` on the ${workers.length} workers`}`,
      command: `${KUBECTL} ${ns} wait --for=jsonpath='{.status.readyReplicas}'=${replicas} deployment/hactl-smoke --timeout=${SMOKE_TIMEOUT} && ${KUBECTL} ${ns} wait --for=condition=Ready pod -l app=hactl-smoke --timeout=${SMOKE_TIMEOUT} && ${onWorkers}; rc=$?; [ "$rc" -eq 0 ] || { ${cleanup}; } >/dev/null 2>&1; exit "$rc"`,
      effects: [],
    },
    { description: `remove namespace ${SMOKE_NAMESPACE} and what the smoke test created`, command: cleanup, effects: [] },
  ];
}

function check(ctx: ResourceContext): Diagnostic[] {
  const cf = ctx.clusterFacts;
  if (cf === undefined) return [];
  const out: Diagnostic[] = [];
  for (const h of ctx.placement.kubeNodes) {
    const n = cf.nodes.find((x) => x.name === h.name);
    if (n === undefined) out.push({ severity: 'warning', host: h.name, message: `node ${h.name} is not registered in the cluster` });
    else if (!n.ready) out.push({ severity: 'warning', host: h.name, message: `node ${h.name} is not Ready` });
  }
  for (const ds of cf.daemonsets) {
    if (ds.numberReady < ds.desiredNumberScheduled) {
      out.push({ severity: 'warning', message: `DaemonSet ${ds.namespace}/${ds.name}: ${ds.numberReady} of ${ds.desiredNumberScheduled} pods ready` });
    }
  }
  const cps = new Set(ctx.placement.controlPlane.map((h) => h.name));
  for (const [what, holder] of [
    ['kube-scheduler', cf.leaseHolders.scheduler],
    ['kube-controller-manager', cf.leaseHolders.controllerManager],
  ] as const) {
    if (holder === undefined) out.push({ severity: 'warning', message: `no ${what} holds its lease: no leader elected` });
    else if (!cps.has(holder)) out.push({ severity: 'warning', message: `the ${what} lease is held by ${holder}, not a control-plane host of the spec` });
  }
  return out;
}

/**
 * The smoke test, last: it needs pod networking and every node in its final shape, and waits for
 * every other resource nothing waits for yet, so it is the graph's one last resource.
 */
function place(b: GraphBuilder): void {
  const needs = [resourceId('cni'), ...b.idsOf('node-config'), ...b.idsOf('certificate-renewal')];
  const rest = b.sinks().filter((id) => !needs.includes(id));
  b.needs(b.add('smoke-test', b.placement.firstControlPlane.name, { clusterWide: true }), ...needs, ...rest);
}

export const smokeTest: ResourceKindDef<'smoke-test'> = {
  kind: 'smoke-test',
  place,
  factRequest: () => ({ packages: [], units: [], files: [], sysctls: [] }),
  desired: () => emptyDesired(),
  check,
  readsClusterFacts: true,
  readOnly: true,
  readOperations,
};
