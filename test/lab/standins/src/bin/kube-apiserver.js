#!/usr/bin/env node
// kube-apiserver stand-in: TLS with kubeadm's certificates, client-certificate and bootstrap-token
// authentication, every object in etcd (this process keeps no state), health and version endpoints.
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import { flagMap, die } from '../lib/args.js';
import { Etcd } from '../lib/etcd.js';
import { RESOURCES, storageKey } from '../lib/resources.js';
import { versionInfo } from '../lib/version.js';

const KNOWN = new Set([
  'advertise-address',
  'allow-privileged',
  'authorization-mode',
  'client-ca-file',
  'enable-admission-plugins',
  'enable-bootstrap-token-auth',
  'etcd-cafile',
  'etcd-certfile',
  'etcd-keyfile',
  'etcd-servers',
  'kubelet-client-certificate',
  'kubelet-client-key',
  'kubelet-preferred-address-types',
  'proxy-client-cert-file',
  'proxy-client-key-file',
  'requestheader-allowed-names',
  'requestheader-client-ca-file',
  'requestheader-extra-headers-prefix',
  'requestheader-group-headers',
  'requestheader-username-headers',
  'secure-port',
  'service-account-issuer',
  'service-account-key-file',
  'service-account-signing-key-file',
  'service-cluster-ip-range',
  'tls-cert-file',
  'tls-private-key-file',
  'bind-address',
  'v',
  'feature-gates',
  'profiling',
  'anonymous-auth',
  'audit-log-path',
  'audit-policy-file',
  'version',
]);

const argv = process.argv.slice(2);
for (const a of argv) {
  const name = /^--([^=]+)/.exec(a)?.[1];
  if (!name) die(`Error: unknown command "${a}" for "kube-apiserver"`);
  if (!KNOWN.has(name)) die(`Error: unknown flag: --${name}`);
}
const F = flagMap(argv);
if (F.version) {
  console.log(`Kubernetes ${versionInfo().gitVersion}`);
  process.exit(0);
}
for (const req of ['etcd-servers', 'tls-cert-file', 'tls-private-key-file', 'client-ca-file']) if (!F[req]) die(`Error: --${req} must be specified`);

const log = (...a) => console.error(new Date().toISOString(), ...a);
const etcd = new Etcd({ endpoints: F['etcd-servers'].split(','), ca: F['etcd-cafile'], cert: F['etcd-certfile'], key: F['etcd-keyfile'] });
const clientCa = fs.readFileSync(F['client-ca-file']);

function status(code, reason, message, details) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}
class HttpError extends Error {
  constructor(code, reason, message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}
const notFound = (res, name) => new HttpError(404, 'NotFound', `${res.resource}${res.group ? '.' + res.group : ''} "${name}" not found`);

// ---------- authentication ----------
async function authenticate(req) {
  const peer = req.socket.getPeerCertificate?.();
  if (req.socket.authorized && peer && peer.subject) {
    const o = peer.subject.O;
    return { user: peer.subject.CN, groups: [...(o ? [].concat(o) : []), 'system:authenticated'] };
  }
  const auth = req.headers.authorization || '';
  const m = /^Bearer ([a-z0-9]{6})\.([a-z0-9]{16})$/.exec(auth);
  if (m && F['enable-bootstrap-token-auth'] === 'true') {
    const { kv } = await etcd.get(
      storageKey(
        RESOURCES.find((r) => r.resource === 'secrets'),
        'kube-system',
        `bootstrap-token-${m[1]}`,
      ),
    );
    if (kv) {
      const s = JSON.parse(kv.value);
      const d = (k) => (s.data?.[k] ? Buffer.from(s.data[k], 'base64').toString() : undefined);
      const exp = d('expiration');
      if (
        s.type === 'bootstrap.kubernetes.io/token' &&
        d('token-secret') === m[2] &&
        d('usage-bootstrap-authentication') === 'true' &&
        (!exp || new Date(exp) > new Date())
      ) {
        const extra = (d('auth-extra-groups') || '').split(',').filter(Boolean);
        return { user: `system:bootstrap:${m[1]}`, groups: ['system:bootstrappers', ...extra, 'system:authenticated'] };
      }
    }
    throw new HttpError(401, 'Unauthorized', 'Unauthorized');
  }
  if (auth) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
  return { user: 'system:anonymous', groups: ['system:unauthenticated'] };
}

// ---------- authorization (a deliberately small RBAC; see docs/lab-standins.md) ----------
let adminBindings = { at: 0, subjects: [] };
async function clusterAdminSubjects() {
  if (Date.now() - adminBindings.at < 2000) return adminBindings.subjects;
  const { kvs } = await etcd.list('/registry/clusterrolebindings/');
  const subjects = [];
  for (const kv of kvs) {
    const b = JSON.parse(kv.value);
    if (b.roleRef?.kind === 'ClusterRole' && b.roleRef?.name === 'cluster-admin') subjects.push(...(b.subjects || []));
  }
  adminBindings = { at: Date.now(), subjects };
  return subjects;
}
const SYSTEM_USERS = new Set(['system:kube-controller-manager', 'system:kube-scheduler', 'kube-apiserver-kubelet-client']);
async function authorize(who, verb, r) {
  if (who.groups.includes('system:masters') || SYSTEM_USERS.has(who.user) || who.groups.includes('system:nodes')) return true;
  if (who.groups.includes('system:authenticated')) {
    for (const s of await clusterAdminSubjects())
      if ((s.kind === 'User' && s.name === who.user) || (s.kind === 'Group' && who.groups.includes(s.name))) return true;
  }
  const res = r.res?.resource;
  if (verb === 'get' && res === 'configmaps' && r.ns === 'kube-public' && r.name === 'cluster-info') return true;
  if (who.groups.includes('system:bootstrappers')) {
    if (verb === 'get' && res === 'configmaps' && r.ns === 'kube-system' && ['kubeadm-config', 'kubelet-config', 'kube-proxy'].includes(r.name)) return true;
    if (verb === 'get' && res === 'secrets' && r.ns === 'kube-system' && r.name === 'kubeadm-certs') return true;
    if (res === 'certificatesigningrequests' && ['create', 'get', 'list'].includes(verb)) return true;
    if (res === 'nodes' && verb === 'get') return true;
  }
  return false;
}

// ---------- URL → resource ----------
function route(pathname) {
  const p = pathname.split('/').filter(Boolean);
  let group, version, rest;
  if (p[0] === 'api' && p.length >= 2) {
    group = '';
    version = p[1];
    rest = p.slice(2);
  } else if (p[0] === 'apis' && p.length >= 3) {
    group = p[1];
    version = p[2];
    rest = p.slice(3);
  } else return null;
  const find = (name) => RESOURCES.find((x) => x.group === group && x.version === version && x.resource === name);
  let ns;
  if (rest[0] === 'namespaces' && rest.length >= 3 && find(rest[2])?.namespaced) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const res = find(rest[0]);
  if (!res) return { unknown: true };
  if (res.namespaced && !ns && rest.length > 1) return { unknown: true };
  return { res, ns, name: rest[1], sub: rest[2] };
}

// ---------- storage ----------
function decorate(obj, kv) {
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}
async function getObj(res, ns, name) {
  const { kv } = await etcd.get(storageKey(res, ns, name));
  if (!kv) throw notFound(res, name);
  return { obj: decorate(JSON.parse(kv.value), kv), kv };
}

function matchLabels(obj, selector) {
  if (!selector) return true;
  const labels = obj.metadata?.labels || {};
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      let m;
      if ((m = /^([^!=]+)!=(.*)$/.exec(term))) return labels[m[1]] !== m[2];
      if ((m = /^([^!=]+)==?(.*)$/.exec(term))) return labels[m[1]] === m[2];
      if ((m = /^!(.+)$/.exec(term))) return !(m[1] in labels);
      return term in labels;
    });
}
function fieldValue(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function matchFields(obj, selector) {
  if (!selector) return true;
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
      if (!m) throw new HttpError(400, 'BadRequest', `invalid field selector: ${term}`);
      const v = fieldValue(obj, m[1]) ?? '';
      return m[2] === '!=' ? String(v) !== m[3] : String(v) === m[3];
    });
}

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
function validateName(res, name) {
  // RBAC objects only need a valid path segment (kubeadm's own are named like "kubeadm:cluster-admins").
  if (res.group === 'rbac.authorization.k8s.io' && name && !/[/%]/.test(name) && name !== '.' && name !== '..') return;
  if (!name || name.length > 253 || !NAME_RE.test(name))
    throw new HttpError(
      422,
      'Invalid',
      `${res.kind} "${name ?? ''}" is invalid: metadata.name: Invalid value: "${name ?? ''}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
}

async function create(res, ns, body) {
  if (!body || typeof body !== 'object') throw new HttpError(400, 'BadRequest', 'the body of the request was not an object');
  const meta = (body.metadata = { ...(body.metadata || {}) });
  if (!meta.name && meta.generateName) meta.name = meta.generateName + crypto.randomBytes(3).toString('hex').slice(0, 5);
  validateName(res, meta.name);
  if (res.namespaced) {
    if (meta.namespace && meta.namespace !== ns)
      throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    meta.namespace = ns;
    const { kv } = await etcd.get(`/registry/namespaces/${ns}`);
    if (!kv) throw new HttpError(404, 'NotFound', `namespaces "${ns}" not found`);
  } else delete meta.namespace;
  body.apiVersion = res.apiVersion;
  body.kind = res.kind;
  meta.uid = crypto.randomUUID();
  meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  delete meta.resourceVersion;
  if (res.resource === 'namespaces') body.status = { phase: 'Active' };
  if (res.resource === 'pods') body.status = { phase: 'Pending', ...(body.status || {}) };
  const key = storageKey(res, ns, meta.name);
  const r = await etcd.putIf(key, JSON.stringify(body), 0);
  if (!r.ok) throw new HttpError(409, 'AlreadyExists', `${res.resource}${res.group ? '.' + res.group : ''} "${meta.name}" already exists`);
  body.metadata.resourceVersion = String(r.revision);
  return body;
}

async function update(res, ns, name, body, sub) {
  const { obj: cur, kv } = await getObj(res, ns, name);
  let next;
  if (sub === 'status' || sub === 'approval') next = { ...cur, status: body.status };
  else {
    if (body.metadata?.name && body.metadata.name !== name) throw new HttpError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    next = { ...body, apiVersion: res.apiVersion, kind: res.kind };
    if (res.status) next.status = cur.status;
    next.metadata = { ...body.metadata, name, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp };
    if (res.namespaced) next.metadata.namespace = ns;
  }
  const want = body.metadata?.resourceVersion;
  if (want && want !== String(kv.modRevision))
    throw new HttpError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${res.resource}${res.group ? '.' + res.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  delete next.metadata.resourceVersion;
  const r = await etcd.putIf(storageKey(res, ns, name), JSON.stringify(next), kv.modRevision);
  if (!r.ok)
    throw new HttpError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${res.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  next.metadata.resourceVersion = String(r.revision);
  return next;
}

// RFC 7386 JSON merge patch.
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

async function handleResource(req, r, query, body, who) {
  const { res, ns, name, sub } = r;
  const verb = { GET: name ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[req.method];
  if (!verb) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (!(await authorize(who, verb, r))) {
    const scope = ns ? ` in the namespace "${ns}"` : ' at the cluster scope';
    throw new HttpError(
      403,
      'Forbidden',
      `${res.resource}${res.group ? '.' + res.group : ''}${name ? ` "${name}"` : ''} is forbidden: User "${who.user}" cannot ${verb} resource "${res.resource}" in API group "${res.group}"${scope}`,
    );
  }
  if (verb === 'list') {
    const prefix = res.namespaced && ns ? `/registry/${res.resource}/${ns}/` : `/registry/${res.resource}/`;
    const { revision, kvs } = await etcd.list(prefix);
    const items = kvs
      .map((kv) => decorate(JSON.parse(kv.value), kv))
      .filter((o) => matchLabels(o, query.get('labelSelector')) && matchFields(o, query.get('fieldSelector')));
    return [200, { kind: `${res.kind}List`, apiVersion: res.apiVersion, metadata: { resourceVersion: String(revision) }, items }];
  }
  if (verb === 'get') return [200, (await getObj(res, ns, name)).obj];
  if (verb === 'create') {
    if (sub === 'binding' && res.resource === 'pods') {
      const { obj } = await getObj(res, ns, name);
      if (obj.spec?.nodeName) throw new HttpError(409, 'Conflict', `pod ${name} is already assigned to node "${obj.spec.nodeName}"`);
      obj.spec.nodeName = body.target.name;
      obj.status = { ...(obj.status || {}), conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date().toISOString() }] };
      await update(res, ns, name, { ...obj, status: undefined }, undefined).then(() => update(res, ns, name, obj, 'status'));
      return [201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }];
    }
    if (name) throw new HttpError(405, 'MethodNotAllowed', 'POST to a named resource');
    if (res.resource === 'certificatesigningrequests' && body?.spec) Object.assign(body.spec, { username: who.user, groups: who.groups });
    return [201, await create(res, ns, body)];
  }
  if (verb === 'update') return [200, await update(res, ns, name, body, sub)];
  if (verb === 'patch') {
    for (let i = 0; ; i++) {
      const { obj } = await getObj(res, ns, name);
      const next = mergePatch(obj, body);
      next.metadata.resourceVersion = obj.metadata.resourceVersion;
      try {
        if (sub === 'status') return [200, await update(res, ns, name, next, 'status')];
        const out = await update(res, ns, name, next, undefined);
        if (res.status && body.status !== undefined) return [200, await update(res, ns, name, { ...out, status: next.status }, 'status')];
        return [200, out];
      } catch (e) {
        if (!(e.code === 409 && i < 5)) throw e;
      }
    }
  }
  if (verb === 'delete') {
    // As the real apiserver: a delete without preconditions retries when a writer got in between
    // (a kubelet's status update, say); with preconditions it is the caller's conflict.
    const pre = body?.preconditions?.resourceVersion;
    for (let i = 0; ; i++) {
      const { obj, kv } = await getObj(res, ns, name);
      const conflict = new HttpError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${res.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
      if (pre && pre !== String(kv.modRevision)) throw conflict;
      const r2 = await etcd.deleteIf(storageKey(res, ns, name), kv.modRevision);
      if (r2.ok) return [200, obj];
      if (pre || i >= 5) throw conflict;
    }
  }
}

// ---------- health ----------
async function etcdCheck() {
  // A linearizable read needs a raft leader and a quorum: without quorum it times out.
  await etcd.post('/v3/kv/range', { key: Buffer.from('/registry/health').toString('base64') }, 3000);
}
async function health(kind, verbose) {
  const checks = [
    ['ping', async () => {}],
    ['log', async () => {}],
  ];
  if (kind !== 'livez') checks.push(['etcd', etcdCheck]);
  const lines = [];
  let ok = true;
  for (const [n, f] of checks) {
    try {
      await f();
      lines.push(`[+]${n} ok`);
    } catch {
      ok = false;
      lines.push(`[-]${n} failed: reason withheld`);
    }
  }
  if (ok && !verbose) return [200, 'ok'];
  return [ok ? 200 : 500, lines.join('\n') + `\n${kind} check ${ok ? 'passed' : 'failed'}\n`];
}

// ---------- bootstrap (what the real apiserver's bootstrap controllers create) ----------
async function bootstrap() {
  const nsRes = RESOURCES.find((r) => r.resource === 'namespaces');
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    try {
      await create(nsRes, undefined, { metadata: { name: n } });
    } catch (e) {
      if (e.code !== 409) throw e;
    }
  }
  const svc = RESOURCES.find((r) => r.resource === 'services');
  const range = F['service-cluster-ip-range'] || '10.96.0.0/12';
  const [a, b, c, d] = range.split('/')[0].split('.').map(Number);
  const ip = [a, b, c, d + 1].join('.');
  try {
    await create(svc, 'default', {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: +(F['secure-port'] || 6443) }] },
    });
  } catch (e) {
    if (e.code !== 409) throw e;
  }
}

// ---------- server ----------
const server = https.createServer(
  {
    cert: fs.readFileSync(F['tls-cert-file']),
    key: fs.readFileSync(F['tls-private-key-file']),
    ca: clientCa,
    requestCert: true,
    rejectUnauthorized: false,
  },
  async (req, resp) => {
    const send = (code, obj) => {
      const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
      resp.writeHead(code, { 'Content-Type': typeof obj === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
      resp.end(text);
    };
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    await new Promise((r) => req.on('end', r));
    const u = new URL(req.url, 'https://x');
    try {
      const pathname = u.pathname.replace(/\/+$/, '') || '/';
      const top = pathname.split('/')[1];
      if (['healthz', 'livez', 'readyz'].includes(top) && req.method === 'GET') {
        const [c, t] = await health(top, u.searchParams.has('verbose'));
        return send(c, t);
      }
      if (pathname === '/version') return send(200, versionInfo());
      const who = await authenticate(req);
      if (pathname === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (pathname === '/apis') {
        const groups = [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
        return send(200, {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: groups.map((g) => ({
            name: g,
            versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
            preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
          })),
        });
      }
      const r = route(pathname);
      if (!r || r.unknown) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      let body;
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          throw new HttpError(400, 'BadRequest', 'invalid JSON in request body');
        }
      }
      const [code, out] = await handleResource(req, r, u.searchParams, body, who);
      send(code, out);
    } catch (e) {
      if (e instanceof HttpError) return send(e.code, status(e.code, e.reason, e.message));
      log('error', req.method, req.url, e.message);
      const code = e.etcd || /timeout|ECONNREFUSED|EHOSTUNREACH/.test(e.message) ? 504 : 500;
      send(code, status(code, code === 504 ? 'Timeout' : 'InternalError', e.message));
    }
  },
);

const port = +(F['secure-port'] || 6443);
const host = F['bind-address'] && F['bind-address'] !== '0.0.0.0' ? F['bind-address'] : undefined;
server.on('error', (e) => die(`failed to listen on ${host || '0.0.0.0'}:${port}: ${e.message}`));
(async () => {
  for (;;) {
    try {
      await bootstrap();
      break;
    } catch (e) {
      log('waiting for etcd:', e.message);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  server.listen(port, host, () => log(`Serving securely on ${host || '[::]'}:${port}`));
})();
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
