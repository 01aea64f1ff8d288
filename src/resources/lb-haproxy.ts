// lb-haproxy: haproxy in TCP mode in front of every control-plane apiserver.
//
// Health checks are HTTP `GET /readyz` over TLS (`http-check connect ssl`, `verify none`), not plain TCP: an
// apiserver whose port is open but which lost etcd answers /readyz with 500 and leaves the pool,
// where a TCP check would keep sending clients to it. /readyz is readable without credentials
// (system:public-info-viewer); the certificate is not verified because haproxy holds no cluster CA
// and the check only judges health, it carries no client traffic.
//
// The frontend binds every address on the frontend port, so it serves the VIP wherever keepalived
// puts it without a restart. A new config is checked with `haproxy -c -f` on a candidate file
// before it replaces the old one; the service restarts only when the config changed.

import { managedHeader } from './diff.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { APISERVER_PORT } from '../spec/constants.js';
import { emptyDesired, type Desired } from './desired.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg';

/** `host:port` as haproxy and nginx want it: IPv6 addresses in brackets. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function renderHaproxyCfg(spec: ClusterSpec, controlPlane: Host[]): string {
  const hc = spec.loadBalancer.healthCheck;
  const lines = [
    managedHeader(),
    'global',
    '    log /dev/log local0',
    // No global maxconn: haproxy derives it from the file limit it gets, so it always starts; a
    // fixed value above what the host allows makes haproxy refuse to start.
    '',
    'defaults',
    '    mode tcp',
    '    log global',
    '    option tcplog',
    '    option dontlognull',
    '    timeout connect 5s',
    // Watches (kubectl get -w, informers) keep connections open for a long time.
    '    timeout client 1h',
    '    timeout server 1h',
    '',
    'frontend kube-apiserver',
    `    bind *:${spec.loadBalancer.frontendPort}`,
    '    default_backend kube-apiserver',
    '',
    'backend kube-apiserver',
    '    balance roundrobin',
    // The check's own TLS connection (kubeadm's HA guide does the same; haproxy 2.2+).
    '    option httpchk',
    '    http-check connect ssl',
    '    http-check send meth GET uri /readyz',
    '    http-check expect status 200',
    ...controlPlane.map(
      (h) => `    server ${h.name} ${hostPort(h.address, APISERVER_PORT)} check verify none inter ${hc.intervalMs} fall ${hc.fall} rise ${hc.rise}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  d.packages.push({ name: 'haproxy' });
  d.files.push({
    path: HAPROXY_CFG,
    content: renderHaproxyCfg(ctx.spec, ctx.placement.controlPlane),
    mode: 0o644,
    validate: 'haproxy -c -q -f {}',
    normalize: { sortRuns: [/^\s+server\s/] },
  });
  d.units.push({ name: 'haproxy', enabled: true, active: true, restartOn: [HAPROXY_CFG], restartOnPackages: ['haproxy'] });
  return d;
}

/** keepalived-haproxy: haproxy on the proxy hosts once their OS is prepared (keepalived follows it). */
function place(b: GraphBuilder): void {
  if (b.placement.proxy !== 'lb-haproxy') return;
  for (const h of b.placement.proxyHosts) b.needs(b.add('lb-haproxy', h.name), at('os-prep', h));
}

export const lbHaproxy: ResourceKindDef<'lb-haproxy'> = {
  kind: 'lb-haproxy',
  place,
  factRequest: () => ({ packages: ['haproxy'], units: ['haproxy'], files: [HAPROXY_CFG], sysctls: [] }),
  desired,
  pendingOnKinds: ['package-sources'],
};
