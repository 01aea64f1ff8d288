// loadSpec never throws: whatever the YAML holds, the answer is diagnostics (with positions
// inside the text) or a spec.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadSpec } from '../../src/spec/index.js';

const EXAMPLES = ['single', 'ha-stacked', 'ha-external-etcd', 'kube-vip', 'air-gapped'].map(
  (n) => parse(readFileSync(new URL(`../../examples/${n}.yaml`, import.meta.url), 'utf8')) as unknown,
);

/** All paths to values inside `v`. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function replaced(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  cur[path[path.length - 1]!] = value;
  return copy;
}

describe('robustness', () => {
  it('any value at any place of an example gives diagnostics or a spec, never an exception', () => {
    const arb = fc.tuple(fc.integer({ min: 0, max: EXAMPLES.length - 1 }), fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([e, p, value]) => {
      const all = paths(EXAMPLES[e]);
      return stringify(replaced(EXAMPLES[e], all[p % all.length]!, value));
    });
    fc.assert(
      fc.property(arb, (text) => {
        const lines = text.split('\n').length;
        const r = loadSpec(text, 'fuzz.yaml');
        for (const d of r.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(lines);
          expect(d.col).toBeGreaterThanOrEqual(1);
          expect(d.message.length).toBeGreaterThan(0);
        }
        expect(r.spec === undefined).toBe(r.diagnostics.some((d) => d.severity === 'error'));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = loadSpec(text, 'fuzz.yaml');
        expect(r.spec).toBeUndefined();
        expect(r.diagnostics.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('an alias bomb is refused, while thousands of hosts may merge one anchor', () => {
    const level = (name: string, of: string): string => `${name}: &${name} [${Array(10).fill(of).join(', ')}]`;
    const bomb = [level('a', 'x'), level('b', '*a'), level('c', '*b'), level('d', '*c'), level('e', '*d'), level('f', '*e')].join('\n');
    const refused = loadSpec(bomb, 'bomb.yaml');
    expect(refused.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('cannot expand the YAML aliases')]);

    const lines = ['apiVersion: hactl.io/v1alpha1', 'kind: Cluster', 'metadata: { name: big }', 'x-worker: &w { roles: [worker] }', 'hosts:'];
    lines.push('  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }');
    for (let i = 0; i < 2000; i++) lines.push(`  - { <<: *w, name: w${i}, address: 10.1.${Math.floor(i / 250)}.${(i % 250) + 1} }`);
    lines.push('kubernetes: { podSubnet: 10.128.0.0/9 }');
    const big = loadSpec(lines.join('\n'), 'big.yaml');
    expect(big.diagnostics).toEqual([]);
    expect(big.spec!.hosts.filter((h) => h.roles[0] === 'worker')).toHaveLength(2000);
  }, 60_000);
});
