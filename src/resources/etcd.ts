// etcd (external topology): one member per etcd host, from the distribution's package (Debian and
// Ubuntu: etcd-server; Rocky: etcd), configured through the environment file its unit reads
// (/etc/default/etcd, /etc/etcd/etcd.conf): ETCD_NAME, the initial cluster of all members, client
// and peer TLS with client-certificate authentication. The member's certificate and key, and the
// CA, come from etcd-pki on the first etcd host, fetched at apply time (runOn + captureAs there,
// stdinFrom here: sensitive, a key). The service is enabled and started after them, and restarted
// when the configuration changes.

import { attr } from '../plan/model.js';
import type { Host } from '../spec/types.js';
import { shellQuote } from '../transport/quote.js';
import { packageManagerOf, type CommandOperation } from './converge.js';
import { emptyDesired, type Desired } from './desired.js';
import { ETCD_PKI_DIR } from './etcd-pki.js';
import { managedHeader } from '../plan/model.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';

export const ETCD_MEMBER_PKI = '/etc/etcd/pki';
export const ETCD_DATA_DIR = '/var/lib/etcd/hactl';
const url = (address: string, port: number) => `https://${address.includes(':') ? `[${address}]` : address}:${port}`;

export function etcdEnvFile(family: 'apt' | 'dnf'): string {
  return family === 'apt' ? '/etc/default/etcd' : '/etc/etcd/etcd.conf';
}

export function renderEtcdEnv(clusterName: string, host: Host, members: Host[]): string {
  const pki = ETCD_MEMBER_PKI;
  const vars: [string, string][] = [
    ['ETCD_NAME', host.name],
    ['ETCD_DATA_DIR', ETCD_DATA_DIR],
    ['ETCD_LISTEN_CLIENT_URLS', `${url(host.address, 2379)},https://127.0.0.1:2379`],
    ['ETCD_ADVERTISE_CLIENT_URLS', url(host.address, 2379)],
    ['ETCD_LISTEN_PEER_URLS', url(host.address, 2380)],
    ['ETCD_INITIAL_ADVERTISE_PEER_URLS', url(host.address, 2380)],
    ['ETCD_INITIAL_CLUSTER', members.map((m) => `${m.name}=${url(m.address, 2380)}`).join(',')],
    ['ETCD_INITIAL_CLUSTER_STATE', 'new'],
    ['ETCD_INITIAL_CLUSTER_TOKEN', `hactl-${clusterName}`],
    ['ETCD_CERT_FILE', `${pki}/server.crt`],
    ['ETCD_KEY_FILE', `${pki}/server.key`],
    ['ETCD_TRUSTED_CA_FILE', `${pki}/ca.crt`],
    ['ETCD_CLIENT_CERT_AUTH', 'true'],
    ['ETCD_PEER_CERT_FILE', `${pki}/server.crt`],
    ['ETCD_PEER_KEY_FILE', `${pki}/server.key`],
    ['ETCD_PEER_TRUSTED_CA_FILE', `${pki}/ca.crt`],
    ['ETCD_PEER_CLIENT_CERT_AUTH', 'true'],
  ];
  return `${managedHeader()}\n${vars.map(([k, v]) => `${k}="${v}"`).join('\n')}\n`;
}

/** On the first etcd host: the CA certificate and one member's certificate and key, as base64 of a tar. */
export function fetchMemberCertsCommand(name: string, from: string): string {
  return `[ -f ${shellQuote(`${ETCD_PKI_DIR}/ca.crt`)} ] || { echo ${shellQuote(`hactl: no etcd CA here: this step runs on ${from}`)} >&2; exit 1; }; tar -C ${shellQuote(ETCD_PKI_DIR)} -cf - ca.crt ${shellQuote(`members/${name}.crt`)} ${shellQuote(`members/${name}.key`)} | base64 -w0`;
}

/** Here: standard input (that base64) → /etc/etcd/pki/{ca.crt,server.crt,server.key}, owned by etcd. */
export function installMemberCertsCommand(name: string): string {
  const p = ETCD_MEMBER_PKI;
  return [
    'umask 077',
    't=$(mktemp -d) || exit 1',
    `{ base64 -d | tar -C "$t" -xf - && install -d -m 0750 -o etcd -g etcd -- ${p} && install -m 0644 -- "$t/ca.crt" ${p}/ca.crt && install -m 0644 -- "$t/members/${name}.crt" ${p}/server.crt && install -m 0600 -o etcd -g etcd -- "$t/members/${name}.key" ${p}/server.key; }; rc=$?`,
    'rm -rf -- "$t"',
    '[ "$rc" -eq 0 ] || echo "hactl: no valid certificates on standard input (expected from the first etcd host)" >&2',
    'exit "$rc"',
  ].join('\n');
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec, host, facts, placement } = ctx;
  const pm = packageManagerOf(facts) ?? 'apt';
  const pkg = pm === 'apt' ? 'etcd-server' : 'etcd';
  const version = spec.etcd.version;
  d.packages.push(version !== undefined ? { name: pkg, version: `${version}*`, hold: true } : { name: pkg });
  const envFile = etcdEnvFile(pm);
  const content = renderEtcdEnv(spec.name, host, placement.etcdHosts);
  d.files.push({ path: envFile, content, mode: 0o644 });

  const first = placement.etcdHosts[0]!.name;
  const ops: CommandOperation[] = [];
  const hasCert = facts.certificates.some((c) => c.path === `${ETCD_MEMBER_PKI}/server.crt`);
  const attributes = [attr('etcd.certificates', hasCert, true)];
  if (!hasCert) {
    ops.push({
      description: `on ${first}: read the CA and ${host.name}'s member certificate and key from ${ETCD_PKI_DIR} (not shown)`,
      command: fetchMemberCertsCommand(host.name, first),
      runOn: first,
      captureAs: 'etcd-certs',
      sensitive: true,
      effects: [],
    });
    ops.push({
      description: `install them as ${ETCD_MEMBER_PKI}/ca.crt, server.crt, server.key (0600, etcd)`,
      command: installMemberCertsCommand(host.name),
      stdinFrom: 'etcd-certs',
      sensitive: true,
      effects: [
        { type: 'certificate', path: `${ETCD_MEMBER_PKI}/ca.crt`, days: 3650 },
        { type: 'certificate', path: `${ETCD_MEMBER_PKI}/server.crt`, days: spec.kubernetes.certificates.validityDays },
      ],
    });
  }
  // The service after its certificates: enabled, running, restarted when its configuration changed.
  const unit = facts.units.etcd;
  const enabled = unit?.enabled ?? false;
  const active = unit?.active ?? false;
  const f = facts.files[envFile];
  const configChanged = !(f?.exists === true && f.content === content);
  attributes.push(attr('service.etcd.enabled', enabled, true), attr('service.etcd.active', active, true));
  if (!enabled) ops.push({ description: 'enable etcd', command: 'systemctl enable -- etcd', effects: [{ type: 'unit', name: 'etcd', enabled: true }] });
  const because = [...(active ? [] : ['not running']), ...(configChanged ? [`${envFile} changed`] : []), ...(hasCert ? [] : ['new certificates'])];
  if (because.length > 0) {
    ops.push({ description: `${active ? 'restart' : 'start'} etcd (${because.join(', ')})`, command: 'systemctl restart -- etcd', effects: [{ type: 'unit', name: 'etcd', active: true }] });
  }
  d.actions = { attributes, operations: ops, pendingOn: [`etcd-pki`] };
  return d;
}

export const etcd: ResourceKindDef = {
  kind: 'etcd',
  factRequest: () => ({ packages: ['etcd-server', 'etcd', 'etcd-client'], units: ['etcd'], files: ['/etc/default/etcd', '/etc/etcd/etcd.conf'], sysctls: [], certDirs: [ETCD_MEMBER_PKI] }),
  desired,
};
