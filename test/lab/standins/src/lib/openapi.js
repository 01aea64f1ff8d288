// OpenAPI v3 as upstream publishes it: /openapi/v3 lists one document per group-version
// (`serverRelativeURL` with a content hash), and each document lists the resources' paths and
// operations. kubectl reads two things there: whether a kind's PATCH takes the `fieldValidation`
// query parameter (then it leaves validation to the server instead of validating client-side),
// and whether it takes strategic merge patches. The stand-in publishes the operations with those
// parameters and content types but no component schemas tagged with a kind, so kubectl computes
// strategic merge patches from its own compiled-in types (its documented fallback), exactly as
// it does for built-in kinds whose schema it cannot find.
import crypto from 'node:crypto';
import { RESOURCES } from './resources.js';

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const QUERY = (name) => ({ name, in: 'query', description: '', schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map(QUERY);
const ok = { 200: { description: 'OK' } };

export function groupVersionPath(r) {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

function operations(r) {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const op = (verb, action, extra = {}) => ({
    operationId: `${verb}${r.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    responses: ok,
    ...extra,
  });
  const collection = `/${groupVersionPath(r)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
  const paths = {};
  if (r.ephemeral) {
    paths[collection] = { post: op('create', 'post', { parameters: WRITE_PARAMS }) };
    return paths;
  }
  paths[collection] = {
    get: op('list', 'list', { parameters: ['labelSelector', 'fieldSelector', 'watch', 'resourceVersion', 'limit'].map(QUERY) }),
    post: op('create', 'post', { parameters: WRITE_PARAMS, requestBody: { content: { '*/*': { schema: {} } }, required: true } }),
  };
  const item = {
    get: op('read', 'get'),
    put: op('replace', 'put', { parameters: WRITE_PARAMS, requestBody: { content: { '*/*': { schema: {} } }, required: true } }),
    patch: op('patch', 'patch', {
      parameters: [...WRITE_PARAMS, QUERY('force')],
      requestBody: { content: Object.fromEntries(PATCH_TYPES.map((t) => [t, { schema: {} }])), required: true },
    }),
    delete: op('delete', 'delete', { parameters: ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'].map(QUERY) }),
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }],
  };
  paths[`${collection}/{name}`] = item;
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
    components: { schemas: {} },
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
