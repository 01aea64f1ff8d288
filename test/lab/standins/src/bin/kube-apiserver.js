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
import { AGGREGATED_V2, AGGREGATED_V2BETA1, aggregated, apiGroupList, apiVersions, groups, negotiateDiscovery, resourceList } from '../lib/discovery.js';
import { openapiDocument, openapiIndex } from '../lib/openapi.js';
import { PatchError, jsonPatch, mergePatch, strategicMergePatch } from '../lib/patch.js';
import { FieldValidationError, checkFields, directiveOf, warningHeader } from '../lib/field-validation.js';
import { typeOfKind } from '../lib/schemas.js';
import { decodeObject } from '../lib/protobuf.js';
import { toTable, wantsTable } from '../lib/tables.js';

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
  constructor(code, reason, message, details) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}
const qualified = (res) => `${res.resource}${res.group ? '.' + res.group : ''}`;
const notFound = (res, name) => new HttpError(404, 'NotFound', `${qualified(res)} "${name}" not found`, { name, group: res.group, kind: res.resource });

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

// Resources whose metadata.generation counts changes of their spec (upstream's strategies).
const GENERATION = new Set(['deployments', 'daemonsets', 'pods']);

async function create(res, ns, body, dryRun = false) {
  if (!body || typeof body !== 'object') throw new HttpError(400, 'BadRequest', 'the body of the request was not an object');
  const meta = (body.metadata = { ...(body.metadata || {}) });
  if (!meta.name && meta.generateName) meta.name = meta.generateName + crypto.randomBytes(3).toString('hex').slice(0, 5);
  validateName(res, meta.name);
  if (res.namespaced) {
    if (meta.namespace && meta.namespace !== ns)
      throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    meta.namespace = ns;
    // NamespaceLifecycle admission: no new content in a missing or terminating namespace.
    const { kv } = await etcd.get(`/registry/namespaces/${ns}`);
    if (!kv) throw new HttpError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    if (JSON.parse(kv.value).status?.phase === 'Terminating')
      throw new HttpError(
        403,
        'Forbidden',
        `${res.resource} "${meta.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        {
          name: meta.name,
          kind: res.resource,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
        },
      );
  } else delete meta.namespace;
  body.apiVersion = res.apiVersion;
  body.kind = res.kind;
  meta.uid = crypto.randomUUID();
  meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  if (GENERATION.has(res.resource)) meta.generation = 1;
  if (res.resource === 'namespaces') {
    body.spec = { finalizers: ['kubernetes'], ...(body.spec || {}) };
    body.status = { phase: 'Active' };
    meta.labels = { ...(meta.labels || {}), 'kubernetes.io/metadata.name': meta.name };
  }
  if (res.resource === 'pods') body.status = { phase: 'Pending', ...(body.status || {}) };
  const key = storageKey(res, ns, meta.name);
  const exists = () =>
    new HttpError(409, 'AlreadyExists', `${qualified(res)} "${meta.name}" already exists`, { name: meta.name, group: res.group, kind: res.resource });
  if (dryRun) {
    if ((await etcd.get(key)).kv) throw exists();
    return body;
  }
  const r = await etcd.putIf(key, JSON.stringify(body), 0);
  if (!r.ok) throw exists();
  body.metadata.resourceVersion = String(r.revision);
  return body;
}

async function update(res, ns, name, body, sub, dryRun = false) {
  const { obj: cur, kv } = await getObj(res, ns, name);
  let next;
  if (sub === 'status' || sub === 'approval') next = { ...cur, status: body.status };
  else {
    if (body.metadata?.name && body.metadata.name !== name) throw new HttpError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    next = { ...body, apiVersion: res.apiVersion, kind: res.kind };
    if (res.status) next.status = cur.status;
    next.metadata = { ...body.metadata, name, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp };
    if (cur.metadata.deletionTimestamp) next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    // metadata.generation counts changes of the desired state (spec), as upstream's strategies do.
    if (GENERATION.has(res.resource)) {
      const changed = JSON.stringify(next.spec) !== JSON.stringify(cur.spec);
      next.metadata.generation = (cur.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
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
  if (dryRun) {
    next.metadata.resourceVersion = String(kv.modRevision);
    return next;
  }
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

const forbidden = (who, verb, r) => {
  const { res, ns, name } = r;
  const scope = ns ? ` in the namespace "${ns}"` : ' at the cluster scope';
  return new HttpError(
    403,
    'Forbidden',
    `${qualified(res)}${name ? ` "${name}"` : ''} is forbidden: User "${who.user}" cannot ${verb} resource "${res.resource}${r.sub ? '/' + r.sub : ''}" in API group "${res.group}"${scope}`,
    { name, group: res.group, kind: res.resource },
  );
};
const conflict = (res, name) =>
  new HttpError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(res)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: res.group, kind: res.resource },
  );

function listPrefix(res, ns) {
  return res.namespaced && ns ? `/registry/${res.resource}/${ns}/` : `/registry/${res.resource}/`;
}

// The patch types upstream accepts; server-side apply is not modelled (see docs/lab-standins.md).
const PATCHERS = {
  'application/merge-patch+json': (obj, body) => mergePatch(obj, body),
  'application/strategic-merge-patch+json': (obj, body, res) => strategicMergePatch(obj, body, typeOfKind(res.group, res.version, res.kind)),
  'application/json-patch+json': (obj, body) => jsonPatch(obj, body),
};
const EVICTION = { group: 'policy', version: 'v1', kind: 'Eviction' };

// SelfSubjectAccessReview: the same authorizer as every request, asked about the review's attributes.
async function accessReview(who, body) {
  const ra = body?.spec?.resourceAttributes;
  const nra = body?.spec?.nonResourceAttributes;
  let allowed;
  if (ra) {
    const resource = ra.resource === '*' ? '*' : ra.resource;
    const res = RESOURCES.find((x) => x.resource === resource && (ra.group === '*' || x.group === (ra.group ?? ''))) ?? { resource, group: ra.group ?? '' };
    allowed = await authorize(who, ra.verb, { res, ns: ra.namespace || undefined, name: ra.name || undefined });
  } else if (nra) {
    allowed = await authorize(who, nra.verb, { res: undefined, path: nra.path });
  } else
    throw new HttpError(
      422,
      'Invalid',
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: body.spec,
    status: allowed ? { allowed: true, reason: 'allowed by the lab apiserver authorizer' } : { allowed: false },
  };
}

// Namespace deletion: the namespace turns Terminating (and stays so while its content goes), then
// its namespaced objects are deleted and the namespace with them, as upstream's namespace
// controller and the `kubernetes` finalizer do. Done here, in the background of the request.
async function purgeNamespace(ns) {
  for (const r of RESOURCES.filter((x) => x.namespaced && !x.ephemeral)) {
    const { kvs } = await etcd.list(`/registry/${r.resource}/${ns}/`);
    for (const kv of kvs) await etcd.deleteIf(kv.key, kv.modRevision);
  }
  const nsRes = RESOURCES.find((r) => r.resource === 'namespaces');
  for (let i = 0; i < 5; i++) {
    const { kv } = await etcd.get(storageKey(nsRes, undefined, ns));
    if (!kv) return;
    if ((await etcd.deleteIf(kv.key, kv.modRevision)).ok) return;
  }
}

async function deleteObject(res, ns, name, opts, dryRun) {
  // As the real apiserver: a delete without preconditions retries when a writer got in between
  // (a kubelet's status update, say); with preconditions it is the caller's conflict.
  const pre = opts?.preconditions?.resourceVersion;
  for (let i = 0; ; i++) {
    const { obj, kv } = await getObj(res, ns, name);
    if (pre && pre !== String(kv.modRevision)) throw conflict(res, name);
    if (opts?.preconditions?.uid && opts.preconditions.uid !== obj.metadata.uid)
      throw new HttpError(409, 'Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`, {
        name,
        kind: res.resource,
      });
    if (dryRun) return [200, obj];
    if (res.resource === 'namespaces') {
      if (['default', 'kube-system', 'kube-public'].includes(name))
        throw new HttpError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
      if (obj.status?.phase !== 'Terminating') {
        obj.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        obj.status = { ...(obj.status || {}), phase: 'Terminating' };
        delete obj.metadata.resourceVersion;
        const w = await etcd.putIf(kv.key, JSON.stringify(obj), kv.modRevision);
        if (!w.ok) {
          if (i < 5) continue;
          throw conflict(res, name);
        }
        obj.metadata.resourceVersion = String(w.revision);
      }
      purgeNamespace(name).catch((e) => log('namespace', name, 'purge:', e.message));
      return [200, obj];
    }
    const r2 = await etcd.deleteIf(kv.key, kv.modRevision);
    if (r2.ok) return [200, obj];
    if (pre || i >= 5) throw conflict(res, name);
  }
}

// Watch: the changes under the list's prefix from resourceVersion + 1 (or, without one, the
// current objects as ADDED first), filtered by the selectors, as newline-delimited JSON events.
// With sendInitialEvents (client-go's watch-list) the initial ADDED events end with a bookmark
// annotated k8s.io/initial-events-end.
async function watch(req, resp, res, ns, query) {
  const prefix = listPrefix(res, ns);
  const matches = (o) => o && matchLabels(o, query.get('labelSelector')) && matchFields(o, query.get('fieldSelector'));
  const parse = (kv) => decorate(JSON.parse(kv.value), kv);
  let from = query.get('resourceVersion');
  const initial = query.get('sendInitialEvents') === 'true' || !from || from === '0';
  resp.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  const emit = (type, object) => resp.write(JSON.stringify({ type, object }) + '\n');
  let start;
  if (initial) {
    const { revision, kvs } = await etcd.list(prefix);
    for (const kv of kvs) {
      const o = parse(kv);
      if (matches(o)) emit('ADDED', o);
    }
    if (query.get('sendInitialEvents') === 'true' && query.get('allowWatchBookmarks') === 'true')
      emit('BOOKMARK', {
        kind: res.kind,
        apiVersion: res.apiVersion,
        metadata: { resourceVersion: String(revision), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    start = revision + 1;
  } else start = Number(from) + 1;
  if (!Number.isFinite(start)) throw new HttpError(400, 'BadRequest', `invalid resource version: ${from}`);
  const timeout = Math.min(Number(query.get('timeoutSeconds') || 1800), 3600) * 1000;
  await new Promise((resolve) => {
    const stop = etcd.watch(
      prefix,
      start,
      (events) => {
        for (const e of events) {
          if (e.type === 'DELETE') {
            const prev = e.prevKv && JSON.parse(e.prevKv.value);
            if (prev && matches(prev)) emit('DELETED', { ...prev, metadata: { ...prev.metadata, resourceVersion: String(e.kv.modRevision) } });
            continue;
          }
          const o = parse(e.kv);
          const was = e.prevKv && JSON.parse(e.prevKv.value);
          if (matches(o)) emit(was && matches(was) ? 'MODIFIED' : 'ADDED', o);
          else if (was && matches(was)) emit('DELETED', o);
        }
      },
      (err) => {
        if (err?.compacted) emit('ERROR', status(410, 'Expired', `too old resource version: ${start - 1} (${err.compacted})`));
        finish();
      },
    );
    const timer = setTimeout(() => finish(), timeout);
    function finish() {
      clearTimeout(timer);
      stop();
      resp.end();
      resolve();
    }
    req.on('close', finish);
    resp.on('close', finish);
  });
}

// `ctx.json`: the body was JSON (a protobuf body cannot carry unknown fields); `ctx.warnings`:
// the Warning headers of the response.
async function handleResource(req, resp, r, query, body, who, ctx) {
  const { res, ns, name, sub } = r;
  // fieldValidation: unknown fields refused (Strict) or dropped (Warn, Ignore); see field-validation.js.
  const checked = (kind, obj, directive, patch) => {
    if (!ctx.json || !obj || typeof obj !== 'object') return obj;
    const out = checkFields(kind, obj, directive, patch);
    ctx.warnings.push(...out.warnings);
    return out.obj;
  };
  const dryRun = query.getAll('dryRun').includes('All') || (body?.dryRun ?? body?.deleteOptions?.dryRun ?? []).includes?.('All');
  const isWatch = req.method === 'GET' && ['true', '1'].includes(query.get('watch') ?? '');
  const verb = isWatch ? 'watch' : { GET: name ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[req.method];
  if (!verb) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (res.ephemeral) {
    if (verb !== 'create' || name) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (res.resource === 'selfsubjectaccessreviews') return [201, await accessReview(who, checked(res, body, directiveOf(query, 'CreateOptions')))];
  }
  if (!(await authorize(who, verb, r))) throw forbidden(who, verb, r);
  if (verb === 'watch') {
    await watch(req, resp, res, ns, query);
    return undefined;
  }
  if (verb === 'list') {
    const { revision, kvs } = await etcd.list(listPrefix(res, ns));
    const items = kvs
      .map((kv) => decorate(JSON.parse(kv.value), kv))
      .filter((o) => matchLabels(o, query.get('labelSelector')) && matchFields(o, query.get('fieldSelector')));
    const table = wantsTable(req.headers.accept);
    if (table)
      return [
        200,
        toTable(res, items, { resourceVersion: String(revision), includeObject: query.get('includeObject') ?? undefined, apiVersion: `meta.k8s.io/${table}` }),
      ];
    return [200, { kind: `${res.kind}List`, apiVersion: res.apiVersion, metadata: { resourceVersion: String(revision) }, items }];
  }
  if (verb === 'get') {
    const { obj } = await getObj(res, ns, name);
    const table = wantsTable(req.headers.accept);
    if (table && !sub) return [200, toTable(res, [obj], { includeObject: query.get('includeObject') ?? undefined, apiVersion: `meta.k8s.io/${table}` })];
    return [200, obj];
  }
  if (verb === 'create') {
    const directive = directiveOf(query, 'CreateOptions');
    if (sub === 'binding' && res.resource === 'pods') {
      const { obj } = await getObj(res, ns, name);
      if (obj.spec?.nodeName) throw new HttpError(409, 'Conflict', `pod ${name} is already assigned to node "${obj.spec.nodeName}"`);
      obj.spec.nodeName = body.target.name;
      obj.status = { ...(obj.status || {}), conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date().toISOString() }] };
      await update(res, ns, name, { ...obj, status: undefined }, undefined).then(() => update(res, ns, name, obj, 'status'));
      return [201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }];
    }
    if (sub === 'eviction' && res.resource === 'pods') {
      // No PodDisruptionBudgets in the lab: an eviction is the pod's deletion (none with dryRun).
      if (body?.kind && body.kind !== 'Eviction') throw new HttpError(400, 'BadRequest', `expected Eviction, got ${body.kind}`);
      body = checked(EVICTION, body, directive);
      if (body?.metadata?.name && body.metadata.name !== name) throw new HttpError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
      await deleteObject(res, ns, name, body?.deleteOptions, dryRun);
      return [201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }];
    }
    if (name || sub) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (res.resource === 'certificatesigningrequests' && body?.spec) Object.assign(body.spec, { username: who.user, groups: who.groups });
    return [201, await create(res, ns, checked(res, body, directive), dryRun)];
  }
  if (verb === 'update') {
    body = checked(res, body, directiveOf(query, 'UpdateOptions'));
    if (sub === 'finalize' && res.resource === 'namespaces') return [200, await update(res, ns, name, body, undefined, dryRun)];
    return [200, await update(res, ns, name, body, sub, dryRun)];
  }
  if (verb === 'patch') {
    const type = (req.headers['content-type'] || '').split(';')[0].trim();
    const patcher = PATCHERS[type];
    if (!patcher)
      throw new HttpError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCHERS).join(', ')}`,
      );
    const directive = directiveOf(query, 'PatchOptions');
    for (let i = 0; ; i++) {
      const { obj } = await getObj(res, ns, name);
      let next;
      try {
        next = patcher(obj, body, res);
      } catch (e) {
        if (e instanceof PatchError)
          throw new HttpError(type === 'application/json-patch+json' ? 422 : 400, type === 'application/json-patch+json' ? 'Invalid' : 'BadRequest', e.message);
        throw e;
      }
      next = checked(res, next, directive, { type, body });
      next.metadata = { ...(next.metadata || {}), resourceVersion: body?.metadata?.resourceVersion ?? obj.metadata.resourceVersion };
      try {
        if (sub === 'status') return [200, await update(res, ns, name, next, 'status', dryRun)];
        const out = await update(res, ns, name, next, undefined, dryRun);
        if (res.status && JSON.stringify(next.status) !== JSON.stringify(obj.status) && !dryRun)
          return [200, await update(res, ns, name, { ...out, status: next.status }, 'status')];
        return [200, out];
      } catch (e) {
        if (!(e.code === 409 && i < 5 && !body?.metadata?.resourceVersion)) throw e;
      }
    }
  }
  if (verb === 'delete') return deleteObject(res, ns, name, body, dryRun);
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
    const ctx = { json: false, warnings: [] };
    const send = (code, obj, contentType) => {
      const text = typeof obj === 'string' ? obj : JSON.stringify(obj);
      resp.writeHead(code, {
        'Content-Type': contentType ?? (typeof obj === 'string' ? 'text/plain; charset=utf-8' : 'application/json'),
        ...(ctx.warnings.length ? { Warning: ctx.warnings.map(warningHeader) } : {}),
      });
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
      // Discovery (every authenticated user may read it, as upstream's system:discovery role).
      if (req.method === 'GET' && (pathname === '/api' || pathname === '/apis')) {
        const form = negotiateDiscovery(req.headers.accept);
        if (form !== 'legacy') {
          const [apiVersion, type] = form === 'v2' ? ['apidiscovery.k8s.io/v2', AGGREGATED_V2] : ['apidiscovery.k8s.io/v2beta1', AGGREGATED_V2BETA1];
          return send(200, aggregated(pathname === '/api' ? 'core' : 'apis', apiVersion), type);
        }
        return send(200, pathname === '/api' ? apiVersions() : apiGroupList());
      }
      const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
      if (req.method === 'GET' && gv) {
        const list = gv[1] ? resourceList('', gv[1]) : resourceList(gv[2], gv[3]);
        if (list) return send(200, list);
      }
      const group = /^\/apis\/([^/]+)$/.exec(pathname)?.[1];
      if (req.method === 'GET' && group && groups().includes(group))
        return send(
          200,
          apiGroupList().groups.find((g) => g.name === group),
        );
      if (req.method === 'GET' && pathname === '/openapi/v3') return send(200, openapiIndex());
      if (req.method === 'GET' && pathname.startsWith('/openapi/v3/')) {
        const doc = openapiDocument(pathname.slice('/openapi/v3/'.length));
        if (doc) return send(200, doc);
      }
      const r = route(pathname);
      if (!r || r.unknown) return send(404, status(404, 'NotFound', 'the server could not find the requested resource', {}));
      let body;
      if (chunks.length) {
        const raw = Buffer.concat(chunks);
        const type = (req.headers['content-type'] || '').split(';')[0].trim();
        if (type === 'application/vnd.kubernetes.protobuf') {
          try {
            body = decodeObject(raw);
          } catch (e) {
            throw new HttpError(400, 'BadRequest', `the object provided is unrecognized (${e.message})`);
          }
        } else if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') {
          throw new HttpError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (server-side apply is not served by the lab apiserver)`,
          );
        } else {
          try {
            body = JSON.parse(raw.toString('utf8'));
            ctx.json = true;
          } catch (e) {
            throw new HttpError(400, 'BadRequest', `json: ${e.message}`);
          }
        }
      }
      const out = await handleResource(req, resp, r, u.searchParams, body, who, ctx);
      if (out) send(out[0], out[1]);
    } catch (e) {
      if (resp.headersSent) return resp.end();
      if (e instanceof HttpError || e instanceof FieldValidationError) return send(e.code, status(e.code, e.reason, e.message, e.details));
      log('error', req.method, req.url, e.message);
      const code = e.etcd || /timeout|ECONNREFUSED|EHOSTUNREACH/.test(e.message) ? 504 : 500;
      send(code, status(code, code === 504 ? 'Timeout' : 'InternalError', e.message));
    }
  },
);

const port = +(F['secure-port'] || 6443);
const host = F['bind-address'] && F['bind-address'] !== '0.0.0.0' ? F['bind-address'] : undefined;
// As upstream's secure serving (IdleTimeout 90s): a client's idle connection is kept for its next request.
server.keepAliveTimeout = 90_000;
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
