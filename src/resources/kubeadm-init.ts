// kubeadm-init: the first control-plane host. Desired: /etc/kubernetes/kubeadm-config.yaml rendered
// from the spec (kubeadm-config.ts), then `kubeadm init --config … --upload-certs` while the
// cluster is not initialised. Initialised means admin.conf and the kube-apiserver manifest are
// both there; then only the config file is kept in line, and a drifted file is rewritten with a
// warning: kubeadm reads it only at init (and `kubeadm upgrade`), never re-applies it to a running
// control plane.
//
// `kubeadm init` prints the bootstrap token and the certificate key in its closing text: the step
// is sensitive and its output goes to a private temporary file, shown (tail) only on failure,
// when kubeadm has not printed them.

import { attr } from '../plan/model.js';
import { shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './converge.js';
import { emptyDesired, type Desired } from './desired.js';
import { CLIENT_CERT, ETCD_PKI_DIR } from './etcd-pki.js';
import { EXTERNAL_ETCD_CLIENT, KUBEADM_CONFIG, renderInitConfig } from './kubeadm-config.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import type { HostFacts } from '../facts/types.js';

/** What `kubeadm init` leaves under /etc/kubernetes (names as the probe lists them). */
export const INIT_CONF_FILES = ['admin.conf', 'controller-manager.conf', 'kubelet.conf', 'scheduler.conf', 'super-admin.conf'];
export const INIT_MANIFESTS = ['kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'];

export type InitState = 'initialised' | 'partial' | 'absent';

/** admin.conf + the apiserver manifest: initialised; one of them: a failed or half-reset init. */
export function initState(facts: HostFacts): InitState {
  const admin = facts.kubernetes.confFiles.includes('admin.conf');
  const apiserver = facts.kubernetes.manifests.includes('kube-apiserver.yaml');
  return admin && apiserver ? 'initialised' : admin || apiserver ? 'partial' : 'absent';
}

/** A command whose output (which may hold secrets) is kept private and shown only on failure. */
export function quietly(command: string): string {
  // A subshell, so an `exit` inside the command still reaches the tail and the clean-up.
  return `log=$(umask 077 && mktemp) || exit 1; (\n${command}\n) >"$log" 2>&1; rc=$?; [ "$rc" -eq 0 ] || tail -n 20 "$log" >&2; rm -f -- "$log"; exit "$rc"`;
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
  if (state === 'partial') {
    d.diagnostics.push({
      severity: 'error',
      ...at,
      message: `/etc/kubernetes is half initialised (admin.conf ${facts.kubernetes.confFiles.includes('admin.conf') ? 'present' : 'missing'}, kube-apiserver.yaml ${facts.kubernetes.manifests.includes('kube-apiserver.yaml') ? 'present' : 'missing'}): a failed init? Run \`kubeadm reset -f\` on ${host.name} and plan again`,
    });
  } else if (state === 'absent') {
    if (spec.etcd.topology === 'external') operations.push(...externalEtcdClientSteps(ctx));
    if (spec.loadBalancer.type !== 'kube-vip' && facts.kubernetes.manifests.length > 0) {
      d.diagnostics.push({ severity: 'warning', ...at, message: `/etc/kubernetes/manifests is not empty (${facts.kubernetes.manifests.join(', ')}): kubeadm's preflight will refuse it` });
    }
    operations.push({
      description: `kubeadm init --config ${KUBEADM_CONFIG} --upload-certs (Kubernetes v${spec.kubernetes.version}, endpoint ${spec.controlPlaneEndpoint.host}:${spec.controlPlaneEndpoint.port}; output not shown, it holds the bootstrap token and certificate key)`,
      command: quietly(`kubeadm init --config ${shellQuote(KUBEADM_CONFIG)} --upload-certs`),
      sensitive: true,
      effects: [{ type: 'kubernetes', confFiles: INIT_CONF_FILES, manifests: [...INIT_MANIFESTS, ...(spec.etcd.topology === 'stacked' ? ['etcd.yaml'] : [])] }],
    });
  } else {
    const f = facts.files[KUBEADM_CONFIG];
    if (f?.exists && f.content !== undefined && f.content !== content) {
      d.diagnostics.push({
        severity: 'warning',
        ...at,
        message: `${KUBEADM_CONFIG} differs from the spec: the file is rewritten, but kubeadm does not re-apply it to a running control plane (only \`kubeadm upgrade\` reads it again)`,
      });
    }
  }
  d.actions = {
    attributes: [attr('cluster.initialised', state === 'initialised', state === 'partial' ? false : true)],
    operations,
    creates: state === 'absent',
  };
  if (state === 'partial') d.actions.attributes = [attr('cluster.initialised', 'partial', true)];
  return d;
}

export const kubeadmInit: ResourceKindDef = {
  kind: 'kubeadm-init',
  factRequest: () => ({ packages: ['kubeadm', 'kubelet'], units: ['kubelet'], files: [KUBEADM_CONFIG], sysctls: [] }),
  desired,
};
