// kubeadm-init: the first control-plane host. Desired: /etc/kubernetes/kubeadm-config.yaml rendered
// from the spec (kubeadm-config.ts), then `kubeadm init --config … --upload-certs` while the
// cluster is not initialised. Initialised means admin.conf and the kube-apiserver manifest are
// both there; then only the config file is kept in line, and a drifted file is rewritten with a
// warning: kubeadm reads it only at init (and `kubeadm upgrade`), never re-applies it to a running
// control plane.
//
// After `hactl etcd restore` (src/etcd/restore.ts) the host holds a marker: init then first restores
// the snapshot as a single etcd member, runs `kubeadm init` on that data with the saved CAs (kubeadm
// reuses existing CA files), and deletes the restored Node objects of the other hosts, which are
// new hosts that join again (kubeadm join refuses a name whose Node still reads Ready).
//
// `kubeadm init` prints the bootstrap token and the certificate key in its closing text: the step
// is sensitive and its output goes to a private temporary file, shown (tail) only on failure,
// when kubeadm has not printed them.

import { attr } from './diff.js';
import { shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { CLIENT_CERT, ETCD_PKI_DIR } from './etcd-pki.js';
import {
  EXTERNAL_ETCD_CLIENT,
  INIT_CONF_FILES,
  INIT_MANIFESTS,
  KUBEADM_CONFIG,
  KUBEADM_V1BETA3,
  KUBECTL,
  quietly,
  renderInitConfig,
} from './kubeadm-config.js';
import { KUBEADM_API_VERSION } from '../spec/versions.js';
import { APISERVER_PORT } from '../spec/constants.js';
import {
  RESTORE_DONE_COMMAND,
  RESTORE_MARKER,
  RESTORED_PREFLIGHT_IGNORE,
  parseRestoreMarker,
  restoreDataCommand,
  type RestoreMarker,
} from '../etcd/restore-marker.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import type { HostFacts } from '../facts/types.js';
import { joinRunningCluster } from './join-worker.js';
import { CONTROL_PLANE_GROUP, at, type GraphBuilder } from '../graph/compile.js';

export type InitState = 'initialised' | 'partial' | 'absent';

/** admin.conf + the apiserver manifest: initialised; one of them: a failed or half-reset init. */
export function initState(facts: HostFacts): InitState {
  const admin = facts.kubernetes.confFiles.includes('admin.conf');
  const apiserver = facts.kubernetes.manifests.includes('kube-apiserver.yaml');
  return admin && apiserver ? 'initialised' : admin || apiserver ? 'partial' : 'absent';
}

/**
 * External etcd: the apiservers' client certificate and the etcd CA, from etcd-pki on the first
 * etcd host, into kubeadm's paths on this host before init (joining control-plane hosts get them
 * from the certificates init uploads).
 */
function externalEtcdClientSteps(ctx: ResourceContext): CommandOperation[] {
  const first = ctx.placement.etcdHosts[0];
  if (first === undefined || ctx.facts.certificates.some((c) => c.path === EXTERNAL_ETCD_CLIENT.certFile)) return [];
  const pki = ETCD_PKI_DIR;
  return [
    {
      description: `on ${first.name}: read the etcd CA and the apiservers' etcd client certificate and key from ${pki} (not shown)`,
      command: `[ -f ${shellQuote(CLIENT_CERT)} ] || { echo ${shellQuote(`hactl: no ${CLIENT_CERT} here: this step runs on ${first.name}`)} >&2; exit 1; }; tar -C ${shellQuote(pki)} -cf - ca.crt apiserver-etcd-client.crt apiserver-etcd-client.key | base64 -w0`,
      runOn: first.name,
      captureAs: 'etcd-client',
      sensitive: true,
      effects: [],
    },
    {
      description: `install them as ${EXTERNAL_ETCD_CLIENT.caFile}, ${EXTERNAL_ETCD_CLIENT.certFile} and ${EXTERNAL_ETCD_CLIENT.keyFile} (0600)`,
      command: [
        'umask 077',
        't=$(mktemp -d) || exit 1',
        `{ base64 -d | tar -C "$t" -xf - && install -d -m 0755 -- /etc/kubernetes/pki/etcd && install -m 0644 -- "$t/ca.crt" ${EXTERNAL_ETCD_CLIENT.caFile} && install -m 0644 -- "$t/apiserver-etcd-client.crt" ${EXTERNAL_ETCD_CLIENT.certFile} && install -m 0600 -- "$t/apiserver-etcd-client.key" ${EXTERNAL_ETCD_CLIENT.keyFile}; }; rc=$?`,
        'rm -rf -- "$t"',
        '[ "$rc" -eq 0 ] || echo "hactl: no valid etcd client certificates on standard input (expected from the first etcd host)" >&2',
        'exit "$rc"',
      ].join('\n'),
      stdinFrom: 'etcd-client',
      sensitive: true,
      effects: [{ type: 'certificate', path: EXTERNAL_ETCD_CLIENT.certFile, days: ctx.spec.kubernetes.certificates.validityDays }],
    },
  ];
}

/** The restore marker's content when the host has one; 'refused' (with an error in the plan) when it cannot be used. */
function restoredMarker(ctx: ResourceContext, d: Desired): RestoreMarker | 'refused' | undefined {
  const f = ctx.facts.files[RESTORE_MARKER];
  if (!f?.exists || f.content === undefined) return undefined;
  const at = { resource: ctx.node.id, host: ctx.host.name };
  const m = parseRestoreMarker(f.content);
  const refuse = (message: string) => {
    d.diagnostics.push({ severity: 'error', ...at, message: `${message}; remove ${RESTORE_MARKER} to build a new cluster instead` });
    return 'refused' as const;
  };
  if ('error' in m) return refuse(m.error);
  if (ctx.spec.etcd.topology !== 'stacked') return refuse(`${RESTORE_MARKER}: a restored snapshot needs stacked etcd`);
  if (m.kubernetesVersion !== ctx.spec.kubernetes.version)
    return refuse(`${RESTORE_MARKER}: the snapshot is of Kubernetes ${m.kubernetesVersion} and the spec says ${ctx.spec.kubernetes.version}`);
  return m;
}

/** The restored Node objects of the other hosts are stale (those hosts are new), then the marker is retired. */
function afterRestoreSteps(ctx: ResourceContext): CommandOperation[] {
  const others = ctx.placement.kubeNodes.filter((h) => h.name !== ctx.host.name).map((h) => h.name);
  const steps: CommandOperation[] = [];
  if (others.length > 0) {
    // The local apiserver, which init has just seen healthy: the load balancer may not count it up yet.
    const a = ctx.host.address;
    const local = `https://${a.includes(':') ? `[${a}]` : a}:${APISERVER_PORT}`;
    steps.push({
      description: `delete the restored Node objects of ${others.join(', ')}: their hosts are new and join again`,
      command: `${KUBECTL} --server ${shellQuote(local)} delete node ${others.map(shellQuote).join(' ')} --ignore-not-found`,
      effects: [],
    });
  }
  steps.push({ description: `keep ${RESTORE_MARKER} as a record (renamed) and remove the uploaded snapshot`, command: RESTORE_DONE_COMMAND, effects: [] });
  return steps;
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec, host, facts } = ctx;
  const at = { resource: ctx.node.id, host: host.name };
  // kube-vip's static pod is in /etc/kubernetes/manifests before init (it holds the VIP during init).
  const ignore = spec.loadBalancer.type === 'kube-vip' ? ['DirAvailable--etc-kubernetes-manifests'] : [];
  const content = renderInitConfig(spec, ctx.placement, host, { ignorePreflightErrors: ignore });
  d.files.push({ path: KUBEADM_CONFIG, content, mode: 0o600 });

  const state = initState(facts);
  const operations: CommandOperation[] = [];
  let migration = false;
  if (state === 'partial') {
    d.diagnostics.push({
      severity: 'error',
      ...at,
      // Resetting a host that runs the cluster would wipe its control plane: the advice tells the two apart.
      message:
        `/etc/kubernetes is half initialised (admin.conf ${facts.kubernetes.confFiles.includes('admin.conf') ? 'present' : 'missing'}, kube-apiserver.yaml ${facts.kubernetes.manifests.includes('kube-apiserver.yaml') ? 'present' : 'missing'}). ` +
        `If the cluster was running on ${host.name}, a file was deleted: restore it (kubeadm init phase control-plane apiserver --config ${KUBEADM_CONFIG}, or kubeadm init phase kubeconfig admin --config ${KUBEADM_CONFIG}) and plan again; ` +
        `if an init failed, run \`kubeadm reset -f\` on ${host.name} and plan again`,
    });
  } else if (state === 'absent') {
    // A cluster exists on another control-plane host: this one (a replaced machine) joins it.
    if (ctx.placement.clusterHost.name !== host.name) return joinRunningCluster(ctx, { path: KUBEADM_CONFIG, content, mode: 0o600 });
    if (spec.etcd.topology === 'external') operations.push(...externalEtcdClientSteps(ctx));
    if (spec.loadBalancer.type !== 'kube-vip' && facts.kubernetes.manifests.length > 0) {
      d.diagnostics.push({
        severity: 'warning',
        ...at,
        message: `/etc/kubernetes/manifests is not empty (${facts.kubernetes.manifests.join(', ')}): kubeadm's preflight will refuse it`,
      });
    }
    const marker = restoredMarker(ctx, d);
    // A marker that cannot be used must not turn into an init of a new, empty cluster.
    if (marker === 'refused') return finish(d, state, operations, spec.kubernetes.certificates.validityDays);
    const restored = marker;
    if (restored !== undefined) {
      operations.push({
        description: `restore etcd from the snapshot of ${restored.snapshotCreated} (taken on ${restored.snapshotMember}, revision ${restored.revision}) as the single member ${host.name} in /var/lib/etcd`,
        command: restoreDataCommand(restored, host),
        effects: [],
      });
    }
    const ignoreFlag = restored !== undefined ? ` --ignore-preflight-errors=${RESTORED_PREFLIGHT_IGNORE}` : '';
    operations.push({
      description: `kubeadm init --config ${KUBEADM_CONFIG} --upload-certs${restored !== undefined ? ' (init from a restored etcd snapshot, with the saved CAs)' : ''} (Kubernetes v${spec.kubernetes.version}, endpoint ${spec.controlPlaneEndpoint.host}:${spec.controlPlaneEndpoint.port}; output not shown, it holds the bootstrap token and certificate key)`,
      command: quietly(`kubeadm init --config ${shellQuote(KUBEADM_CONFIG)} --upload-certs${ignoreFlag}`),
      sensitive: true,
      effects: [{ type: 'kubernetes', confFiles: INIT_CONF_FILES, manifests: [...INIT_MANIFESTS, ...(spec.etcd.topology === 'stacked' ? ['etcd.yaml'] : [])] }],
    });
    if (restored !== undefined) operations.push(...afterRestoreSteps(ctx));
  } else {
    const f = facts.files[KUBEADM_CONFIG];
    if (f?.exists && f.content !== undefined && usesV1beta3(f.content)) {
      // A file an older hactl wrote: kubeadm 1.36+ cannot read it (`kubeadm upgrade` would fail).
      migration = true;
      d.diagnostics.push({
        severity: 'info',
        ...at,
        message: `kubeadm config ${KUBEADM_V1BETA3} → ${KUBEADM_API_VERSION} (v1beta3 removed in 1.36): ${KUBEADM_CONFIG} is rewritten in ${KUBEADM_API_VERSION}; nothing is re-initialised or restarted`,
      });
    } else if (f?.exists && f.content !== undefined && f.content !== content) {
      d.diagnostics.push({
        severity: 'warning',
        ...at,
        message: `${KUBEADM_CONFIG} differs from the spec: the file is rewritten, but kubeadm does not re-apply it to a running control plane (only \`kubeadm upgrade\` reads it again)`,
      });
    }
    // An apply that stopped after init on a restored snapshot: the steps after init are still due
    // (nothing has joined yet: joins wait for this resource).
    if (facts.files[RESTORE_MARKER]?.exists) operations.push(...afterRestoreSteps(ctx));
  }
  const done = finish(d, state, operations, spec.kubernetes.certificates.validityDays);
  if (migration) done.actions!.attributes.push(attr('kubeadm.configApi', KUBEADM_V1BETA3, KUBEADM_API_VERSION));
  return done;
}

/** Does a kubeadm config file hold a document of the removed v1beta3 API? */
export function usesV1beta3(content: string): boolean {
  return /^apiVersion:\s*["']?kubeadm\.k8s\.io\/v1beta3["']?\s*$/m.test(content);
}

/** A new cluster's plan also says how long the certificates kubeadm signs will last. */
function finish(d: Desired, state: InitState, operations: CommandOperation[], validityDays: number): Desired {
  d.actions = {
    attributes: [
      attr('cluster.initialised', state === 'initialised', state === 'partial' ? false : true),
      ...(state === 'absent' ? [attr('certificates.validityDays', undefined, validityDays)] : []),
    ],
    operations,
    creates: state === 'absent',
  };
  if (state === 'partial') d.actions.attributes = [attr('cluster.initialised', 'partial', true)];
  if (state === 'initialised' && operations.length > 0) d.actions.attributes.push(attr('restore.stepsAfterInit', 'pending', 'done'));
  return d;
}

/**
 * kubeadm init on the first control-plane host, once its packages are in, every proxy and
 * keepalived instance runs (init talks to the apiserver through the VIP: "LB ready") and every
 * external etcd member is up. Its own kube-vip, when used, must be there too: it holds the VIP
 * during init.
 */
function place(b: GraphBuilder): void {
  const p = b.placement;
  const cp1 = p.firstControlPlane;
  const proxy = p.proxy;
  const loadBalancerReady = proxy ? p.proxyHosts.flatMap((h) => [at(proxy, h), at('lb-keepalived', h)]) : [];
  const init = b.add('kubeadm-init', cp1.name, { serialGroup: CONTROL_PLANE_GROUP });
  b.needs(init, at('kube-packages', cp1), ...loadBalancerReady);
  if (b.has(at('kube-vip', cp1))) b.needs(init, at('kube-vip', cp1));
  b.needs(init, ...p.etcdHosts.map((h) => at('etcd', h)));
}

export const kubeadmInit: ResourceKindDef<'kubeadm-init'> = {
  kind: 'kubeadm-init',
  place,
  factRequest: () => ({ packages: ['kubeadm', 'kubelet'], units: ['kubelet'], files: [KUBEADM_CONFIG, RESTORE_MARKER], sysctls: [] }),
  desired,
};
