// A small Kubernetes REST client: kubeconfig (embedded data or file paths), client certs or tokens.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import os from 'node:os';
import YAML from './yaml.js';
import { endOnce, readJsonLines } from './json-lines.js';

export function loadKubeconfig(file) {
  const text = fs.readFileSync(file, 'utf8');
  const kc = YAML.parse(text);
  const ctxName = kc['current-context'];
  const ctx = (kc.contexts || []).find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`${file}: no current context`);
  const cluster = (kc.clusters || []).find((c) => c.name === ctx.cluster)?.cluster;
  const user = (kc.users || []).find((u) => u.name === ctx.user)?.user || {};
  if (!cluster) throw new Error(`${file}: context ${ctxName} names no cluster`);
  const rel = (p) => (path.isAbsolute(p) ? p : path.join(path.dirname(file), p));
  const data = (inline, f) => (inline ? Buffer.from(inline, 'base64') : f ? fs.readFileSync(rel(f)) : undefined);
  return {
    file,
    server: cluster.server,
    namespace: ctx.namespace,
    ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: data(user['client-certificate-data'], user['client-certificate']),
    key: data(user['client-key-data'], user['client-key']),
    token: user.token,
  };
}

export function defaultKubeconfigPath(flag) {
  if (flag) return flag;
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG.split(':')[0];
  return path.join(os.homedir(), '.kube', 'config');
}

export function kubeconfigYaml({ cluster = 'kubernetes', server, caPem, user, certPem, keyPem, token }) {
  const u = token
    ? { token }
    : {
        'client-certificate-data': Buffer.from(certPem).toString('base64'),
        'client-key-data': Buffer.from(keyPem).toString('base64'),
      };
  return YAML.stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server }, name: cluster }],
    contexts: [{ context: { cluster, user }, name: `${user}@${cluster}` }],
    'current-context': `${user}@${cluster}`,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: u }],
  });
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// The options of an HTTPS request to `u` over `conn` (its CA, client certificate or token).
function requestOptions(conn, u, method, headers) {
  return {
    host: u.hostname,
    port: u.port || 443,
    path: u.pathname + u.search,
    method,
    headers: { Accept: 'application/json', ...headers, ...(conn.token ? { Authorization: `Bearer ${conn.token}` } : {}) },
    ca: conn.ca,
    cert: conn.cert,
    key: conn.key,
    rejectUnauthorized: !conn.insecure,
    servername: /^[\d.]+$/.test(u.hostname) ? undefined : u.hostname,
  };
}

// conn: {server, ca, cert, key, token, insecure, agent}
export function request(conn, method, urlPath, body, { timeoutMs = 10000, contentType } = {}) {
  const u = new URL(urlPath, conn.server);
  return new Promise((resolve, reject) => {
    const headers = {};
    let payload;
    if (body !== undefined) {
      payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      headers['Content-Type'] = contentType || 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const req = https.request({ ...requestOptions(conn, u, method, headers), agent: conn.agent ?? false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let j;
        try {
          j = text ? JSON.parse(text) : undefined;
        } catch {
          j = text;
        }
        if (res.statusCode >= 400) reject(new ApiError(res.statusCode, typeof j === 'object' ? j : { message: text }));
        else resolve(j);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${u}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

// Idle connections kept for the next request, as client-go keeps its connection: a component
// polling every few seconds does not pay a TLS handshake (through the load balancer) each time.
// Only for the long-running components (`keepAlive`): a CLI's few requests each take a connection
// of their own, which a load balancer's reload cannot reset halfway through the command.
export function client(conn, { keepAlive = false } = {}) {
  if (keepAlive) conn = { ...conn, agent: conn.agent ?? new https.Agent({ keepAlive: true, maxSockets: 4 }) };
  const r = (m, p, b, o) => request(conn, m, p, b, o);
  return {
    conn,
    get: (p, o) => r('GET', p, undefined, o),
    post: (p, b, o) => r('POST', p, b, o),
    put: (p, b, o) => r('PUT', p, b, o),
    patch: (p, b, o) => r('PATCH', p, b, { contentType: 'application/merge-patch+json', ...o }),
    del: (p, o) => r('DELETE', p, undefined, o),
    // Create, or on conflict replace keeping the stored resourceVersion.
    async apply(p, obj) {
      const name = obj.metadata.name;
      try {
        return await r('POST', p, obj);
      } catch (e) {
        if (e.status !== 409) throw e;
        const cur = await r('GET', `${p}/${name}`);
        return r('PUT', `${p}/${name}`, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
      }
    },
  };
}

/**
 * A watch (`?watch=true` added to `urlPath`): `onEvent({type, object})` for each event, then
 * `onEnd(err)` once when the stream ends (the server's timeout, a dropped connection or an error).
 * Returns a function that stops it. Its own connection: a watch holds it for minutes.
 */
export function watch(conn, urlPath, onEvent, onEnd) {
  const u = new URL(urlPath, conn.server);
  u.searchParams.set('watch', 'true');
  const end = endOnce(onEnd);
  const req = https.request({ ...requestOptions(conn, u, 'GET', {}), agent: false }, (res) => {
    if (res.statusCode >= 400) {
      res.resume();
      return end(new ApiError(res.statusCode, { message: `watch ${u.pathname}: HTTP ${res.statusCode}` }));
    }
    readJsonLines(res, onEvent);
    res.on('end', () => end());
    res.on('error', end);
  });
  req.on('error', end);
  req.on('close', () => end());
  req.end();
  return () => {
    end();
    req.destroy();
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function retry(what, fn, { timeoutMs = 60000, everyMs = 1000 } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: ${last?.message || last}`);
    await sleep(everyMs);
  }
}
