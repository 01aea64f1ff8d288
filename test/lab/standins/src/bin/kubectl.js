#!/usr/bin/env node
// kubectl stand-in: get, apply -f, delete, wait, label, annotate, taint, cordon/uncordon/drain, version, cluster-info.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, one, all, truthy, die } from '../lib/args.js';
import { parseAllDocs, stringify } from '../lib/yaml.js';
import { loadKubeconfig, defaultKubeconfigPath, client, sleep } from '../lib/kube.js';
import { byName, byKind, collectionPath } from '../lib/resources.js';
import { versionInfo } from '../lib/version.js';

const BOOLEANS = [
  'A',
  'all-namespaces',
  'all',
  'client',
  'ignore-not-found',
  'overwrite',
  'ignore-daemonsets',
  'delete-emptydir-data',
  'force',
  'wait',
  'h',
  'help',
  'no-headers',
  'show-labels',
];
const { flags, pos } = parseArgs(process.argv.slice(2), BOOLEANS);
const out = (s) => process.stdout.write(s + '\n');
const V = versionInfo();
let api, kc;
function conn() {
  if (api) return api;
  const file = defaultKubeconfigPath(one(flags.kubeconfig));
  if (!fs.existsSync(file)) die('error: no configuration has been provided, try setting KUBERNETES_MASTER environment variable');
  kc = loadKubeconfig(file);
  if (flags.server || flags.s) kc.server = one(flags.server || flags.s);
  api = client(kc);
  return api;
}
const nsFlag = () => one(flags.n) || one(flags.namespace) || (api && kc?.namespace) || 'default';
const allNs = () => truthy(flags.A) || truthy(flags['all-namespaces']);
const output = () => one(flags.o) || one(flags.output);

function serverError(e) {
  if (e.status) {
    const reason = e.body?.reason || 'InternalError';
    return `Error from server (${reason}): ${e.message}`;
  }
  if (/ECONNREFUSED/.test(e.message)) return `The connection to the server ${new URL(kc.server).host} was refused - did you specify the right host or port?`;
  return `Unable to connect to the server: ${e.message}`;
}

// ---------- formatting ----------
function age(ts) {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - new Date(ts)) / 1000));
  const m = Math.floor(s / 60),
    h = Math.floor(s / 3600),
    d = Math.floor(s / 86400);
  if (s < 120) return `${s}s`;
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  if (h < 192) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}
function table(rows, noHeaders) {
  if (noHeaders) rows = rows.slice(1);
  if (!rows.length) return '';
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? String(c) : String(c).padEnd(w[i] + 3))).join('')).join('\n');
}
const cond = (o, t) => o.status?.conditions?.find((c) => c.type === t);
const labelsStr = (o) =>
  Object.entries(o.metadata.labels || {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '<none>';

const COLUMNS = {
  nodes: [
    [
      'STATUS',
      (n) => {
        const r = cond(n, 'Ready')?.status;
        return (r === 'True' ? 'Ready' : r === 'False' ? 'NotReady' : 'Unknown') + (n.spec?.unschedulable ? ',SchedulingDisabled' : '');
      },
    ],
    [
      'ROLES',
      (n) =>
        Object.keys(n.metadata.labels || {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice(24))
          .sort()
          .join(',') || '<none>',
    ],
    ['AGE', (n) => age(n.metadata.creationTimestamp)],
    ['VERSION', (n) => n.status?.nodeInfo?.kubeletVersion || ''],
    ['INTERNAL-IP', (n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address || '<none>', 1],
    ['EXTERNAL-IP', () => '<none>', 1],
    ['OS-IMAGE', (n) => n.status?.nodeInfo?.osImage || '', 1],
    ['KERNEL-VERSION', (n) => n.status?.nodeInfo?.kernelVersion || '', 1],
    ['CONTAINER-RUNTIME', (n) => n.status?.nodeInfo?.containerRuntimeVersion || '', 1],
  ],
  pods: [
    ['READY', (p) => `${(p.status?.containerStatuses || []).filter((c) => c.ready).length}/${p.spec.containers.length}`],
    ['STATUS', (p) => p.status?.containerStatuses?.find((c) => c.state?.waiting)?.state.waiting.reason || p.status?.phase || 'Pending'],
    ['RESTARTS', (p) => String((p.status?.containerStatuses || []).reduce((a, c) => a + (c.restartCount || 0), 0))],
    ['AGE', (p) => age(p.metadata.creationTimestamp)],
    ['IP', (p) => p.status?.podIP || '<none>', 1],
    ['NODE', (p) => p.spec.nodeName || '<none>', 1],
    ['NOMINATED NODE', () => '<none>', 1],
    ['READINESS GATES', () => '<none>', 1],
  ],
  daemonsets: [
    ['DESIRED', (d) => d.status?.desiredNumberScheduled ?? 0],
    ['CURRENT', (d) => d.status?.currentNumberScheduled ?? 0],
    ['READY', (d) => d.status?.numberReady ?? 0],
    ['UP-TO-DATE', (d) => d.status?.updatedNumberScheduled ?? 0],
    ['AVAILABLE', (d) => d.status?.numberAvailable ?? 0],
    [
      'NODE SELECTOR',
      (d) =>
        Object.entries(d.spec.template.spec.nodeSelector || {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '<none>',
    ],
    ['AGE', (d) => age(d.metadata.creationTimestamp)],
    ['CONTAINERS', (d) => d.spec.template.spec.containers.map((c) => c.name).join(','), 1],
    ['IMAGES', (d) => d.spec.template.spec.containers.map((c) => c.image).join(','), 1],
    [
      'SELECTOR',
      (d) =>
        Object.entries(d.spec.selector?.matchLabels || {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      1,
    ],
  ],
  deployments: [
    ['READY', (d) => `${d.status?.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`],
    ['UP-TO-DATE', (d) => d.status?.updatedReplicas ?? 0],
    ['AVAILABLE', (d) => d.status?.availableReplicas ?? 0],
    ['AGE', (d) => age(d.metadata.creationTimestamp)],
  ],
  leases: [
    ['HOLDER', (l) => l.spec?.holderIdentity || ''],
    ['AGE', (l) => age(l.metadata.creationTimestamp)],
  ],
  namespaces: [
    ['STATUS', (n) => n.status?.phase || 'Active'],
    ['AGE', (n) => age(n.metadata.creationTimestamp)],
  ],
  services: [
    ['TYPE', (s) => s.spec?.type || 'ClusterIP'],
    ['CLUSTER-IP', (s) => s.spec?.clusterIP || '<none>'],
    ['EXTERNAL-IP', () => '<none>'],
    ['PORT(S)', (s) => (s.spec?.ports || []).map((p) => `${p.port}/${p.protocol || 'TCP'}`).join(',')],
    ['AGE', (s) => age(s.metadata.creationTimestamp)],
  ],
  configmaps: [
    ['DATA', (c) => Object.keys(c.data || {}).length],
    ['AGE', (c) => age(c.metadata.creationTimestamp)],
  ],
  secrets: [
    ['TYPE', (s) => s.type || 'Opaque'],
    ['DATA', (s) => Object.keys(s.data || {}).length],
    ['AGE', (s) => age(s.metadata.creationTimestamp)],
  ],
  certificatesigningrequests: [
    ['AGE', (c) => age(c.metadata.creationTimestamp)],
    ['SIGNERNAME', (c) => c.spec.signerName],
    ['REQUESTOR', (c) => c.spec.username || ''],
    ['REQUESTEDDURATION', () => '<none>'],
    ['CONDITION', (c) => [...(c.status?.conditions || []).map((x) => x.type), ...(c.status?.certificate ? ['Issued'] : [])].join(',') || 'Pending'],
  ],
};

function printTable(res, items, { wide, showNs }) {
  const cols = (COLUMNS[res.resource] || [['AGE', (o) => age(o.metadata.creationTimestamp)]]).filter((c) => wide || !c[2]);
  const head = [...(showNs ? ['NAMESPACE'] : []), 'NAME', ...cols.map((c) => c[0]), ...(truthy(flags['show-labels']) ? ['LABELS'] : [])];
  const rows = items.map((o) => [
    ...(showNs ? [o.metadata.namespace] : []),
    o.metadata.name,
    ...cols.map((c) => c[1](o)),
    ...(truthy(flags['show-labels']) ? [labelsStr(o)] : []),
  ]);
  out(table([head, ...rows], truthy(flags['no-headers'])));
}

// A subset of kubectl's JSONPath: {.a.b[0].c}, [*], and literal text between templates.
function jsonpath(tpl, obj) {
  return tpl.replace(/\{([^}]*)\}/g, (_, expr) => {
    let cur = [obj];
    const toks =
      expr
        .trim()
        .replace(/^\$/, '')
        .match(/\.[^.[\]]+|\[[^\]]*\]/g) || [];
    for (const t of toks) {
      if (t.startsWith('.')) cur = cur.map((c) => c?.[t.slice(1)]);
      else {
        const i = t.slice(1, -1).replace(/^'|'$/g, '');
        cur = i === '*' ? cur.flatMap((c) => (Array.isArray(c) ? c : c && typeof c === 'object' ? Object.values(c) : [])) : cur.map((c) => c?.[i]);
      }
    }
    return cur
      .filter((v) => v !== undefined)
      .map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
      .join(' ');
  });
}

function print(res, result, isList) {
  const o = output();
  if (o === 'json' || o === 'yaml') {
    const doc = isList ? { apiVersion: 'v1', items: result, kind: 'List', metadata: { resourceVersion: '' } } : result;
    return out(o === 'json' ? JSON.stringify(doc, null, 4) : stringify(doc).trimEnd());
  }
  if (o === 'name') return result.forEach((x) => out(`${res.kind.toLowerCase()}${res.group ? '.' + res.group : ''}/${x.metadata.name}`));
  if (o?.startsWith('jsonpath=')) return process.stdout.write(jsonpath(o.slice(9).replace(/^'|'$/g, ''), isList ? { items: result, kind: 'List' } : result));
  if (o && o !== 'wide') die(`error: unable to match a printer suitable for the output format "${o}"`);
  printTable(res, isList ? result : [result], { wide: o === 'wide', showNs: allNs() && res.namespaced });
}

// TYPE NAME..., TYPE/NAME..., or TYPE
function targets(args) {
  const ts = [];
  if (args[0] && !args[0].includes('/')) {
    for (const t of args[0].split(',')) {
      const res = byName(t);
      if (!res) die(`error: the server doesn't have a resource type "${t}"`);
      ts.push({ res, names: args.slice(1) });
    }
  } else
    for (const a of args) {
      const [t, n] = a.split('/');
      const res = byName(t);
      if (!res) die(`error: the server doesn't have a resource type "${t}"`);
      ts.push({ res, names: [n] });
    }
  return ts;
}
const qs = () => {
  const p = new URLSearchParams();
  if (flags.l || flags.selector) p.set('labelSelector', one(flags.l || flags.selector));
  if (flags['field-selector']) p.set('fieldSelector', one(flags['field-selector']));
  const s = p.toString();
  return s ? `?${s}` : '';
};

async function get(args) {
  const c = conn();
  if (flags.raw) {
    const r = await c.get(one(flags.raw));
    return out(typeof r === 'string' ? r : JSON.stringify(r));
  }
  if (!args.length) die('You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.');
  const ts = targets(args);
  let failed = false;
  for (const { res, names } of ts) {
    const base = collectionPath(res, nsFlag());
    if (names.length) {
      const got = [];
      for (const n of names) {
        try {
          got.push(await c.get(`${base}/${n}`));
        } catch (e) {
          failed = true;
          process.stderr.write(serverError(e) + '\n');
        }
      }
      const asObject = names.length === 1 && ts.length === 1 && !!output() && !['wide', 'name'].includes(output());
      if (got.length) print(res, asObject ? got[0] : got, !asObject);
    } else {
      const p = res.namespaced && allNs() ? `${res.base}/${res.resource}` : base;
      const l = await c.get(p + qs());
      if (!l.items.length && !['json', 'yaml'].includes(output())) {
        process.stderr.write(res.namespaced && !allNs() ? `No resources found in ${nsFlag()} namespace.\n` : 'No resources found\n');
        continue;
      }
      print(res, l.items, true);
    }
  }
  if (failed) process.exit(1);
}

function readManifests() {
  const docs = [];
  const recurse = truthy(flags.R) || truthy(flags.recursive);
  for (const f of all(flags.f).concat(all(flags.filename))) {
    const files =
      f === '-'
        ? ['-']
        : fs.statSync(f).isDirectory()
          ? fs
              .readdirSync(f)
              .filter((x) => /\.(ya?ml|json)$/.test(x))
              .sort()
              .map((x) => path.join(f, x))
          : [f];
    void recurse;
    for (const file of files) {
      const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
      for (const d of parseAllDocs(text)) {
        if (d.kind === 'List' || d.kind?.endsWith('List')) docs.push(...(d.items || []));
        else docs.push(d);
      }
    }
  }
  if (!docs.length) die('error: no objects passed to apply');
  return docs;
}
const LAST = 'kubectl.kubernetes.io/last-applied-configuration';

async function apply() {
  const c = conn();
  let failed = false;
  for (const d of readManifests()) {
    const res = byKind(d.apiVersion, d.kind);
    if (!res) {
      process.stderr.write(
        `error: resource mapping not found for name: "${d.metadata?.name}" namespace: "${d.metadata?.namespace || ''}" from "": no matches for kind "${d.kind}" in version "${d.apiVersion}"\nensure CRDs are installed first\n`,
      );
      failed = true;
      continue;
    }
    const ns = d.metadata.namespace || nsFlag();
    const base = collectionPath(res, ns);
    const label = `${res.kind.toLowerCase()}${res.group ? '.' + res.group : ''}/${d.metadata.name}`;
    const desired = structuredClone(d);
    desired.metadata.annotations = { ...(desired.metadata.annotations || {}) };
    const lastApplied = JSON.stringify(d);
    desired.metadata.annotations[LAST] = lastApplied + '\n';
    try {
      let cur;
      try {
        cur = await c.get(`${base}/${d.metadata.name}`);
      } catch (e) {
        if (e.status !== 404) throw e;
      }
      if (!cur) {
        await c.post(base, desired);
        out(`${label} created`);
        continue;
      }
      if (cur.metadata.annotations?.[LAST]?.trim() === lastApplied) {
        out(`${label} unchanged`);
        continue;
      }
      // Keep what the server owns (status, uid, labels set by others are replaced as in a full apply).
      const next = { ...cur, ...desired, metadata: { ...cur.metadata, ...desired.metadata, resourceVersion: cur.metadata.resourceVersion } };
      if (res.resource === 'deployments' || res.resource === 'daemonsets') next.metadata.generation = (cur.metadata.generation || 1) + 1;
      await c.put(`${base}/${d.metadata.name}`, next);
      out(`${label} configured`);
    } catch (e) {
      failed = true;
      process.stderr.write(serverError(e) + '\n');
    }
  }
  if (failed) process.exit(1);
}

async function del(args) {
  const c = conn();
  const items = [];
  if (flags.f) for (const d of readManifests()) items.push({ res: byKind(d.apiVersion, d.kind), ns: d.metadata.namespace || nsFlag(), name: d.metadata.name });
  else
    for (const { res, names } of targets(args)) {
      if (!names.length && truthy(flags.all)) {
        for (const o of (await c.get(collectionPath(res, nsFlag()) + qs())).items) items.push({ res, ns: nsFlag(), name: o.metadata.name });
      } else if (!names.length && (flags.l || flags.selector)) {
        for (const o of (await c.get(collectionPath(res, nsFlag()) + qs())).items) items.push({ res, ns: nsFlag(), name: o.metadata.name });
      } else for (const n of names) items.push({ res, ns: nsFlag(), name: n });
    }
  let failed = false;
  for (const { res, ns, name } of items) {
    try {
      await c.del(`${collectionPath(res, ns)}/${name}`);
      out(`${res.kind.toLowerCase()}${res.group ? '.' + res.group : ''} "${name}" deleted`);
    } catch (e) {
      if (e.status === 404 && truthy(flags['ignore-not-found'])) continue;
      failed = true;
      process.stderr.write(serverError(e) + '\n');
    }
  }
  if (failed) process.exit(1);
}

function parseTimeout(s, def) {
  if (!s) return def;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let m;
  while ((m = re.exec(s))) ms += +m[1] * { ms: 1, h: 3600e3, m: 60e3, s: 1e3 }[m[2]];
  return /^\d+$/.test(s) ? +s * 1000 : ms;
}

async function wait(args) {
  const c = conn();
  const f = one(flags.for);
  if (!f) die('error: --for must be specified');
  const timeout = parseTimeout(one(flags.timeout), 30000);
  const end = Date.now() + timeout;
  const objs = [];
  for (const { res, names } of targets(args)) {
    const base = collectionPath(res, nsFlag());
    if (names.length) names.forEach((n) => objs.push({ res, path: `${base}/${n}`, name: n }));
    else if (truthy(flags.all) || flags.l || flags.selector)
      for (const o of (await c.get(base + qs())).items) objs.push({ res, path: `${base}/${o.metadata.name}`, name: o.metadata.name });
  }
  if (!objs.length) die('error: no matching resources found');
  let m;
  const check = (o) => {
    if ((m = /^condition=([^=]+)(?:=(.*))?$/.exec(f))) {
      const cd = o.status?.conditions?.find((x) => x.type.toLowerCase() === m[1].toLowerCase());
      return cd && cd.status.toLowerCase() === (m[2] || 'true').toLowerCase();
    }
    if ((m = /^jsonpath=(.*?)=(.*)$/.exec(f))) return jsonpath(m[1].replace(/^'|'$/g, ''), o) === m[2];
    if (f !== 'delete') die(`error: unrecognized condition: "${f}"`);
    return false;
  };
  for (const o of objs) {
    const label = `${o.res.kind.toLowerCase()}${o.res.group ? '.' + o.res.group : ''}/${o.name}`;
    for (;;) {
      let obj;
      try {
        obj = await c.get(o.path);
      } catch (e) {
        if (e.status === 404 && f === 'delete') {
          out(`${label} condition met`);
          break;
        }
        if (e.status === 404) {
          process.stderr.write(serverError(e) + '\n');
          process.exit(1);
        }
      }
      if (obj && check(obj)) {
        out(`${label} condition met`);
        break;
      }
      if (Date.now() > end) {
        process.stderr.write(`error: timed out waiting for the condition on ${o.res.resource}/${o.name}\n`);
        process.exit(1);
      }
      await sleep(500);
    }
  }
}

async function label(args) {
  const c = conn();
  const [t, ...rest] = args;
  const tg = targets(t.includes('/') ? [t] : [t, rest.shift()])[0];
  const labels = {};
  for (const kv of rest) {
    if (kv.endsWith('-')) labels[kv.slice(0, -1)] = null;
    else {
      const [k, v = ''] = kv.split('=');
      labels[k] = v;
    }
  }
  const p = `${collectionPath(tg.res, nsFlag())}/${tg.names[0]}`;
  const cur = await c.get(p);
  for (const [k, v] of Object.entries(labels))
    if (v !== null && cur.metadata.labels?.[k] !== undefined && cur.metadata.labels[k] !== v && !truthy(flags.overwrite))
      die(`error: '${k}' already has a value (${cur.metadata.labels[k]}), and --overwrite is false`);
  await c.patch(p, { metadata: { labels } });
  out(`${tg.res.kind.toLowerCase()}/${tg.names[0]} labeled`);
}

// `k=v` (a value may hold `=`), or `k-` to remove.
function keyValues(rest) {
  const out = {};
  for (const kv of rest) {
    if (kv.endsWith('-') && !kv.includes('=')) {
      out[kv.slice(0, -1)] = null;
      continue;
    }
    const i = kv.indexOf('=');
    if (i <= 0) die(`error: invalid annotation format: ${kv}`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

async function annotate(args) {
  const c = conn();
  const [t, ...rest] = args;
  if (!t) die('error: You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.');
  const tg = targets(t.includes('/') ? [t] : [t, rest.shift()])[0];
  const annotations = keyValues(rest);
  if (!Object.keys(annotations).length) die('error: at least one annotation update is required');
  const p = `${collectionPath(tg.res, nsFlag())}/${tg.names[0]}`;
  const cur = await c.get(p);
  const clash = Object.entries(annotations).filter(([k, v]) => v !== null && cur.metadata.annotations?.[k] !== undefined && cur.metadata.annotations[k] !== v);
  if (clash.length && !truthy(flags.overwrite)) {
    die(
      `error: --overwrite is false but found the following declared annotation(s): ${clash.map(([k]) => `'${k}' already has a value (${cur.metadata.annotations[k]})`).join(', ')}`,
    );
  }
  await c.patch(p, { metadata: { annotations } });
  out(`${tg.res.kind.toLowerCase()}/${tg.names[0]} annotated`);
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

// `key[=value]:Effect` to add, `key[:Effect]-` to remove (as kubectl taint).
function parseTaint(spec) {
  const remove = spec.endsWith('-');
  const body = remove ? spec.slice(0, -1) : spec;
  const colon = body.lastIndexOf(':');
  const kv = colon >= 0 ? body.slice(0, colon) : body;
  const effect = colon >= 0 ? body.slice(colon + 1) : undefined;
  const eq = kv.indexOf('=');
  const key = eq >= 0 ? kv.slice(0, eq) : kv;
  const value = eq >= 0 ? kv.slice(eq + 1) : undefined;
  if (!key || (!remove && effect === undefined) || (effect !== undefined && !TAINT_EFFECTS.includes(effect))) {
    die(
      `error: invalid taint spec: ${spec}, ${effect !== undefined && !TAINT_EFFECTS.includes(effect) ? `invalid taint effect: ${effect}, unsupported taint effect` : 'unknown taint spec'}`,
    );
  }
  return { remove, key, effect, ...(value !== undefined && value !== '' ? { value } : {}) };
}

async function taint(args) {
  const c = conn();
  const [t, ...rest] = args;
  if (!t) die('error: at least one taint update is required');
  const tg = targets(t.includes('/') ? [t] : [t, rest.shift()])[0];
  if (tg.res.kind !== 'Node') die(`error: invalid resource type ${tg.res.kind.toLowerCase()}, only node types are supported`);
  if (!rest.length) die('error: at least one taint update is required');
  const name = tg.names[0];
  const p = `/api/v1/nodes/${name}`;
  const cur = await c.get(p);
  let taints = [...(cur.spec?.taints || [])];
  const specs = rest.map(parseTaint);
  for (const s of specs.filter((x) => !x.remove)) {
    const same = taints.find((x) => x.key === s.key && x.effect === s.effect);
    if (same && !truthy(flags.overwrite) && (same.value || '') !== (s.value || '')) {
      die(`error: node ${name} already has ${s.key} taint(s) with same effect(s) and --overwrite is false`);
    }
    taints = taints.filter((x) => !(x.key === s.key && x.effect === s.effect));
    taints.push({
      key: s.key,
      ...(s.value !== undefined ? { value: s.value } : {}),
      effect: s.effect,
      ...(s.effect === 'NoExecute' ? { timeAdded: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
    });
  }
  for (const s of specs.filter((x) => x.remove)) {
    const keep = taints.filter((x) => !(x.key === s.key && (s.effect === undefined || x.effect === s.effect)));
    if (keep.length === taints.length) die(`error: taint ${JSON.stringify(s.effect !== undefined ? `${s.key}:${s.effect}` : s.key)} not found`);
    taints = keep;
  }
  await c.patch(p, { spec: { taints } });
  out(`node/${name} ${specs.every((x) => x.remove) ? 'untainted' : 'tainted'}`);
}

async function cordon(name, on) {
  const c = conn();
  await c.patch(`/api/v1/nodes/${name}`, { spec: { unschedulable: on ? true : null } });
  out(`node/${name} ${on ? 'cordoned' : 'uncordoned'}`);
}

async function drain(name) {
  const c = conn();
  await cordon(name, true);
  const pods = (await c.get(`/api/v1/pods?fieldSelector=spec.nodeName=${name}`)).items;
  const ds = pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'DaemonSet'));
  if (ds.length && !truthy(flags['ignore-daemonsets']))
    die(
      `error: unable to drain node "${name}" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${ds.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`,
    );
  if (ds.length) out(`Warning: ignoring DaemonSet-managed Pods: ${ds.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`);
  for (const p of pods) {
    if (ds.includes(p) || p.metadata.annotations?.['kubernetes.io/config.mirror']) continue;
    out(`evicting pod ${p.metadata.namespace}/${p.metadata.name}`);
    await c.del(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`).catch(() => {});
    out(`pod/${p.metadata.name} evicted`);
  }
  out(`node/${name} drained`);
}

async function version() {
  const client = {
    major: V.major,
    minor: V.minor,
    gitVersion: V.gitVersion,
    gitCommit: V.gitCommit,
    gitTreeState: V.gitTreeState,
    buildDate: V.buildDate,
    goVersion: V.goVersion,
    compiler: V.compiler,
    platform: V.platform,
  };
  let server;
  if (!truthy(flags.client)) {
    try {
      server = await conn().get('/version');
    } catch (e) {
      if (!output()) {
        out(`Client Version: ${V.gitVersion}\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3`);
        die(serverError(e));
      }
    }
  }
  const doc = { clientVersion: client, kustomizeVersion: 'v5.0.4-0.20230601165947-6ce0bf390ce3', ...(server ? { serverVersion: server } : {}) };
  if (output() === 'json') return out(JSON.stringify(doc, null, 2));
  if (output() === 'yaml') return out(stringify(doc).trimEnd());
  out(`Client Version: ${V.gitVersion}\nKustomize Version: ${doc.kustomizeVersion}`);
  if (server) out(`Server Version: ${server.gitVersion}`);
}

async function clusterInfo() {
  const c = conn();
  await c.get('/api/v1/namespaces/default/services/kubernetes');
  out(`Kubernetes control plane is running at ${kc.server}`);
  out("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
}

const cmd = pos.shift();
(async () => {
  switch (cmd) {
    case 'get':
      return get(pos);
    case 'apply':
      return apply();
    case 'delete':
      return del(pos);
    case 'wait':
      return wait(pos);
    case 'label':
      return label(pos);
    case 'annotate':
      return annotate(pos);
    case 'taint':
      return taint(pos);
    case 'cordon':
      return cordon(pos[0], true);
    case 'uncordon':
      return cordon(pos[0], false);
    case 'drain':
      return drain(pos[0]);
    case 'version':
      return version();
    case 'cluster-info':
      return clusterInfo();
    case undefined:
      return out(
        'kubectl controls the Kubernetes cluster manager.\n\nBasic Commands: get apply delete wait label annotate taint cordon uncordon drain version cluster-info',
      );
    default:
      die(`error: unknown command "${cmd}" for "kubectl"`);
  }
})().catch((e) => die(e.status || e.code ? serverError(e) : `error: ${e.message}`));
