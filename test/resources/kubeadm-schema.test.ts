// Every kubeadm document hactl renders, for every example spec and every supported minor, decoded
// strictly against the v1beta4 (and kubelet v1beta1) fields upstream defines
// (test/fixtures/kubeadm/v1beta4-fields.json says where they were read): an unknown or misspelt
// field, or a value of the wrong type, fails, as kubeadm's strict decoding does.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { resolvePlacement } from '../../src/spec/topology.js';
import { renderInitConfig, renderJoinTemplate, renderUpgradeConfig } from '../../src/resources/kubeadm-config.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import { KUBERNETES_MINORS } from '../../src/spec/versions.js';
import { specFromText } from './helpers.js';

interface FieldSchema {
  kinds: Record<string, string>;
  types: Record<string, Record<string, string>>;
}
const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/kubeadm/v1beta4-fields.json', import.meta.url)), 'utf8')) as FieldSchema;
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** Go's time.ParseDuration syntax, as metav1.Duration reads it. */
const DURATION = /^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Problems of `value` as a `type`, each with its path; empty when upstream's decoder would take it. */
export function check(value: unknown, type: string, path: string): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const wrong = (want: string) => [`${path}: want ${want}, got ${JSON.stringify(value)}`];
  if (type.startsWith('[]')) {
    if (!Array.isArray(value)) return wrong(`a list (${type})`);
    return value.flatMap((v, i) => check(v, type.slice(2), `${path}[${i}]`));
  }
  switch (type) {
    case 'string':
      return typeof value === 'string' ? [] : wrong('a string');
    case 'bool':
      return typeof value === 'boolean' ? [] : wrong('true or false');
    case 'int32':
      return Number.isInteger(value) && Math.abs(value as number) < 2 ** 31 ? [] : wrong('a 32-bit integer');
    case 'duration':
      return typeof value === 'string' && DURATION.test(value) ? [] : wrong('a duration like 4m0s');
    case 'time':
      return typeof value === 'string' && TIME.test(value) ? [] : wrong('an RFC 3339 time');
    case 'object':
      return isObject(value) ? [] : wrong('a mapping');
    case 'map[string]bool':
      if (!isObject(value)) return wrong('a mapping of names to true/false');
      return Object.entries(value).flatMap(([k, v]) => check(v, 'bool', `${path}.${k}`));
  }
  const fields = SCHEMA.types[type];
  if (fields === undefined) throw new Error(`no type ${type} in the field schema`);
  if (!isObject(value)) return wrong(`a ${type} mapping`);
  return Object.entries(value).flatMap(([k, v]) => {
    const t = fields[k];
    if (t === undefined) return [`${path}.${k}: unknown field "${k}" in ${type}`];
    return check(v, t, `${path}.${k}`);
  });
}

/** Strictly decodes every document of a rendered file: its kind must be known, then its fields. */
export function checkDocuments(text: string, where: string): string[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  return docs.flatMap((d, i) => {
    if (d.errors.length > 0) return d.errors.map((e) => `${where}#${i}: ${e.message}`);
    const doc = d.toJS() as Record<string, unknown>;
    const kind = SCHEMA.kinds[`${String(doc.apiVersion)} ${String(doc.kind)}`];
    if (kind === undefined) return [`${where}#${i}: unknown apiVersion/kind ${String(doc.apiVersion)} ${String(doc.kind)}`];
    return check(doc, kind, `${where}#${i}(${kind})`);
  });
}

/** Every kubeadm document hactl renders for a spec: init, each join, both upgrade configurations. */
function renderedFor(spec: ClusterSpec): [string, string][] {
  const p = resolvePlacement(spec);
  const out: [string, string][] = [
    ['init', renderInitConfig(spec, p, p.firstControlPlane, { ignorePreflightErrors: ['DirAvailable--etc-kubernetes-manifests'] })],
  ];
  for (const h of p.controlPlane.slice(1)) out.push([`join control-plane ${h.name}`, renderJoinTemplate(spec, h, true)]);
  for (const h of p.workers.filter((w) => !p.controlPlane.includes(w))) out.push([`join worker ${h.name}`, renderJoinTemplate(spec, h, false)]);
  out.push(
    ['upgrade apply', renderUpgradeConfig(spec, spec.kubernetes.version, 'apply')],
    ['upgrade node', renderUpgradeConfig(spec, spec.kubernetes.version, 'node')],
  );
  return out;
}

const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

describe("kubeadm v1beta4: every rendered document decodes strictly against upstream's fields", () => {
  for (const file of examples) {
    for (const m of KUBERNETES_MINORS) {
      for (const allowCgroupV1 of [false, true]) {
        it(`${file}, Kubernetes ${m.newestPatch}${allowCgroupV1 ? ', allowCgroupV1' : ''}`, () => {
          const text = readFileSync(EXAMPLES + file, 'utf8').replace(
            /^(kubernetes:\n) {2}version: \S+\n/m,
            `$1  version: ${m.newestPatch}\n  kubelet: { allowCgroupV1: ${allowCgroupV1} }\n`,
          );
          const spec = specFromText(text, EXAMPLES + file);
          expect(spec.kubernetes.version).toBe(m.newestPatch);
          const rendered = renderedFor(spec);
          expect(rendered.flatMap(([where, t]) => checkDocuments(t, where))).toEqual([]);
          // Every document says which API it is: v1beta4 for kubeadm, for every minor.
          for (const [, t] of rendered)
            for (const d of parseAllDocuments(t)) expect(['kubeadm.k8s.io/v1beta4', 'kubelet.config.k8s.io/v1beta1']).toContain(d.get('apiVersion'));
        });
      }
    }
  }
});

describe('the checker', () => {
  const spec = specFromText(readFileSync(EXAMPLES + 'ha-stacked.yaml', 'utf8'), EXAMPLES + 'ha-stacked.yaml');
  const p = resolvePlacement(spec);
  const init = renderInitConfig(spec, p, p.firstControlPlane);

  it('fails on a misspelt field, naming it and where it is', () => {
    expect(checkDocuments(init.replace('kubeletExtraArgs:', 'kubeletExtraArg:'), 'init')).toEqual([
      'init#0(InitConfiguration).nodeRegistration.kubeletExtraArg: unknown field "kubeletExtraArg" in NodeRegistrationOptions',
    ]);
    expect(checkDocuments(init.replace('controlPlaneEndpoint:', 'controlplaneEndpoint:'), 'init')).toEqual([
      'init#1(ClusterConfiguration).controlplaneEndpoint: unknown field "controlplaneEndpoint" in ClusterConfiguration',
    ]);
  });

  it('fails on v1beta3 shapes and wrong types', () => {
    // v1beta3's kubeletExtraArgs was a map; v1beta4 wants a list of {name, value}.
    const v1beta3Args = init.replace(/kubeletExtraArgs:\n {4}- name: node-ip\n {6}value: (\S+)/, 'kubeletExtraArgs:\n    node-ip: $1');
    expect(checkDocuments(v1beta3Args, 'init')).toEqual([
      expect.stringMatching(/^init#0\(InitConfiguration\)\.nodeRegistration\.kubeletExtraArgs: want a list \(\[\]Arg\), got \{"node-ip":/),
    ]);
    expect(checkDocuments(init.replace('bindPort: 6443', 'bindPort: "6443"'), 'init')).toEqual([
      'init#0(InitConfiguration).localAPIEndpoint.bindPort: want a 32-bit integer, got "6443"',
    ]);
    expect(checkDocuments(init.replace(/apiVersion: kubeadm.k8s.io\/v1beta4/g, 'apiVersion: kubeadm.k8s.io/v1beta3'), 'init')[0]).toBe(
      'init#0: unknown apiVersion/kind kubeadm.k8s.io/v1beta3 InitConfiguration',
    );
    expect(checkDocuments(`${init}---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificateValidityPeriod: 2 years\n`, 'init')).toEqual([
      'init#3(ClusterConfiguration).certificateValidityPeriod: want a duration like 4m0s, got "2 years"',
    ]);
  });

  it('fails on a duplicate key, as strict decoding does', () => {
    expect(checkDocuments('apiVersion: kubeadm.k8s.io/v1beta4\nkind: UpgradeConfiguration\nnode: {}\nnode: {}\n', 'upgrade').length).toBeGreaterThan(0);
  });
});
