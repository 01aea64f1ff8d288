// cni: the pod network, applied through the API server from the first control-plane host with
// `kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f`.
//
// What hactl applied is recorded on that host, and only once the apply succeeded: the candidate is
// written beside the record, applied, and moved into place (converge's validate step), so a
// failed apply leaves the old record and the next plan applies again.
// - `plugin: manifest`: the spec's local file, recorded as /etc/kubernetes/hactl/cni.yaml.
// - calico, flannel: the project's published manifest for the version, fetched by kubectl on the
//   host (it needs that URL, or a mirror of it, to be reachable); the URL is the record,
//   /etc/kubernetes/hactl/cni.url. hactl ships no copies of these manifests.
// - with `packages.bundle`, calico and flannel come from the bundle's copy of that manifest
//   (`hactl bundle` fetched it), applied and recorded like a `plugin: manifest` file.
// - `plugin: unmanaged`: the pod network of an adopted cluster, left alone (no record, no apply).
// - cilium publishes no plain manifest (helm or cilium-cli): an error asking for `plugin: manifest`.
// With cluster facts, the manifest's DaemonSets are compared with the cluster: one that is missing
// or runs other images is applied again.

import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { bundledCniManifest } from './bundle-format.js';
import type { ClusterFacts } from '../facts/cluster.js';
import { resourceId } from '../graph/types.js';
import { attr } from './diff.js';
import { shellQuote } from '../transport/quote.js';
import type { CommandOperation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import { KUBECTL } from './kubeadm-config.js';
import type { ClusterSpec } from '../spec/types.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const CNI_DIR = '/etc/kubernetes/hactl';
export const CNI_MANIFEST = `${CNI_DIR}/cni.yaml`;
export const CNI_URL = `${CNI_DIR}/cni.url`;

/** Published single-file manifests, and the DaemonSet each one runs. */
export const CNI_SOURCES = {
  calico: {
    url: (v: string) => `https://raw.githubusercontent.com/projectcalico/calico/v${v}/manifests/calico.yaml`,
    daemonset: { namespace: 'kube-system', name: 'calico-node', image: (v: string) => `docker.io/calico/node:v${v}` },
  },
  flannel: {
    url: (v: string) => `https://github.com/flannel-io/flannel/releases/download/v${v}/kube-flannel.yml`,
    daemonset: { namespace: 'kube-flannel', name: 'kube-flannel-ds', image: (v: string) => `ghcr.io/flannel-io/flannel:v${v}` },
  },
} as const;

/** With packages.bundle, the bundle's local copy of the published calico or flannel manifest. */
export function bundledCniManifestPath(spec: ClusterSpec): string | undefined {
  const rel = spec.packages.bundle !== undefined ? bundledCniManifest(spec) : undefined;
  return rel !== undefined ? join(spec.packages.bundle!, rel) : undefined;
}

export interface ExpectedDaemonSet {
  namespace: string;
  name: string;
  images: string[];
}

/** The DaemonSets a manifest creates, with their containers' images (namespace defaults to `default`). */
export function manifestDaemonSets(text: string): ExpectedDaemonSet[] {
  const out: ExpectedDaemonSet[] = [];
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as {
      kind?: unknown;
      metadata?: { name?: unknown; namespace?: unknown };
      spec?: { template?: { spec?: { containers?: { image?: unknown }[] } } };
    } | null;
    if (o === null || typeof o !== 'object' || o.kind !== 'DaemonSet') continue;
    out.push({
      namespace: typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : 'default',
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a YAML scalar (a number in a hand-written manifest), shown as written
      name: String(o.metadata?.name ?? ''),
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- as above
      images: (o.spec?.template?.spec?.containers ?? []).map((c) => String(c.image ?? '')),
    });
  }
  return out;
}

/** Why each expected DaemonSet does not match the cluster; empty when all do. */
export function daemonSetDrift(expected: ExpectedDaemonSet[], cluster: ClusterFacts): string[] {
  const out: string[] = [];
  for (const e of expected) {
    const got = cluster.daemonsets.find((d) => d.namespace === e.namespace && d.name === e.name);
    if (got === undefined) out.push(`DaemonSet ${e.namespace}/${e.name} is missing`);
    else if (e.images.some((i) => !got.images.includes(i)))
      out.push(`DaemonSet ${e.namespace}/${e.name} runs ${got.images.join(', ') || 'no image'}, wanted ${e.images.join(', ')}`);
  }
  return out;
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const { spec } = ctx;
  const at = { resource: ctx.node.id, host: ctx.host.name };
  const cni = spec.cni;
  // Installed by other means (an adopted cluster): nothing to apply, record or compare.
  if (cni.plugin === 'unmanaged') return d;
  const init = resourceId('kubeadm-init', ctx.placement.firstControlPlane.name);
  let expected: ExpectedDaemonSet[];
  let record: string;
  let applyRecorded: string;
  const file = cni.plugin === 'manifest' ? cni.manifest : bundledCniManifestPath(spec);
  if (cni.plugin === 'manifest' || file !== undefined) {
    const text = file !== undefined ? ctx.localFiles.get(file) : undefined;
    if (text === undefined) {
      d.diagnostics.push({ severity: 'error', ...at, message: `CNI manifest ${file ?? '(cni.manifest not set)'} was not read` });
      return d;
    }
    try {
      expected = manifestDaemonSets(text);
    } catch (e) {
      d.diagnostics.push({ severity: 'error', ...at, message: `CNI manifest ${file}: not YAML: ${e instanceof Error ? e.message : String(e)}` });
      return d;
    }
    if (expected.length === 0)
      d.diagnostics.push({
        severity: 'warning',
        ...at,
        message: `CNI manifest ${file} holds no DaemonSet: whether it is applied is judged by ${CNI_MANIFEST} alone`,
      });
    d.files.push({ path: CNI_MANIFEST, content: text, mode: 0o644, validate: `${KUBECTL} apply -f {}` });
    record = CNI_MANIFEST;
    applyRecorded = `${KUBECTL} apply -f ${shellQuote(CNI_MANIFEST)}`;
  } else if (cni.plugin === 'cilium') {
    d.diagnostics.push({
      severity: 'error',
      ...at,
      message: `cilium ${cni.version ?? ''} publishes no plain manifest (it installs with helm or cilium-cli): render one (\`helm template cilium cilium/cilium --version ${cni.version ?? '<version>'} -n kube-system\`) and use cni.plugin: manifest with that file`,
    });
    return d;
  } else {
    const src = CNI_SOURCES[cni.plugin];
    const version = cni.version ?? '';
    const url = src.url(version);
    expected = [{ namespace: src.daemonset.namespace, name: src.daemonset.name, images: [src.daemonset.image(version)] }];
    d.diagnostics.push({
      severity: 'info',
      ...at,
      message: `the ${cni.plugin} ${version} manifest is fetched by kubectl on ${ctx.host.name} from ${url}: that host needs access to it (or use cni.plugin: manifest with a local or mirrored copy)`,
    });
    d.files.push({ path: CNI_URL, content: `${url}\n`, mode: 0o644, validate: `${KUBECTL} apply -f ${shellQuote(url)}` });
    record = CNI_URL;
    applyRecorded = `${KUBECTL} apply -f "$(cat ${shellQuote(CNI_URL)})"`;
  }

  const recordedSame = ctx.facts.files[record]?.exists === true;
  const operations: CommandOperation[] = [];
  const cluster = ctx.clusterFacts;
  if (cluster !== undefined) {
    // The cluster's DaemonSets; re-applied here only when the record says this very manifest was
    // applied (otherwise the file step applies it anyway).
    const drift = daemonSetDrift(expected, cluster);
    d.actions = { attributes: [attr('cni.daemonsets', drift.length === 0 ? 'present' : drift.join('; '), 'present')], operations };
    const recordMatches = recordedSame && ctx.facts.files[record]?.content === d.files[0]!.content;
    if (drift.length > 0 && recordMatches) {
      operations.push({
        description: `apply the CNI again (${drift.join('; ')}): ${applyRecorded.replace(/"\$\(cat .*\)"/, 'the recorded URL')}`,
        command: applyRecorded,
        effects: [],
      });
    }
  } else {
    d.actions = { attributes: [], operations, pendingOn: [init] };
  }
  return d;
}

/** The CNI is applied through the API server from the first control-plane host, after init. */
function place(b: GraphBuilder): void {
  const cp1 = b.placement.firstControlPlane;
  b.needs(b.add('cni', cp1.name, { clusterWide: true }), at('kubeadm-init', cp1));
}

export const cni: ResourceKindDef<'cni'> = {
  kind: 'cni',
  place,
  factRequest: () => ({ packages: [], units: [], files: [CNI_MANIFEST, CNI_URL], sysctls: [] }),
  desired,
  readsClusterFacts: true,
  // The manifest of plugin 'manifest', or a bundle's copy of a published plugin's manifest.
  localFiles: (spec) => [spec.cni.plugin === 'manifest' ? spec.cni.manifest : undefined, bundledCniManifestPath(spec)].filter((p) => p !== undefined),
};
