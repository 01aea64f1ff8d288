import { describe, expect, it } from 'vitest';
import { compile } from '../../src/resources/index.js';
import { dependenciesOf } from '../../src/graph/compile.js';
import { loadSpec } from '../../src/spec/index.js';

const text = (packages: string) => `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata: { name: c }
hosts:
  - { name: node1, address: 10.9.0.11, roles: [control-plane, worker] }
cni: { plugin: calico }
packages:
${packages}`;

describe('packages.bundle in the spec', () => {
  it('is a path relative to the spec; replaceDefaults needs no other source with it; package-bundle comes before package-sources', () => {
    const r = loadSpec(text('  replaceDefaults: true\n  bundle: ./site-bundle\n'), '/srv/site/cluster.yaml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.spec!.packages.bundle).toBe('/srv/site/site-bundle');
    const g = compile(r.spec!);
    expect(dependenciesOf(g, 'package-sources@node1')).toEqual(['package-bundle@node1']);
    expect(dependenciesOf(g, 'package-bundle@node1')).toEqual(['preflight@node1']);
  });

  it('without it, no package-bundle resource; replaceDefaults without any source is still an error', () => {
    const r = loadSpec(text('  replaceDefaults: true\n'), '/srv/site/cluster.yaml');
    expect(r.diagnostics.map((d) => d.message)).toContain(
      "replacing the hosts' package sources needs at least one OS source in packages.apt.os or packages.dnf.os, or a packages.bundle",
    );
    const ok = loadSpec(text('  apt: { os: [{ uri: "http://m/", suite: bookworm, components: [main], trusted: true }] }\n'), '/srv/site/cluster.yaml');
    expect(compile(ok.spec!).hasNode('package-bundle@node1')).toBe(false);
  });

  it('a bundle path with characters a path must not have is refused by the schema', () => {
    const r = loadSpec(text('  bundle: "./b; rm -rf /"\n'), '/srv/site/cluster.yaml');
    expect(r.diagnostics.some((d) => d.severity === 'error' && d.path === 'packages.bundle')).toBe(true);
  });
});
