// The three patch types of the API: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
// strategic merge patch, whose list semantics come from the Go types' patch tags
// (`patchStrategy:"merge" patchMergeKey:"..."`), published in the OpenAPI schemas (schemas.js).
import { fieldOf } from './schemas.js';

const field = (type, name) => {
  const f = type && fieldOf(type, name);
  return f ? { ...f, name } : undefined;
};

export class PatchError extends Error {}

// RFC 7386 JSON merge patch.
export function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---- RFC 6902 JSON patch ----
function pointer(path) {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
function parentOf(doc, parts, op) {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(p)] : cur?.[p];
    if (cur === undefined || cur === null || typeof cur !== 'object')
      throw new PatchError(`${op} operation does not apply: doc is missing path: ${parts.join('/')}`);
  }
  return cur;
}
function getAt(doc, path) {
  let cur = doc;
  for (const p of pointer(path)) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) throw new PatchError(`doc is missing path: "${path}"`);
    cur = Array.isArray(cur) ? cur[Number(p)] : cur[p];
  }
  return cur;
}
function removeAt(doc, path) {
  const parts = pointer(path);
  const parent = parentOf(doc, parts, 'remove');
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}"`);
    return parent.splice(i, 1)[0];
  }
  if (!(last in parent)) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}"`);
  const v = parent[last];
  delete parent[last];
  return v;
}
function addAt(doc, path, value, op = 'add') {
  const parts = pointer(path);
  if (!parts.length) return value;
  const parent = parentOf(doc, parts, op);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length)) throw new PatchError(`${op} operation does not apply: index out of bounds: ${last}`);
    if (op === 'replace') parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (op === 'replace' && !(last in parent)) throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`);
    parent[last] = value;
  }
  return doc;
}
export function jsonPatch(target, ops) {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const o of ops) {
    switch (o.op) {
      case 'add':
        doc = addAt(doc, o.path, structuredClone(o.value));
        break;
      case 'remove':
        removeAt(doc, o.path);
        break;
      case 'replace':
        doc = addAt(doc, o.path, structuredClone(o.value), 'replace');
        break;
      case 'move': {
        const v = removeAt(doc, o.from);
        doc = addAt(doc, o.path, v);
        break;
      }
      case 'copy':
        doc = addAt(doc, o.path, structuredClone(getAt(doc, o.from)));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, o.path)) !== JSON.stringify(o.value)) throw new PatchError(`testing value ${o.path} failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}

// ---- strategic merge patch ----
// List semantics come from the type's schema (schemas.js: upstream's patch tags): a list with a
// merge key merges by it, a list of scalars with strategy merge merges as a set, any other list
// (and every list below a field the schema does not model) is replaced whole, as an atomic list is.
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const strategies = (f) => (f?.tags.strategy ?? '').split(',');

function smpList(cur, patch, f, orderKeys, deleteScalars) {
  const key = f?.tags.key;
  const path = f?.name ?? 'list';
  if (key && strategies(f).includes('merge')) {
    const out = Array.isArray(cur) ? cur.map((x) => x) : [];
    for (const item of patch) {
      if (!isObj(item)) throw new PatchError(`${path}: a merging list needs objects`);
      const k = item[key];
      const i = out.findIndex((x) => isObj(x) && x[key] === k);
      if (item.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      if (item.$patch === 'replace') throw new PatchError(`${path}: $patch: replace inside a list item is not supported`);
      if (i >= 0) out[i] = smpMap(out[i], item, f.of);
      else out.push(smpMap({}, item, f.of));
    }
    if (orderKeys) out.sort((a, b) => orderIndex(orderKeys, a[key]) - orderIndex(orderKeys, b[key]));
    return out;
  }
  if (strategies(f).includes('merge')) {
    const out = Array.isArray(cur) ? cur.filter((x) => !(deleteScalars || []).includes(x)) : [];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  return patch.map((v) => (isObj(v) ? stripDirectives(v) : v));
}
function orderIndex(order, k) {
  const i = order.findIndex((o) => (isObj(o) ? Object.values(o)[0] : o) === k);
  return i < 0 ? order.length : i;
}
function stripDirectives(v) {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out = {};
  for (const [k, x] of Object.entries(v))
    if (!k.startsWith('$') && !k.startsWith('$setElementOrder/') && !k.startsWith('$deleteFromPrimitiveList/')) out[k] = stripDirectives(x);
  return out;
}

function smpMap(cur, patch, type) {
  if (patch.$patch === 'replace') {
    return stripDirectives(patch);
  }
  if (patch.$patch === 'delete') return undefined;
  let out = isObj(cur) ? { ...cur } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && !(field in patch)) out[field] = out[field].filter((x) => !v.includes(x));
      continue;
    }
    const f = field(type, k);
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = smpList(out[k], v, f, patch[`$setElementOrder/${k}`], patch[`$deleteFromPrimitiveList/${k}`]);
    else if (isObj(v)) {
      const m = smpMap(out[k], v, f?.of);
      if (m === undefined) delete out[k];
      else out[k] = m;
    } else out[k] = v;
  }
  // An order directive without its list: only the order of the existing items changed.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/')) continue;
    const name = k.slice('$setElementOrder/'.length);
    const key = field(type, name)?.tags.key;
    if (!(name in patch) && key && Array.isArray(out[name]) && Array.isArray(order))
      out[name] = [...out[name]].sort((a, b) => orderIndex(order, a?.[key]) - orderIndex(order, b?.[key]));
  }
  return out;
}

/**
 * Applies a strategic merge patch to `target`, an API object of schema type `type` (schemas.js);
 * a kind without a schema still has upstream's ObjectMeta.
 */
export function strategicMergePatch(target, patch, type = 'meta.v1.PartialObjectMetadata') {
  if (!isObj(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  return smpMap(target, patch, type);
}
