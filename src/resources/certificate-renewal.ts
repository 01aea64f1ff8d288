// certificate-renewal: on each control-plane host, the certificates kubeadm made under
// /etc/kubernetes/pki (not the CAs, which `kubeadm certs renew` leaves alone) are renewed once any
// of them has fewer than kubernetes.certificates.renewBeforeDays left, as the host's clock sees
// it. `kubeadm certs renew all` re-signs them (and the kubeconfig files) with the same keys for
// kubernetes.certificates.validityDays: kubeadm's one year by default, else the validity handed
// to it in a v1beta4 ClusterConfiguration (1.31+), so that the term does not depend on what the
// cluster was initialised with. The control-plane static pods then restart to load them.
// Hosts go one at a time (the control-plane serial group), each followed by the /readyz gate.
//
// The restart moves the static pod manifests out of the kubelet's directory and back after 20 s,
// as the Kubernetes documentation prescribes; the move back is trapped so that a failing or
// interrupted step (a signal, the SSH connection lost) still puts the manifests back.

import { posix } from 'node:path';
import { shellQuote } from '../transport/quote.js';
import { attr, type AttributeChange } from './diff.js';
import type { CertificateFacts } from '../facts/types.js';
import { emptyDesired, type Desired } from './desired.js';
import { certificateValidityPeriod } from './kubeadm-config.js';
import { initState } from './kubeadm-init.js';
import { quietly } from './kubeadm-config.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { CONTROL_PLANE_GROUP, at, type GraphBuilder } from '../graph/compile.js';

export const KUBEADM_PKI = '/etc/kubernetes/pki';
/** Where the renewal's ClusterConfiguration (certificateValidityPeriod only) is written. */
export const RENEW_CONFIG = '/etc/kubernetes/hactl/certs-renew.yaml';
const CA_FILES = new Set(['ca.crt', 'front-proxy-ca.crt', 'etcd/ca.crt']);
const RESTART_DIR = '/etc/kubernetes/hactl-restart';

/** The certificates `kubeadm certs renew all` renews, as observed (path relative to the pki dir). */
export function renewableCertificates(certs: CertificateFacts[]): (CertificateFacts & { name: string })[] {
  return (
    certs
      .filter((c) => c.path.startsWith(`${KUBEADM_PKI}/`))
      .map((c) => ({ ...c, name: posix.relative(KUBEADM_PKI, c.path) }))
      .filter((c) => !CA_FILES.has(c.name))
      // By code units: the same order whatever the locale (and no ICU collator to build).
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  );
}

/** Moves the static pod manifests out and, whatever happens, back after `seconds`. */
export function restartStaticPodsCommand(seconds = 20): string {
  const m = '/etc/kubernetes/manifests';
  return [
    `mkdir -p ${RESTART_DIR} && mv -f -- ${m}/*.yaml ${RESTART_DIR}/ || exit 1`,
    `back() { mv -f -- ${RESTART_DIR}/*.yaml ${m}/ && rmdir ${RESTART_DIR}; }`,
    "trap 'back; exit 1' HUP INT TERM",
    `sleep ${seconds}`,
    'back',
  ].join('\n');
}

/** `kubeadm certs renew all`, told the spec's validity when it is not kubeadm's default. */
export function renewCommand(ctx: ResourceContext): string {
  const validity = certificateValidityPeriod(ctx.spec);
  if (validity === undefined) return quietly('kubeadm certs renew all');
  const config = ['apiVersion: kubeadm.k8s.io/v1beta4', 'kind: ClusterConfiguration', `certificateValidityPeriod: ${validity}`].join('\n');
  return quietly(
    `mkdir -p ${posix.dirname(RENEW_CONFIG)} && printf '%s\\n' ${shellQuote(config)} > ${RENEW_CONFIG} && kubeadm certs renew all --config ${RENEW_CONFIG}`,
  );
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec, facts } = ctx;
  const certs = renewableCertificates(facts.certificates);
  if (initState(facts) !== 'initialised' || certs.length === 0) {
    // No control plane here yet: init or join makes fresh certificates.
    d.actions = { attributes: [], operations: [] };
    return d;
  }
  const threshold = spec.kubernetes.certificates.renewBeforeDays;
  const days = spec.kubernetes.certificates.validityDays;
  const unknownExpiry = certs.filter((c) => c.daysLeft === undefined);
  for (const c of unknownExpiry) {
    d.diagnostics.push({
      severity: 'warning',
      resource: ctx.node.id,
      host: ctx.host.name,
      message: `${c.path}: expiry unknown (${c.error ?? 'not read'}): renewal is decided from the others`,
    });
  }
  const due = certs.filter((c) => c.daysLeft !== undefined && c.daysLeft < threshold);
  const attributes: AttributeChange[] = certs
    .filter((c) => c.daysLeft !== undefined)
    .map((c) => attr(`certificate.${c.name}.daysLeft`, c.daysLeft, due.length > 0 ? days : c.daysLeft));
  if (due.length === 0) {
    d.actions = { attributes, operations: [] };
    return d;
  }
  const soonest = Math.min(...due.map((c) => c.daysLeft!));
  d.actions = {
    attributes,
    operations: [
      {
        description: `kubeadm certs renew all: ${due.length} certificate(s) with fewer than ${threshold} days left (soonest: ${soonest} days) re-signed for ${days} days, with the kubeconfig files`,
        command: renewCommand(ctx),
        effects: certs.map((c) => ({ type: 'certificate' as const, path: c.path, days })),
      },
      {
        description: 'restart the control-plane static pods to load them (manifests moved out for 20 s, then back)',
        command: restartStaticPodsCommand(),
        effects: [],
      },
    ],
  };
  return d;
}

/**
 * Certificate renewal on each control-plane host after its upgrade (kubeadm upgrade renews them
 * too), one host at a time in the control-plane serial group, so the /readyz gate follows each.
 */
function place(b: GraphBuilder): void {
  for (const h of b.placement.controlPlane) {
    b.needs(b.add('certificate-renewal', h.name, { serialGroup: CONTROL_PLANE_GROUP }), at('upgrade-control-plane', h));
  }
}

export const certificateRenewal: ResourceKindDef<'certificate-renewal'> = {
  kind: 'certificate-renewal',
  place,
  factRequest: () => ({ packages: ['kubeadm'], units: [], files: [], sysctls: [], certDirs: [KUBEADM_PKI] }),
  desired,
};
