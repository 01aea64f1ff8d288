// etcd v3 through its JSON gRPC gateway (served on the client port) with client certificates.
// Chosen over shelling out to etcdctl: one TLS connection per request, no process per call, and the
// apiserver needs compare-and-swap transactions, which the gateway exposes as /v3/kv/txn.
import fs from 'node:fs';
import https from 'node:https';
import { endOnce, readJsonLines } from './json-lines.js';

const b64 = (s) => Buffer.from(s).toString('base64');
const unb64 = (s) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

// Keys after the prefix: the last byte incremented, etcd's idiom for a prefix range.
export function prefixEnd(prefix) {
  const b = Buffer.from(prefix);
  b[b.length - 1] += 1;
  return b.toString('base64');
}

export class Etcd {
  constructor({ endpoints, ca, cert, key, timeoutMs = 5000 }) {
    this.endpoints = endpoints.map((e) => new URL(e));
    this.tls = { ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
    this.timeoutMs = timeoutMs;
    this.next = 0;
    // Connections kept open between requests, as the real apiserver's gRPC client keeps its
    // connection: a TLS handshake per request (with client certificates both ways) cost more CPU
    // than the request itself once a hundred kubelets were posting through the apiservers.
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  }

  post1(ep, p, body, timeoutMs, retried = false) {
    return new Promise((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = https.request(
        {
          host: ep.hostname,
          port: ep.port,
          path: p,
          method: 'POST',
          ...this.tls,
          agent: this.agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': data.length },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let j;
            try {
              j = JSON.parse(text);
            } catch {
              j = { error: text };
            }
            if (res.statusCode !== 200) reject(Object.assign(new Error(`etcd ${p}: ${j.error || j.message || res.statusCode}`), { etcd: true }));
            else resolve(j);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`etcd ${p}: timeout on ${ep.host}`)));
      req.on('error', (e) => {
        // A kept connection the server closed meanwhile: the request never reached it, send it again once.
        if (req.reusedSocket && e.code === 'ECONNRESET' && !retried) this.post1(ep, p, body, timeoutMs, true).then(resolve, reject);
        else reject(e);
      });
      req.end(data);
    });
  }

  // Try the endpoints in turn, starting from the last one that answered.
  async post(p, body, timeoutMs = this.timeoutMs) {
    let last;
    for (let i = 0; i < this.endpoints.length; i++) {
      const idx = (this.next + i) % this.endpoints.length;
      try {
        const r = await this.post1(this.endpoints[idx], p, body, timeoutMs);
        this.next = idx;
        return r;
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  async get(key) {
    const r = await this.post('/v3/kv/range', { key: b64(key) });
    const kv = r.kvs?.[0];
    return { revision: +r.header.revision, kv: kv && decodeKv(kv) };
  }

  async list(prefix) {
    const r = await this.post('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
    return { revision: +r.header.revision, kvs: (r.kvs || []).map(decodeKv) };
  }

  // Put only when the key's mod_revision is `modRev` (0: the key must not exist).
  async putIf(key, value, modRev) {
    const cmp = [{ key: b64(key), target: 'MOD', result: 'EQUAL', mod_revision: String(modRev) }];
    const r = await this.post('/v3/kv/txn', {
      compare: cmp,
      success: [{ request_put: { key: b64(key), value: b64(value) } }],
      failure: [{ request_range: { key: b64(key) } }],
    });
    if (!r.succeeded) {
      const kv = r.responses?.[0]?.response_range?.kvs?.[0];
      return { ok: false, current: kv && decodeKv(kv) };
    }
    return { ok: true, revision: +r.header.revision };
  }

  async deleteIf(key, modRev) {
    const r = await this.post('/v3/kv/txn', {
      compare: [{ key: b64(key), target: 'MOD', result: 'EQUAL', mod_revision: String(modRev) }],
      success: [{ request_delete_range: { key: b64(key) } }],
    });
    return { ok: !!r.succeeded, revision: +r.header.revision };
  }

  /**
   * Streams the changes under `prefix` from `startRevision` (etcd's /v3/watch through the gateway,
   * with each change's previous value). `onEvents([{type: 'PUT'|'DELETE', kv, prevKv}])`;
   * `onEnd(error?)` once the stream ends (a compacted start revision ends it with `compacted`).
   * Returns a function that stops the watch.
   */
  watch(prefix, startRevision, onEvents, onEnd) {
    const ep = this.endpoints[this.next];
    const data = Buffer.from(
      JSON.stringify({ create_request: { key: b64(prefix), range_end: prefixEnd(prefix), start_revision: String(startRevision), prev_kv: true } }),
    );
    const end = endOnce(onEnd);
    const req = https.request(
      {
        host: ep.hostname,
        port: ep.port,
        path: '/v3/watch',
        method: 'POST',
        ...this.tls,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': data.length },
      },
      (res) => {
        readJsonLines(res, (msg) => {
          const r = msg.result;
          const failed =
            msg.error || !r
              ? new Error(`etcd watch: ${msg.error?.message || 'no result'}`)
              : r.compact_revision && r.compact_revision !== '0'
                ? Object.assign(new Error('compacted'), { compacted: +r.compact_revision })
                : r.canceled
                  ? new Error(`etcd watch canceled: ${r.cancel_reason || ''}`)
                  : undefined;
          if (failed) {
            end(failed);
            return false;
          }
          if (r.events?.length)
            onEvents(r.events.map((e) => ({ type: e.type === 'DELETE' ? 'DELETE' : 'PUT', kv: decodeKv(e.kv), prevKv: e.prev_kv && decodeKv(e.prev_kv) })));
          return true;
        });
        res.on('end', () => end());
        res.on('error', end);
      },
    );
    req.on('error', end);
    req.end(data);
    return () => {
      end.cancel();
      req.destroy();
    };
  }

  status(endpoint) {
    return this.post1(new URL(endpoint), '/v3/maintenance/status', {}, this.timeoutMs);
  }
  memberList() {
    return this.post('/v3/cluster/member/list', {});
  }
  memberAdd(peerURLs) {
    return this.post('/v3/cluster/member/add', { peerURLs });
  }
  // A member removing itself stops at once and may drop the answer; the retry on another endpoint
  // then finds no such member, which means the removal took (kubeadm treats it so too).
  async memberRemove(id) {
    try {
      return await this.post('/v3/cluster/member/remove', { ID: id });
    } catch (e) {
      if (/member not found/.test(e.message)) return { alreadyRemoved: true };
      throw e;
    }
  }
}

function decodeKv(kv) {
  return { key: unb64(kv.key), value: unb64(kv.value), modRevision: +kv.mod_revision, createRevision: +kv.create_revision };
}
