// etcd-pki (external etcd): the etcd CA and every certificate the etcd cluster and the apiservers
// need, made with the openssl CLI on the first etcd host (the kubeadm stand-in has no
// `init phase certs`; openssl is what kubeadm's own certificates come from in the lab too).
// Layout under /etc/hactl/etcd-pki on that host:
//   ca.crt, ca.key                       the etcd CA (10 years)
//   members/<host>.crt, .key             one per member: server and peer (serverAuth+clientAuth),
//                                        SANs host name, address, localhost, 127.0.0.1; with
//                                        clientAuth it is also what etcdctl on the member uses to
//                                        read and change the membership (src/facts/etcd.ts)
//   apiserver-etcd-client.crt, .key      the apiservers' client certificate
// etcd@<host> and kubeadm-init fetch theirs from here at apply time (runOn + captureAs). Keys never
// leave the host except through those sensitive steps; the probe only reads the certificates
// (certDirs), never a key. Existing certificates are kept; renewal is not done here.

import type { Host } from '../spec/types.js';
import { shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { attr } from './diff.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const ETCD_PKI_DIR = '/etc/hactl/etcd-pki';
export const ETCD_CA_DAYS = 3650;
export const memberCert = (name: string) => `${ETCD_PKI_DIR}/members/${name}.crt`;
export const CLIENT_CERT = `${ETCD_PKI_DIR}/apiserver-etcd-client.crt`;

const q = shellQuote;

function caCommand(): string {
  const d = ETCD_PKI_DIR;
  return `umask 077 && install -d -m 0700 -- ${q(d)} ${q(`${d}/members`)} && openssl req -x509 -newkey rsa:2048 -sha256 -nodes -keyout ${q(`${d}/ca.key`)} -out ${q(`${d}/ca.crt`)} -days ${ETCD_CA_DAYS} -subj /CN=etcd-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>&1`;
}

/** Key, CSR and a certificate signed by the etcd CA; the extensions in a private temporary file. */
export function leafCommand(base: string, cn: string, ext: string, days: number): string {
  const d = ETCD_PKI_DIR;
  return [
    'umask 077',
    'e=$(mktemp) || exit 1',
    `printf '%s\\n' ${q(ext)} >"$e"`,
    `openssl req -new -newkey rsa:2048 -sha256 -nodes -keyout ${q(`${base}.key`)} -out ${q(`${base}.csr`)} -subj ${q(`/CN=${cn}`)} 2>&1 && openssl x509 -req -sha256 -in ${q(`${base}.csr`)} -CA ${q(`${d}/ca.crt`)} -CAkey ${q(`${d}/ca.key`)} -CAcreateserial -days ${days} -extfile "$e" -out ${q(`${base}.crt`)} 2>&1; rc=$?`,
    `rm -f -- "$e" ${q(`${base}.csr`)}`,
    'exit "$rc"',
  ].join('\n');
}

export function memberExt(h: Host): string {
  const ip = h.address;
  return [
    `subjectAltName=DNS:${h.name},DNS:localhost,IP:${ip},IP:127.0.0.1`,
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
  ].join('\n');
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const days = ctx.spec.kubernetes.certificates.validityDays;
  const have = new Set(ctx.facts.certificates.map((c) => c.path));
  const ops: CommandOperation[] = [];
  const hasCa = have.has(`${ETCD_PKI_DIR}/ca.crt`);
  d.actions = { attributes: [attr('etcd-pki.ca', hasCa, true)], operations: ops, creates: !hasCa };
  if (!hasCa)
    ops.push({
      description: `make the etcd CA (${ETCD_PKI_DIR}/ca.crt, RSA 2048, ${ETCD_CA_DAYS} days; key stays on ${ctx.host.name})`,
      command: caCommand(),
      effects: [{ type: 'certificate', path: `${ETCD_PKI_DIR}/ca.crt`, days: ETCD_CA_DAYS }],
    });
  for (const h of ctx.placement.etcdHosts) {
    const path = memberCert(h.name);
    d.actions.attributes.push(attr(`etcd-pki.member.${h.name}`, have.has(path), true));
    if (have.has(path)) continue;
    ops.push({
      description: `issue the server/peer certificate of etcd member ${h.name} (SANs ${h.name}, ${h.address}, localhost, 127.0.0.1; ${days} days)`,
      command: leafCommand(path.replace(/\.crt$/, ''), h.name, memberExt(h), days),
      effects: [{ type: 'certificate', path, days }],
    });
  }
  d.actions.attributes.push(attr('etcd-pki.apiserver-client', have.has(CLIENT_CERT), true));
  if (!have.has(CLIENT_CERT)) {
    ops.push({
      description: `issue the apiservers' etcd client certificate (${CLIENT_CERT}, ${days} days)`,
      command: leafCommand(
        CLIENT_CERT.replace(/\.crt$/, ''),
        'kube-apiserver-etcd-client',
        'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth',
        days,
      ),
      effects: [{ type: 'certificate', path: CLIENT_CERT, days }],
    });
  }
  return d;
}

/** External etcd: the CA and member certificates are made once on the first etcd host. */
function place(b: GraphBuilder): void {
  const first = b.placement.etcdHosts[0];
  if (first === undefined) return;
  b.needs(b.add('etcd-pki', first.name, { clusterWide: true }), at('os-prep', first));
}

export const etcdPki: ResourceKindDef<'etcd-pki'> = {
  kind: 'etcd-pki',
  place,
  factRequest: () => ({ packages: ['openssl'], units: [], files: [], sysctls: [], certDirs: [ETCD_PKI_DIR] }),
  desired,
};
