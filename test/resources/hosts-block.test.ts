// os-prep's /etc/hosts block names only the host itself, so a host joining or leaving changes no
// other host. A cluster whose blocks an older hactl wrote (every cluster host in every block)
// moves to that form once: the plan shows it as an /etc/hosts update on every host, and nothing
// else; after it, adding a worker touches that worker alone.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import { summarize } from '../../src/plan/model.js';
import { sha256 } from '../../src/resources/diff.js';
import { hostsBlock } from '../../src/resources/os-prep.js';
import { applyPlan, bareCluster, bareFacts, FIXTURES, localFiles, planSpec, specFixture, specFromText, TEST_ENV } from './helpers.js';

const spec = specFixture('ha-haproxy.yaml');
const opts = { env: TEST_ENV, localFiles: localFiles(spec) };
const acting = (p: ReturnType<typeof planSpec>): string[] => p.plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read').map((c) => c.id);

/** Every host's /etc/hosts as an older hactl left it: its block listed every cluster host. */
function withOldBlocks(facts: Map<string, HostFacts>): Map<string, HostFacts> {
  const every = spec.hosts.map((h) => `${h.address} ${h.name}`);
  const content = ['127.0.0.1 localhost', '::1 localhost ip6-localhost', '# BEGIN hactl', ...every, '# END hactl', ''].join('\n');
  const out = new Map<string, HostFacts>();
  for (const [name, f] of facts) {
    const g = structuredClone(f);
    g.files['/etc/hosts'] = { ...g.files['/etc/hosts']!, exists: true, type: 'file', content, sha256: sha256(content), size: Buffer.byteLength(content) };
    out.set(name, g);
  }
  return out;
}

describe('/etc/hosts names only the host itself', () => {
  const bare = bareCluster(spec, 'debian12');
  const converged = applyPlan(spec, bare, planSpec(spec, bare, opts));

  it('the block of a host with an IP address is that address and its name; a host reached by DNS name gets an empty block', () => {
    expect(hostsBlock({ name: 'cp1', address: '10.0.0.11' })).toEqual(['# BEGIN hactl', '10.0.0.11 cp1', '# END hactl']);
    expect(hostsBlock({ name: 'cp1', address: 'fd00::11' })).toEqual(['# BEGIN hactl', 'fd00::11 cp1', '# END hactl']);
    expect(hostsBlock({ name: 'cp1', address: 'cp1.corp.example' })).toEqual(['# BEGIN hactl', '# END hactl']);
    for (const h of spec.hosts) expect(converged.get(h.name)!.files['/etc/hosts']!.content).toContain(`# BEGIN hactl\n${h.address} ${h.name}\n# END hactl\n`);
  });

  it('an older block naming every host is rewritten once, on every host, and nothing else changes; then the plan is empty', () => {
    const old = withOldBlocks(converged);
    const first = planSpec(spec, old, opts);
    expect(acting(first).sort()).toEqual(spec.hosts.map((h) => `os-prep@${h.name}`).sort());
    expect(summarize(first.plan)).toMatchObject({ add: 0, change: spec.hosts.length, destroy: 0 });
    for (const c of first.plan.changes.filter((x) => x.kind === 'os-prep')) {
      expect(c.attributes.filter((a) => a.changed)).toEqual([]);
      expect(c.files.filter((f) => f.action !== 'no-op').map((f) => f.path)).toEqual(['/etc/hosts']);
      const others = spec.hosts.filter((h) => h.name !== c.host);
      const diff = c.files.find((f) => f.path === '/etc/hosts')!.diff;
      for (const h of others) expect(diff).toContain(`\n-${h.address} ${h.name}\n`);
      expect(diff).not.toMatch(/^\+\d/m);
      expect(first.plan.diagnostics.filter((d) => d.resource === c.id && d.severity !== 'info')).toEqual([]);
    }
    expect(first.operations.get('os-prep@cp2')!.map((o) => ('writeFile' in o ? `write ${o.writeFile.path}` : o.command))).toEqual(['write /etc/hosts']);
    const after = applyPlan(spec, old, first);
    expect(acting(planSpec(spec, after, opts))).toEqual([]);
  });

  it("a host whose /etc/hosts holds hactl's marker, however retyped, is prepared already: its os-prep is an update, not a create", () => {
    const content = '127.0.0.1 localhost\n#  begin HACTL\n';
    const facts = new Map(bare);
    const g = structuredClone(facts.get('worker1')!);
    g.files['/etc/hosts'] = { ...g.files['/etc/hosts']!, exists: true, type: 'file', content, sha256: sha256(content), size: Buffer.byteLength(content) };
    facts.set('worker1', g);
    const p = planSpec(spec, facts, opts).plan;
    expect(p.changes.find((c) => c.id === 'os-prep@worker1')!.action).toBe('update');
    expect(p.changes.find((c) => c.id === 'os-prep@cp1')!.action).toBe('create');
  });

  it('adding a worker plans changes on that worker alone, none on any other host', () => {
    const text = readFileSync(`${FIXTURES}ha-haproxy.yaml`, 'utf8');
    const line = '  - { name: worker1, address: 10.0.0.21, roles: [worker] }\n';
    expect(text).toContain(line);
    const grown = specFromText(text.replace(line, `${line}  - { name: worker2, address: 10.0.0.22, roles: [worker] }\n`), `${FIXTURES}ha-haproxy.yaml`);
    const facts = new Map(converged);
    facts.set('worker2', bareFacts('debian12', '10.0.0.22'));
    const p = planSpec(grown, facts, { env: TEST_ENV, localFiles: localFiles(grown) });
    const ids = acting(p);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => !id.endsWith('@worker2'))).toEqual([]);
    // Counted per resource, every one of the new worker's is created: its os-prep too (the host
    // holds nothing os-prep writes yet, though its /etc/hosts exists), so nothing reads "change".
    expect(summarize(p.plan)).toMatchObject({ add: ids.length, change: 0, destroy: 0 });
    expect(p.plan.changes.find((c) => c.id === 'os-prep@worker2')!.action).toBe('create');
    expect(p.plan.changes.find((c) => c.id === 'os-prep@worker2')!.files.find((f) => f.path === '/etc/hosts')!.diff).toContain('+10.0.0.22 worker2\n');
  });
});
