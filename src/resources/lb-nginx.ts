// lb-nginx: nginx's stream (TCP) proxy in front of every control-plane apiserver, the whole of
// /etc/nginx/nginx.conf (no http server: this nginx only balances the API).
//
// Open-source nginx has no active health checks: a backend leaves the pool after `max_fails`
// failed connections within `fail_timeout` and is retried after it, so the spec's fall and
// interval map to those. The stream module is a separate package on both families.

import { managedHeader } from './diff.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import { APISERVER_PORT } from '../spec/constants.js';
import { packageManagerOf, type PackageManager } from './converge.js';
import { emptyDesired, type Desired } from './desired.js';
import { hostPort } from './lb-haproxy.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const NGINX_CONF = '/etc/nginx/nginx.conf';

const STREAM_MODULE: Record<PackageManager, string> = { apt: 'libnginx-mod-stream', dnf: 'nginx-mod-stream' };

export function renderNginxConf(spec: ClusterSpec, controlPlane: Host[], pm: PackageManager): string {
  const hc = spec.loadBalancer.healthCheck;
  const failTimeout = Math.max(1, Math.ceil((hc.intervalMs * hc.fall) / 1000));
  const lines = [
    managedHeader(),
    `user ${pm === 'apt' ? 'www-data' : 'nginx'};`,
    'worker_processes auto;',
    'pid /run/nginx.pid;',
    // Where each family's packages drop their load_module lines (the stream module among them).
    pm === 'apt' ? 'include /etc/nginx/modules-enabled/*.conf;' : 'include /usr/share/nginx/modules/*.conf;',
    '',
    'events {',
    '    worker_connections 4096;',
    '}',
    '',
    'stream {',
    '    upstream kube_apiserver {',
    ...controlPlane.map((h) => `        server ${hostPort(h.address, APISERVER_PORT)} max_fails=${hc.fall} fail_timeout=${failTimeout}s;`),
    '    }',
    '',
    '    server {',
    `        listen ${spec.loadBalancer.frontendPort};`,
    '        proxy_pass kube_apiserver;',
    '        proxy_connect_timeout 5s;',
    '        proxy_timeout 1h;',
    '    }',
    '}',
  ];
  return lines.join('\n') + '\n';
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const pm = packageManagerOf(ctx.facts) ?? 'apt';
  d.packages.push({ name: 'nginx' }, { name: STREAM_MODULE[pm] });
  d.files.push({
    path: NGINX_CONF,
    content: renderNginxConf(ctx.spec, ctx.placement.controlPlane, pm),
    mode: 0o644,
    validate: 'nginx -t -q -c {}',
    normalize: { sortRuns: [/^\s+server\s+\S+:\d+\s+max_fails/] },
  });
  d.units.push({ name: 'nginx', enabled: true, active: true, restartOn: [NGINX_CONF], restartOnPackages: ['nginx', STREAM_MODULE[pm]] });
  return d;
}

/** keepalived-nginx: nginx on the proxy hosts once their OS is prepared (keepalived follows it). */
function place(b: GraphBuilder): void {
  if (b.placement.proxy !== 'lb-nginx') return;
  for (const h of b.placement.proxyHosts) b.needs(b.add('lb-nginx', h.name), at('os-prep', h));
}

export const lbNginx: ResourceKindDef<'lb-nginx'> = {
  kind: 'lb-nginx',
  place,
  factRequest: () => ({ packages: ['nginx', ...Object.values(STREAM_MODULE)], units: ['nginx'], files: [NGINX_CONF], sysctls: [] }),
  desired,
  pendingOnKinds: ['package-sources'],
};
