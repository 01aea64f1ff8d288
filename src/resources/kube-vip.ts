// kube-vip: a static pod on every control-plane host that holds the VIP by ARP, the holder chosen
// by a Lease in kube-system. The kubelet runs it once kubeadm init or join starts it, so the
// manifest must be in /etc/kubernetes/manifests before then.
//
// Since Kubernetes 1.29, admin.conf only gets its rights once init has finished, while kube-vip on
// the first control-plane host must hold the VIP during init: that host mounts super-admin.conf
// (kube-vip issue #684); the others join an existing cluster and mount admin.conf.

import { isIP } from 'node:net';
import { managedHeader } from './diff.js';
import { APISERVER_PORT } from '../spec/constants.js';
import { emptyDesired, type Desired } from './desired.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const KUBE_VIP_MANIFEST = '/etc/kubernetes/manifests/kube-vip.yaml';

export function renderKubeVipManifest(p: { version: string; iface: string; vip: string; kubeconfig: string }): string {
  const env: [string, string][] = [
    ['vip_arp', 'true'],
    ['port', String(APISERVER_PORT)],
    ['vip_interface', p.iface],
    ['vip_cidr', isIP(p.vip) === 6 ? '128' : '32'],
    ['cp_enable', 'true'],
    ['cp_namespace', 'kube-system'],
    ['vip_leaderelection', 'true'],
    ['vip_leasename', 'plndr-cp-lock'],
    ['vip_leaseduration', '5'],
    ['vip_renewdeadline', '3'],
    ['vip_retryperiod', '1'],
    ['address', p.vip],
  ];
  const q = (s: string) => JSON.stringify(s);
  return (
    [
      managedHeader(),
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: kube-vip',
      '  namespace: kube-system',
      'spec:',
      '  containers:',
      '  - name: kube-vip',
      `    image: ghcr.io/kube-vip/kube-vip:v${p.version}`,
      '    imagePullPolicy: IfNotPresent',
      '    args: ["manager"]',
      '    env:',
      ...env.flatMap(([k, v]) => [`    - name: ${k}`, `      value: ${q(v)}`]),
      '    securityContext:',
      '      capabilities:',
      '        add: ["NET_ADMIN", "NET_RAW"]',
      '    volumeMounts:',
      '    - mountPath: /etc/kubernetes/admin.conf',
      '      name: kubeconfig',
      '  hostAliases:',
      '  - hostnames: ["kubernetes"]',
      '    ip: 127.0.0.1',
      '  hostNetwork: true',
      '  volumes:',
      '  - name: kubeconfig',
      '    hostPath:',
      `      path: ${p.kubeconfig}`,
    ].join('\n') + '\n'
  );
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const kv = ctx.spec.loadBalancer.kubeVip;
  const at = { resource: ctx.node.id, host: ctx.host.name };
  if (kv === undefined) {
    d.diagnostics.push({ severity: 'error', ...at, message: 'loadBalancer.kubeVip settings are missing' });
    return d;
  }
  const vip = ctx.spec.controlPlaneEndpoint.host;
  if (isIP(vip) === 0)
    d.diagnostics.push({ severity: 'error', ...at, message: `controlPlaneEndpoint.host ${vip} must be an IP address for kube-vip to hold it` });
  if (!ctx.facts.interfaces.some((i) => i.name === kv.interface)) {
    d.diagnostics.push({ severity: 'error', ...at, message: `interface ${kv.interface} (loadBalancer.kubeVip.interface) does not exist here` });
  }
  const first = ctx.placement.firstControlPlane.name === ctx.host.name;
  d.files.push({
    path: KUBE_VIP_MANIFEST,
    content: renderKubeVipManifest({
      version: kv.version,
      iface: kv.interface,
      vip,
      kubeconfig: first ? '/etc/kubernetes/super-admin.conf' : '/etc/kubernetes/admin.conf',
    }),
    mode: 0o600,
  });
  return d;
}

/**
 * kube-vip is a static pod on each control-plane host, written once its packages are in and before
 * that host's init or join, which start the kubelet that runs it. (kubeadm join only refuses its
 * own manifest files in /etc/kubernetes/manifests since 1.23, kubernetes/kubernetes#104942, so the
 * file may be there.)
 */
function place(b: GraphBuilder): void {
  for (const h of b.placement.kubeVipHosts) b.needs(b.add('kube-vip', h.name), at('kube-packages', h));
}

export const kubeVip: ResourceKindDef<'kube-vip'> = {
  kind: 'kube-vip',
  place,
  factRequest: () => ({ packages: [], units: [], files: [KUBE_VIP_MANIFEST], sysctls: [] }),
  desired,
};
