// join-worker (and, through joinDesired, join-control-plane): a host is joined once
// /etc/kubernetes/kubelet.conf exists (the kubelet's TLS bootstrap wrote it); then nothing to do.
//
// Otherwise the join needs a bootstrap token and the CA hash (and, for a control-plane host, the
// key that decrypts the uploaded certificates) that exist only at apply time: they are made on
// the first control-plane host, fresh for this join, by one step that runs THERE (`runOn`) and
// keeps its output unlogged (`captureAs`); the join step on this host reads that output on its
// standard input (`stdinFrom`), writes a private JoinConfiguration from the template the plan
// shows, runs `kubeadm join --config`, and removes the file. In the plan the values are
// "(known after apply)" and both steps are sensitive.
//
// Each step guards itself: the capture refuses to run where there is no admin.conf, and the join
// refuses an empty or malformed standard input, so an executor that ignored runOn/stdinFrom would
// fail the resource, never join with wrong values.

import { attr, unknown } from './diff.js';
import { resourceId } from '../graph/types.js';
import { shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { ADMIN_CONF, endpointOf, INIT_CONF_FILES, INIT_MANIFESTS, JOIN_PLACEHOLDERS, quietly, renderJoinTemplate } from './kubeadm-config.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const JOIN_CAPTURE = 'join';
/** Bootstrap tokens made for a join live one hour (kubeadm's default is 24 h). */
export const JOIN_TOKEN_TTL = '1h';

/** The step on the cluster host: a join command, and for control-plane joins a fresh certificate key. */
export function captureCommand(controlPlane: boolean, clusterHost: string): string {
  const guard = `[ -f ${ADMIN_CONF} ] || { echo ${shellQuote(`hactl: ${ADMIN_CONF} is missing here: this step runs on ${clusterHost}, an initialised control-plane host`)} >&2; exit 1; }`;
  const token = `kubeadm token create --print-join-command --ttl ${JOIN_TOKEN_TTL}`;
  if (!controlPlane) return `${guard}; ${token}`;
  // upload-certs prints "[upload-certs] Using certificate key:" and then the key, last.
  return `${guard}; j=$(${token}) && k=$(kubeadm init phase upload-certs --upload-certs) && printf '%s\\n' "$j" && printf '%s\\n' "$k" | tail -n 1`;
}

/** The step on the joining host: standard input (the capture's output) → private JoinConfiguration → kubeadm join. */
export function joinCommand(template: string, controlPlane: boolean): string {
  const lines = [
    'in=$(cat)',
    `token=$(printf '%s\\n' "$in" | sed -n 's/.*--token \\([^ ]*\\).*/\\1/p' | head -n 1)`,
    `hash=$(printf '%s\\n' "$in" | sed -n 's/.*--discovery-token-ca-cert-hash \\([^ ]*\\).*/\\1/p' | head -n 1)`,
    `printf '%s' "$token" | grep -Eq '^[a-z0-9]{6}[.][a-z0-9]{16}$' && printf '%s' "$hash" | grep -Eq '^sha256:[0-9a-f]{64}$' || { echo 'hactl: no valid join command on standard input (expected from the first control-plane host)' >&2; exit 1; }`,
  ];
  let subst = `-e "s|${JOIN_PLACEHOLDERS.token}|$token|" -e "s|${JOIN_PLACEHOLDERS.caCertHash}|$hash|"`;
  if (controlPlane) {
    lines.push(
      `key=$(printf '%s\\n' "$in" | sed -n '2p')`,
      `printf '%s' "$key" | grep -Eq '^[0-9a-f]{64}$' || { echo 'hactl: no valid certificate key on standard input' >&2; exit 1; }`,
    );
    subst += ` -e "s|${JOIN_PLACEHOLDERS.certificateKey}|$key|"`;
  }
  lines.push(
    'cfg=$(umask 077 && mktemp) || exit 1',
    `printf '%s' ${shellQuote(template)} | sed ${subst} >"$cfg" || { rm -f -- "$cfg"; exit 1; }`,
    `kubeadm join --config "$cfg"; rc=$?; rm -f -- "$cfg"; exit "$rc"`,
  );
  return lines.join('\n');
}

export function joinDesired(ctx: ResourceContext, controlPlane: boolean): Desired {
  const d = emptyDesired();
  const { spec, host, facts, placement } = ctx;
  const at = { resource: ctx.node.id, host: host.name };
  // Tokens and certificate keys come from a control-plane host of the running cluster.
  const cp1 = placement.clusterHost.name;
  const joined = facts.kubernetes.confFiles.includes('kubelet.conf');
  if (joined) {
    d.actions = { attributes: [attr('node.joined', true, true)], operations: [] };
    return d;
  }
  if (facts.kubernetes.manifests.some((m) => INIT_MANIFESTS.includes(m) || m === 'etcd.yaml') || facts.kubernetes.kubeletConfig) {
    d.diagnostics.push({
      severity: 'warning',
      ...at,
      message: `${host.name} has remains of an earlier kubeadm run (kubelet config or control-plane manifests, but no kubelet.conf): kubeadm's preflight may refuse the join; \`kubeadm reset -f\` clears them`,
    });
  }
  const role = controlPlane ? 'control-plane host' : 'worker';
  const template = renderJoinTemplate(spec, host, controlPlane);
  const capture: CommandOperation = {
    description: controlPlane
      ? `on ${cp1}: create a bootstrap token (ttl ${JOIN_TOKEN_TTL}) and re-upload the control-plane certificates with a new certificate key (token, CA hash and key known after apply; not shown)`
      : `on ${cp1}: create a bootstrap token (ttl ${JOIN_TOKEN_TTL}) and print the join command (token and CA hash known after apply; not shown)`,
    command: captureCommand(controlPlane, cp1),
    runOn: cp1,
    captureAs: JOIN_CAPTURE,
    sensitive: true,
    effects: [],
  };
  const join: CommandOperation = {
    description: `kubeadm join ${endpointOf(spec)} as a ${role} (node ${host.name}${controlPlane ? `, apiserver on ${host.address}` : ''}) with the values from ${cp1}, through a private JoinConfiguration removed afterwards`,
    command: quietly(joinCommand(template, controlPlane)),
    stdinFrom: JOIN_CAPTURE,
    sensitive: true,
    effects: [
      controlPlane
        ? {
            type: 'kubernetes',
            confFiles: INIT_CONF_FILES.filter((c) => c !== 'super-admin.conf'),
            manifests: [...INIT_MANIFESTS, ...(spec.etcd.topology === 'stacked' ? ['etcd.yaml'] : [])],
          }
        : { type: 'kubernetes', confFiles: ['kubelet.conf'] },
    ],
  };
  const attributes = [attr('node.joined', false, true), attr('join.token', undefined, unknown()), attr('join.caCertHash', undefined, unknown())];
  if (controlPlane) attributes.push(attr('join.certificateKey', undefined, unknown()));
  d.actions = { attributes, operations: [capture, join], pendingOn: [resourceId('kubeadm-init', placement.firstControlPlane.name)], creates: true };
  return d;
}

/** Workers only need a running control plane; they join in parallel. */
function place(b: GraphBuilder): void {
  const init = at('kubeadm-init', b.placement.firstControlPlane);
  for (const h of b.placement.workers) b.needs(b.add('join-worker', h.name), init, at('kube-packages', h));
}

export const joinWorker: ResourceKindDef<'join-worker'> = {
  kind: 'join-worker',
  place,
  factRequest: () => ({ packages: ['kubeadm', 'kubelet'], units: ['kubelet'], files: [], sysctls: [] }),
  desired: (ctx) => joinDesired(ctx, false),
};

/**
 * The host listed first runs `kubeadm init` only while no cluster exists. When the cluster runs on
 * other control-plane hosts (this machine was lost and replaced), it joins that cluster as a
 * control-plane host instead, from the cluster host, and keeps the init configuration file that
 * an initialised first host has (`configFile`), so the next plan finds nothing to do.
 */
export function joinRunningCluster(ctx: ResourceContext, configFile: Desired['files'][number]): Desired {
  const d = joinDesired(ctx, true);
  d.files.push(configFile);
  d.diagnostics.push({
    severity: 'info',
    message: `a cluster already runs on ${ctx.placement.clusterHost.name}: ${ctx.host.name} joins it as a control-plane host instead of running kubeadm init`,
  });
  return d;
}
