// Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded to the JSON
// form of the object. client-go's typed clients send protobuf for built-in types (kubectl's
// `create namespace`, drain's evictions and deletions, `auth can-i`), so the stand-in reads the
// messages those commands send; it always answers in JSON, which the clients accept too.
// Envelope: the magic `k8s\0`, then runtime.Unknown {typeMeta=1 {apiVersion=1, kind=2}, raw=2,
// contentEncoding=3, contentType=4}; raw is the object's own message. Field numbers are those of
// the `protobuf:"..."` tags of the Go types in k8s.io/api and k8s.io/apimachinery.

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

// One message type: field number → [json name, kind, message type | undefined, repeated].
// Kinds: string, bytes, varint (integers), bool, msg, map (string → string), time (meta/v1 Time).
const str = (name, rep = false) => [name, 'string', undefined, rep];
const msg = (name, type, rep = false) => [name, 'msg', type, rep];
export const TYPES = {
  Unknown: { 1: msg('typeMeta', 'TypeMeta'), 2: ['raw', 'bytes'], 3: str('contentEncoding'), 4: str('contentType') },
  TypeMeta: { 1: str('apiVersion'), 2: str('kind') },
  Time: { 1: ['seconds', 'varint'], 2: ['nanos', 'varint'] },
  ObjectMeta: {
    1: str('name'),
    2: str('generateName'),
    3: str('namespace'),
    5: str('uid'),
    6: str('resourceVersion'),
    7: ['generation', 'varint'],
    8: ['creationTimestamp', 'time'],
    9: ['deletionTimestamp', 'time'],
    10: ['deletionGracePeriodSeconds', 'varint'],
    11: ['labels', 'map'],
    12: ['annotations', 'map'],
    13: msg('ownerReferences', 'OwnerReference', true),
    14: str('finalizers', true),
  },
  OwnerReference: { 1: str('kind'), 3: str('name'), 4: str('uid'), 5: str('apiVersion'), 6: ['controller', 'bool'], 7: ['blockOwnerDeletion', 'bool'] },
  Namespace: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'NamespaceSpec'), 3: msg('status', 'NamespaceStatus') },
  NamespaceSpec: { 1: str('finalizers', true) },
  NamespaceStatus: { 1: str('phase') },
  ConfigMap: { 1: msg('metadata', 'ObjectMeta'), 2: ['data', 'map'], 4: ['immutable', 'bool'] },
  DeleteOptions: {
    1: ['gracePeriodSeconds', 'varint'],
    2: msg('preconditions', 'Preconditions'),
    3: ['orphanDependents', 'bool'],
    4: str('propagationPolicy'),
    5: str('dryRun', true),
    6: ['ignoreStoreReadErrorWithClusterBreakingPotential', 'bool'],
  },
  Preconditions: { 1: str('uid'), 2: str('resourceVersion') },
  Eviction: { 1: msg('metadata', 'ObjectMeta'), 2: msg('deleteOptions', 'DeleteOptions') },
  SelfSubjectAccessReview: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'SelfSubjectAccessReviewSpec') },
  SelfSubjectAccessReviewSpec: { 1: msg('resourceAttributes', 'ResourceAttributes'), 2: msg('nonResourceAttributes', 'NonResourceAttributes') },
  ResourceAttributes: { 1: str('namespace'), 2: str('verb'), 3: str('group'), 4: str('version'), 5: str('resource'), 6: str('subresource'), 7: str('name') },
  NonResourceAttributes: { 1: str('path'), 2: str('verb') },
  SelfSubjectRulesReview: { 1: msg('metadata', 'ObjectMeta'), 2: msg('spec', 'SelfSubjectRulesReviewSpec') },
  SelfSubjectRulesReviewSpec: { 1: str('namespace') },
};
// kind (from the envelope) → message type; anything else is refused with the type named.
const KINDS = {
  Namespace: 'Namespace',
  ConfigMap: 'ConfigMap',
  DeleteOptions: 'DeleteOptions',
  Eviction: 'Eviction',
  SelfSubjectAccessReview: 'SelfSubjectAccessReview',
  SelfSubjectRulesReview: 'SelfSubjectRulesReview',
};

function varint(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
  }
}

/** The raw fields of one message: [{ field, wire, value (bigint | Buffer) }]. */
export function fields(buf) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = varint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = varint(buf, pos);
      out.push({ field, wire, value: v });
    } else if (wire === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      const end = pos + Number(len);
      if (end > buf.length) throw new Error('truncated field');
      out.push({ field, wire, value: buf.subarray(pos, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ field, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ field, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** Decodes one message of `type` (a TYPES key) into its JSON form; unknown fields are dropped. */
export function decodeMessage(buf, type) {
  const desc = TYPES[type];
  const obj = {};
  for (const { field, value } of fields(buf)) {
    const d = desc[field];
    if (!d) continue;
    const [name, kind, sub, repeated] = d;
    let v;
    if (kind === 'string') v = value.toString('utf8');
    else if (kind === 'bytes') v = value;
    else if (kind === 'varint') v = Number(BigInt.asIntN(64, value));
    else if (kind === 'bool') v = value !== 0n;
    else if (kind === 'msg') v = decodeMessage(value, sub);
    else if (kind === 'time') {
      const t = decodeMessage(value, 'Time');
      v = t.seconds ? new Date(t.seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : undefined;
    } else if (kind === 'map') {
      const entry = {};
      for (const f of fields(value)) entry[f.field] = f.value.toString('utf8');
      obj[name] = { ...(obj[name] || {}), [entry[1] ?? '']: entry[2] ?? '' };
      continue;
    }
    if (repeated) (obj[name] ||= []).push(v);
    // Go's protobuf encodes empty scalars; their JSON form omits them (omitempty).
    else if (v !== '' && v !== 0 && v !== false && v !== undefined) obj[name] = v;
  }
  return obj;
}

/** A protobuf request body → its JSON object (apiVersion and kind from the envelope). */
export function decodeObject(body) {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new Error('missing the k8s protobuf prefix');
  const unknown = decodeMessage(body.subarray(4), 'Unknown');
  const kind = unknown.typeMeta?.kind;
  const type = KINDS[kind];
  if (!type) throw new Error(`no protobuf decoding for kind ${JSON.stringify(kind ?? '')} in the lab stand-in`);
  const obj = decodeMessage(unknown.raw ?? Buffer.alloc(0), type);
  return { apiVersion: unknown.typeMeta.apiVersion, kind, ...obj };
}

// ---- encoding, for tests (what client-go sends) ----
function encVarint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const tag = (field, wire) => encVarint((field << 3) | wire);
const lenField = (field, buf) => Buffer.concat([tag(field, 2), encVarint(buf.length), buf]);

/** Encodes a JSON object of `type` (the inverse of decodeMessage). */
export function encodeMessage(obj, type) {
  const desc = TYPES[type];
  const parts = [];
  for (const [num, [name, kind, sub, repeated]] of Object.entries(desc).sort((a, b) => a[0] - b[0])) {
    const field = Number(num);
    if (obj[name] === undefined) continue;
    const values = repeated ? obj[name] : [obj[name]];
    if (kind === 'map') {
      for (const [k, v] of Object.entries(obj[name])) parts.push(lenField(field, Buffer.concat([lenField(1, Buffer.from(k)), lenField(2, Buffer.from(v))])));
      continue;
    }
    for (const v of values) {
      if (kind === 'string') parts.push(lenField(field, Buffer.from(v)));
      else if (kind === 'bytes') parts.push(lenField(field, v));
      else if (kind === 'varint') parts.push(tag(field, 0), encVarint(BigInt.asUintN(64, BigInt(v))));
      else if (kind === 'bool') parts.push(tag(field, 0), encVarint(v ? 1 : 0));
      else if (kind === 'msg') parts.push(lenField(field, encodeMessage(v, sub)));
      else if (kind === 'time') parts.push(lenField(field, encodeMessage({ seconds: Math.floor(Date.parse(v) / 1000) }, 'Time')));
    }
  }
  return Buffer.concat(parts);
}

export function encodeObject(obj) {
  const { apiVersion, kind, ...rest } = obj;
  const raw = encodeMessage(rest, KINDS[kind]);
  return Buffer.concat([MAGIC, encodeMessage({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }, 'Unknown')]);
}
