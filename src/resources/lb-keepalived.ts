// lb-keepalived: VRRP holding the VIP on the proxy hosts.
//
// Every instance starts as BACKUP: who holds the VIP is decided by priority alone (the highest
// healthy one), not by which host booted first. Unicast by default (`unicast_src_ip` and the other
// proxy hosts as `unicast_peer`): many networks drop multicast. A `vrrp_script` asks systemd
// whether the proxy is active; when it fails, the instance goes to FAULT and gives up the VIP.
// The auth password is read from the environment variable the spec names, at plan and at apply:
// the file is then sensitive (the plan shows only that it changes).

import { isIP } from 'node:net';
import { managedHeader, type Diagnostic } from './diff.js';
import type { Host } from '../spec/types.js';
import { emptyDesired, type Desired } from './desired.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';

/** VRRPv2 PASS authentication uses the first 8 characters only. */
const AUTH_PASS_MAX = 8;
const SAFE_PASS = /^[^\s!#"'{}\\]+$/;
/** Where keepalived.conf holds the VRRP password. */
const AUTH_PASS_FIELD = { pattern: /^([ \t]*auth_pass[ \t]+)\S+/gm };

export interface KeepalivedParams {
  routerId: string;
  proxy: 'haproxy' | 'nginx';
  iface: string;
  virtualRouterId: number;
  priority: number;
  vip: string;
  prefix: number;
  unicast: boolean;
  srcIp: string;
  peers: string[];
  password?: string;
}

export function renderKeepalivedConf(p: KeepalivedParams): string {
  const lines = [
    managedHeader(),
    'global_defs {',
    `    router_id ${p.routerId}`,
    '    enable_script_security',
    '    script_user root',
    '}',
    '',
    `vrrp_script chk_${p.proxy} {`,
    `    script "/usr/bin/systemctl is-active --quiet ${p.proxy}"`,
    '    interval 2',
    '    timeout 2',
    '    fall 2',
    '    rise 2',
    '}',
    '',
    'vrrp_instance kube_apiserver {',
    '    state BACKUP',
    `    interface ${p.iface}`,
    `    virtual_router_id ${p.virtualRouterId}`,
    `    priority ${p.priority}`,
    '    advert_int 1',
  ];
  if (p.unicast) {
    lines.push(`    unicast_src_ip ${p.srcIp}`, '    unicast_peer {', ...p.peers.map((x) => `        ${x}`), '    }');
  }
  if (p.password !== undefined) {
    lines.push('    authentication {', '        auth_type PASS', `        auth_pass ${p.password}`, '    }');
  }
  lines.push('    virtual_ipaddress {', `        ${p.vip}/${p.prefix} dev ${p.iface}`, '    }', '    track_script {', `        chk_${p.proxy}`, '    }', '}');
  return lines.join('\n') + '\n';
}

/** The address VRRP speaks from: the spec's address when it is an IP, else the interface's first IPv4. */
function sourceAddress(ctx: ResourceContext, host: Host, iface: string): string | undefined {
  if (isIP(host.address) !== 0) return host.address;
  const facts = ctx.cluster.get(host.name);
  const a = facts?.interfaces.find((i) => i.name === iface)?.addresses.find((x) => isIP(x.split('/')[0]!) === 4);
  return a?.split('/')[0];
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec, host } = ctx;
  const k = spec.loadBalancer.keepalived;
  const at = { resource: ctx.node.id, host: host.name };
  d.packages.push({ name: 'keepalived' });
  if (k === undefined) {
    d.diagnostics.push({ severity: 'error', ...at, message: 'loadBalancer.keepalived settings are missing' });
    return d;
  }
  const vip = spec.controlPlaneEndpoint.host;
  if (isIP(vip) === 0)
    d.diagnostics.push({ severity: 'error', ...at, message: `controlPlaneEndpoint.host ${vip} must be an IP address for keepalived to hold it` });
  const srcIp = sourceAddress(ctx, host, k.interface);
  const peers: string[] = [];
  for (const h of k.unicast ? ctx.placement.proxyHosts : []) {
    if (h.name === host.name) continue;
    const a = sourceAddress(ctx, h, k.interface);
    if (a === undefined)
      d.diagnostics.push({
        severity: 'error',
        ...at,
        message: `unicast peer ${h.name}: no IP address known (its address is a name and it could not be observed)`,
      });
    else peers.push(a);
  }
  if (k.unicast && srcIp === undefined) d.diagnostics.push({ severity: 'error', ...at, message: `no IPv4 address on ${k.interface} to send VRRP from` });

  let password: string | undefined;
  if (k.authPasswordEnv !== undefined) {
    password = ctx.env[k.authPasswordEnv];
    if (password === undefined || password === '') {
      d.diagnostics.push({
        severity: 'error',
        ...at,
        message: `environment variable ${k.authPasswordEnv} (loadBalancer.keepalived.authPasswordEnv) is not set`,
      });
      d.unknown.push(`file ${KEEPALIVED_CONF}`);
      d.units.push({ name: 'keepalived', enabled: true, active: true });
      return d;
    }
    // keepalived.conf has no escapes: `!` and `#` start comments, blanks split words, braces open blocks.
    if (!SAFE_PASS.test(password)) {
      d.diagnostics.push({
        severity: 'error',
        ...at,
        message: `the VRRP password in ${k.authPasswordEnv} has characters keepalived.conf cannot carry (blanks, quotes, braces, backslash, ! or #)`,
      });
      d.unknown.push(`file ${KEEPALIVED_CONF}`);
      d.units.push({ name: 'keepalived', enabled: true, active: true });
      return d;
    }
    if (password.length > AUTH_PASS_MAX) {
      d.diagnostics.push({
        severity: 'warning',
        ...at,
        message: `the VRRP password in ${k.authPasswordEnv} is longer than ${AUTH_PASS_MAX} characters; keepalived uses only the first ${AUTH_PASS_MAX}`,
      });
    }
  }
  const content = renderKeepalivedConf({
    routerId: host.name,
    proxy: spec.loadBalancer.type === 'keepalived-nginx' ? 'nginx' : 'haproxy',
    iface: k.interface,
    virtualRouterId: k.virtualRouterId,
    priority: k.priorities[host.name] ?? 100,
    vip,
    prefix: k.subnetPrefix,
    unicast: k.unicast,
    srcIp: srcIp ?? '',
    peers,
    ...(password !== undefined ? { password } : {}),
  });
  d.files.push({
    path: KEEPALIVED_CONF,
    content,
    mode: 0o600,
    ...(password !== undefined ? { sensitive: true, secretFields: [AUTH_PASS_FIELD] } : {}),
    validate: 'keepalived -t -f {}',
  });
  d.units.push({ name: 'keepalived', enabled: true, active: true, restartOn: [KEEPALIVED_CONF], restartOnPackages: ['keepalived'] });
  return d;
}

function check(ctx: ResourceContext): Diagnostic[] {
  const k = ctx.spec.loadBalancer.keepalived;
  if (k === undefined) return [];
  if (ctx.facts.interfaces.some((i) => i.name === k.interface)) return [];
  const have = ctx.facts.interfaces.map((i) => i.name).join(', ') || 'none';
  return [
    {
      severity: 'error',
      resource: ctx.node.id,
      host: ctx.host.name,
      message: `interface ${k.interface} (loadBalancer.keepalived.interface) does not exist here (interfaces: ${have})`,
    },
  ];
}

/**
 * keepalived after the proxy on its host, so the VIP is only claimed by a host that can already
 * forward to the apiservers.
 */
function place(b: GraphBuilder): void {
  const proxy = b.placement.proxy;
  if (!proxy) return;
  for (const h of b.placement.proxyHosts) b.needs(b.add('lb-keepalived', h.name), at(proxy, h));
}

export const lbKeepalived: ResourceKindDef<'lb-keepalived'> = {
  kind: 'lb-keepalived',
  place,
  factRequest: () => ({ packages: ['keepalived'], units: ['keepalived'], files: [KEEPALIVED_CONF], sysctls: [] }),
  desired,
  check,
  pendingOnKinds: ['package-sources'],
};
