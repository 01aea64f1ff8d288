// Certificates made by the openssl CLI, laid out as kubeadm lays out /etc/kubernetes/pki.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';

const DAY = 86400000;
export const CERT_DAYS = 365;
export const CA_DAYS = 3650;

function openssl(args, input) {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kubeadm-pki-'));
}

export function writeFile(file, data, mode = 0o644) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data, { mode });
  fs.chmodSync(file, mode);
}

export function newKey() {
  return openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']).toString();
}

/** An ECDSA P-256 key, as the kubelet makes for its client certificate (client-go's keyutil.MakeEllipticPrivateKeyPEM). */
export function newEcKey() {
  return openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']).toString();
}

function subj(cn, orgs = []) {
  return '/' + [...orgs.map((o) => `O=${o}`), `CN=${cn}`].join('/');
}

export function selfSignedCa(cn, days = CA_DAYS) {
  const key = newKey();
  const d = tmpdir();
  try {
    fs.writeFileSync(path.join(d, 'k'), key, { mode: 0o600 });
    const cert = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      path.join(d, 'k'),
      '-subj',
      subj(cn),
      '-days',
      String(days),
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
      '-addext',
      'subjectKeyIdentifier=hash',
    ]).toString();
    return { cert, key };
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}

// Sign a CSR (PEM) with the CA; usage 'server' | 'client' | 'both'.
export function signCsr(csrPem, ca, { usage, dns = [], ips = [], days = CERT_DAYS }) {
  const d = tmpdir();
  try {
    fs.writeFileSync(path.join(d, 'csr'), csrPem);
    fs.writeFileSync(path.join(d, 'ca.crt'), ca.cert);
    fs.writeFileSync(path.join(d, 'ca.key'), ca.key, { mode: 0o600 });
    const eku = usage === 'server' ? 'serverAuth' : usage === 'client' ? 'clientAuth' : 'serverAuth,clientAuth';
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${eku}`,
      'authorityKeyIdentifier=keyid',
    ];
    const sans = [...dns.map((n) => `DNS:${n}`), ...ips.map((i) => `IP:${i}`)];
    if (sans.length) ext.push(`subjectAltName=${sans.join(',')}`);
    fs.writeFileSync(path.join(d, 'ext'), ext.join('\n') + '\n');
    const serial = '0x' + crypto.randomBytes(8).toString('hex');
    return openssl([
      'x509',
      '-req',
      '-in',
      path.join(d, 'csr'),
      '-CA',
      path.join(d, 'ca.crt'),
      '-CAkey',
      path.join(d, 'ca.key'),
      '-set_serial',
      serial,
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      path.join(d, 'ext'),
    ]).toString();
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}

export function newCsr(key, cn, orgs = []) {
  const d = tmpdir();
  try {
    fs.writeFileSync(path.join(d, 'k'), key, { mode: 0o600 });
    return openssl(['req', '-new', '-key', path.join(d, 'k'), '-subj', subj(cn, orgs)]).toString();
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}

export function signedCert(ca, { cn, orgs = [], usage, dns = [], ips = [], days }) {
  const key = newKey();
  const cert = signCsr(newCsr(key, cn, orgs), ca, { usage, dns, ips, days });
  return { cert, key };
}

// kubeadm's --discovery-token-ca-cert-hash: sha256 over the DER SubjectPublicKeyInfo of the CA.
export function caCertHash(caPem) {
  const spki = new crypto.X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return 'sha256:' + crypto.createHash('sha256').update(spki).digest('hex');
}

export function certInfo(pem) {
  const x = new crypto.X509Certificate(pem);
  return { subject: x.subject, issuer: x.issuer, notAfter: new Date(x.validTo), notBefore: new Date(x.validFrom), san: x.subjectAltName, x };
}

// The subject of a CSR (CN and O) as openssl prints it.
export function csrSubject(csrPem) {
  const out = openssl(['req', '-noout', '-subject', '-nameopt', 'RFC2253'], csrPem)
    .toString()
    .trim()
    .replace(/^subject=/, '');
  const parts = out.split(/,(?=[A-Z]+=)/).map((s) => s.split('='));
  return { cn: parts.find((p) => p[0] === 'CN')?.[1], orgs: parts.filter((p) => p[0] === 'O').map((p) => p[1]) };
}

export function newServiceAccountKeys() {
  const key = newKey();
  const pub = crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' });
  return { key, pub };
}

// AES-GCM as kubeadm's upload-certs: nonce || ciphertext || tag, key = the 32-byte certificate key.
export function encrypt(data, hexKey) {
  const key = Buffer.from(hexKey, 'hex');
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, c.update(data), c.final(), c.getAuthTag()]);
}
export function decrypt(buf, hexKey) {
  const key = Buffer.from(hexKey, 'hex');
  const nonce = buf.subarray(0, 12),
    tag = buf.subarray(buf.length - 16),
    body = buf.subarray(12, buf.length - 16);
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(body), d.final()]);
}

export { DAY };
