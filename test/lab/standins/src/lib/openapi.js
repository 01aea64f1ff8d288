// OpenAPI v3 as upstream publishes it: /openapi/v3 lists one document per group-version
// (`serverRelativeURL` with a content hash), and each document lists the resources' paths and
// operations. kubectl reads two things there: whether a kind's PATCH takes the `fieldValidation`
// query parameter (then it leaves validation to the server instead of validating client-side),
// and whether it takes strategic merge patches; and each kind's component schema (tagged with
// `x-kubernetes-group-version-kind`), from which it computes strategic merge patches (the
// `x-kubernetes-patch-*` extensions) and `kubectl explain` answers. The schemas are schemas.js's
// data, as deep as the stand-in models them: a field modelled no deeper is a free-form object.
import crypto from 'node:crypto';
import { RESOURCES } from './resources.js';
import { DESCRIPTIONS, TYPES, componentName, typeOfKind } from './schemas.js';

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const QUERY = (name) => ({ name, in: 'query', description: '', schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map(QUERY);
const ok = { 200: { description: 'OK' } };

export function groupVersionPath(r) {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

const REF = (type) => ({ $ref: `#/components/schemas/${componentName(type)}` });
const EXTENSIONS = {
  strategy: 'x-kubernetes-patch-strategy',
  key: 'x-kubernetes-patch-merge-key',
  listType: 'x-kubernetes-list-type',
  keys: 'x-kubernetes-list-map-keys',
};
const tagged = (schema, tags) => {
  for (const [k, v] of Object.entries(tags)) if (k !== 'of') schema[EXTENSIONS[k]] = v;
  return schema;
};

function kindSchema(of) {
  if (TYPES[of]) return { allOf: [REF(of)], default: {} };
  switch (of) {
    case 'string':
      return { type: 'string' };
    case 'integer':
      return { type: 'integer', format: 'int64' };
    case 'boolean':
      return { type: 'boolean' };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'int-or-string':
      return { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
    case 'map':
      return { type: 'object', additionalProperties: { type: 'string', default: '' } };
    default:
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
}

function fieldSchema(type, name, f) {
  const description = DESCRIPTIONS[`${type}.${name}`];
  const schema = Array.isArray(f)
    ? tagged({ type: 'array', items: kindSchema(f[0]) }, f[1])
    : typeof f === 'object'
      ? tagged(kindSchema(f.of), f)
      : kindSchema(f);
  return description ? { description, ...schema } : schema;
}

/** The component schema of one type, as upstream publishes it. */
export function componentSchema(type) {
  const t = TYPES[type];
  return {
    ...(DESCRIPTIONS[type] ? { description: DESCRIPTIONS[type] } : {}),
    type: 'object',
    properties: Object.fromEntries(Object.entries(t.props).map(([name, f]) => [name, fieldSchema(type, name, f)])),
    ...(t.open ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
    ...(t.gvk ? { 'x-kubernetes-group-version-kind': [{ group: t.gvk[0], version: t.gvk[1], kind: t.gvk[2] }] } : {}),
  };
}

/** The component schemas of `types` and of every type they refer to. */
function components(types) {
  const seen = new Set();
  const visit = (type) => {
    if (seen.has(type) || !TYPES[type]) return;
    seen.add(type);
    for (const f of Object.values(TYPES[type].props)) visit(Array.isArray(f) ? f[0] : typeof f === 'object' ? f.of : f);
  };
  types.forEach(visit);
  return Object.fromEntries([...seen].sort().map((t) => [componentName(t), componentSchema(t)]));
}

const body = (type) => ({ content: { '*/*': { schema: type ? REF(type) : {} } }, required: true });

function operations(r) {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const op = (verb, action, extra = {}) => ({
    operationId: `${verb}${r.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: ok,
    ...extra,
  });
  const type = typeOfKind(r.group, r.version, r.kind);
  const collection = `/${groupVersionPath(r)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
  const paths = {};
  if (r.ephemeral) {
    paths[collection] = { post: op('create', 'post', { parameters: WRITE_PARAMS, requestBody: body(type) }) };
    return paths;
  }
  paths[collection] = {
    get: op('list', 'list', { parameters: ['labelSelector', 'fieldSelector', 'watch', 'resourceVersion', 'limit'].map(QUERY) }),
    post: op('create', 'post', { parameters: WRITE_PARAMS, requestBody: body(type) }),
  };
  const item = {
    get: op('read', 'get'),
    put: op('replace', 'put', { parameters: WRITE_PARAMS, requestBody: body(type) }),
    patch: op('patch', 'patch', {
      parameters: [...WRITE_PARAMS, QUERY('force')],
      requestBody: { content: Object.fromEntries(PATCH_TYPES.map((t) => [t, { schema: {} }])), required: true },
    }),
    delete: op('delete', 'delete', { parameters: ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'].map(QUERY) }),
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }],
  };
  paths[`${collection}/{name}`] = item;
  if (r.subresources.includes('eviction'))
    paths[`${collection}/{name}/eviction`] = {
      post: {
        ...op('create', 'post', { parameters: WRITE_PARAMS, requestBody: body('policy.v1.Eviction') }),
        operationId: `create${r.kind}Eviction`,
        'x-kubernetes-group-version-kind': { group: 'policy', version: 'v1', kind: 'Eviction' },
      },
      parameters: item.parameters,
    };
  return paths;
}

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`), or undefined. */
export function openapiDocument(gvPath) {
  const rs = RESOURCES.filter((r) => groupVersionPath(r) === gvPath);
  if (!rs.length) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: Object.assign({}, ...rs.map(operations)),
    components: {
      schemas: components([
        ...rs.map((r) => typeOfKind(r.group, r.version, r.kind)),
        ...(rs.some((r) => r.subresources.includes('eviction')) ? ['policy.v1.Eviction'] : []),
      ]),
    },
  };
}

function hashOf(doc) {
  return crypto.createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
}

/** /openapi/v3: each group-version's document and its hash. */
export function openapiIndex() {
  const paths = {};
  for (const gv of [...new Set(RESOURCES.map(groupVersionPath))]) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hashOf(openapiDocument(gv))}` };
  return { paths };
}
