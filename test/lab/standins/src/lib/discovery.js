// API discovery as upstream serves it: the legacy documents (/api, /apis, /api/v1 and each
// group-version's APIResourceList) and aggregated discovery (apidiscovery.k8s.io/v2
// APIGroupDiscoveryList), which clients ask for by Accept header and recognise by Content-Type.
import { RESOURCES } from './resources.js';

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

const singular = (r) => r.kind.toLowerCase();
const SUB_VERBS = { status: ['get', 'patch', 'update'], approval: ['get', 'patch', 'update'], binding: ['create'], eviction: ['create'], finalize: ['update'] };
const SUB_KIND = { binding: ['', 'v1', 'Binding'], eviction: ['policy', 'v1', 'Eviction'] };

/** The named groups in order of first appearance (the core group is /api's). */
export function groups() {
  return [...new Set(RESOURCES.filter((r) => r.group).map((r) => r.group))];
}

export function apiVersions() {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] };
}

export function apiGroupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups().map((g) => ({
      name: g,
      versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
    })),
  };
}

/** The APIResourceList of one group-version, or undefined when it is not served. */
export function resourceList(group, version) {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (!rs.length) return undefined;
  const resources = [];
  for (const r of rs) {
    resources.push({
      name: r.resource,
      singularName: singular(r),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const sub of r.subresources) {
      const [g, v, kind] = SUB_KIND[sub] ?? [undefined, undefined, r.kind];
      resources.push({
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(g !== undefined ? { group: g, version: v } : {}),
        kind,
        verbs: SUB_VERBS[sub],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function discoveryResource(r) {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: singular(r),
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? {
          subresources: r.subresources.map((sub) => {
            const [g, v, kind] = SUB_KIND[sub] ?? [r.group, r.version, r.kind];
            return { subresource: sub, responseKind: { group: g, version: v, kind }, verbs: SUB_VERBS[sub] };
          }),
        }
      : {}),
  };
}

/** Aggregated discovery of /api (`core`) or /apis, in the apiVersion the client asked for. */
export function aggregated(which, apiVersion = 'apidiscovery.k8s.io/v2') {
  const names = which === 'core' ? [''] : groups();
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion,
    metadata: {},
    items: names.map((g) => ({
      metadata: g ? { name: g } : {},
      versions: [{ version: 'v1', resources: RESOURCES.filter((r) => r.group === g).map(discoveryResource), freshness: 'Current' }],
    })),
  };
}

/**
 * Which discovery form an Accept header asks for: v2, else v2beta1, else the legacy document
 * (a client that lists none of the aggregated types, or lists JSON first, gets the legacy form).
 */
export function negotiateDiscovery(accept) {
  for (const part of String(accept ?? '').split(',')) {
    const t = part.trim().replace(/\s+/g, '');
    if (/^application\/json;/.test(t) && /(^|;)as=APIGroupDiscoveryList(;|$)/.test(t) && /(^|;)g=apidiscovery\.k8s\.io(;|$)/.test(t)) {
      if (/(^|;)v=v2(;|$)/.test(t)) return 'v2';
      if (/(^|;)v=v2beta1(;|$)/.test(t)) return 'v2beta1';
    }
    if (/^application\/json$|^\*\/\*$|^application\/\*$/.test(t)) return 'legacy';
  }
  return 'legacy';
}
