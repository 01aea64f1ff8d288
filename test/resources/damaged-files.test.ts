// Damaged managed blocks and files, as data (test/fixtures/resources/damage/cases.json): a
// converged cluster, one file on one host damaged, then the plan must name the damage and show the
// exact diff, and either apply converges (the next plan is empty and every user line is still
// there) or the plan holds an error saying what a person must do, which refuses apply whole.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FileFacts, HostFacts } from '../../src/facts/types.js';
import { compile } from '../../src/resources/index.js';
import { precheck } from '../../src/apply/run.js';
import { sha256 } from '../../src/resources/diff.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import type { Operation } from '../../src/resources/operation.js';
import { applyPlan, bareCluster, FIXTURES, localFiles, planSpec, specFixture, TEST_ENV } from './helpers.js';

interface DamageCase {
  name: string;
  host: string;
  resource: string;
  path: string;
  /** The file's facts after the damage: `content` (a file) or `type`, `linkTarget`, `immutable`, `readOnlyMount`. */
  file: Partial<FileFacts> & { content?: string };
  expect: {
    /** Substrings of the warnings naming the damage (the resource's own diagnostics). */
    damage?: string[];
    /** Substring of the error that stops apply: what a person must do. */
    error?: string;
    diff?: string;
    operations?: string[];
    /** Lines of the user's that the converged file must still hold. */
    userLines?: string[];
  };
}

const CASES = JSON.parse(readFileSync(`${FIXTURES}damage/cases.json`, 'utf8')) as DamageCase[];
const spec: ClusterSpec = specFixture('ha-haproxy.yaml');
const opts = { env: TEST_ENV, localFiles: localFiles(spec) };
const converged = applyPlan(spec, bareCluster(spec, 'debian12'), planSpec(spec, bareCluster(spec, 'debian12'), opts));

const describeOp = (o: Operation): string => ('command' in o ? o.command : `write ${o.writeFile.path} ${o.writeFile.mode.toString(8).padStart(4, '0')}`);

/** The converged facts with one file of one host replaced as the case says. */
export function damaged(facts: Map<string, HostFacts>, host: string, path: string, file: DamageCase['file']): Map<string, HostFacts> {
  const out = new Map(facts);
  const f = structuredClone(out.get(host)!);
  const base = f.files[path] ?? { exists: false };
  const next: FileFacts = { ...base, exists: true, ...file };
  if (file.content !== undefined) Object.assign(next, { type: 'file', sha256: sha256(file.content), size: Buffer.byteLength(file.content) });
  else if (file.type !== undefined && file.type !== 'file') {
    delete next.content;
    delete next.sha256;
  }
  f.files[path] = next;
  out.set(host, f);
  return out;
}

describe('damaged managed blocks and files', () => {
  it('the converged cluster plans empty', () => {
    const again = planSpec(spec, converged, opts);
    expect(again.plan.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read').map((c) => c.id)).toEqual([]);
  });

  for (const c of CASES) {
    it(c.name, () => {
      const facts = damaged(converged, c.host, c.path, c.file);
      const first = planSpec(spec, facts, opts);
      const mine = first.plan.diagnostics.filter((d) => d.resource === c.resource);
      // Only the damaged resource changes (one that cannot be planned shows no change, only its error).
      const changing = first.plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read').map((x) => x.id);
      expect(changing).toEqual(c.expect.error !== undefined && changing.length === 0 ? [] : [c.resource]);
      const change = first.plan.changes.find((x) => x.id === c.resource)!;
      for (const d of c.expect.damage ?? []) {
        expect(
          mine.some((x) => x.severity === 'warning' && x.message.includes(d)),
          `warning …${d}… in ${JSON.stringify(mine)}`,
        ).toBe(true);
      }
      if (c.expect.diff !== undefined) expect(change.files.find((f) => f.path === c.path)?.diff).toBe(c.expect.diff);
      const ops = first.operations.get(c.resource) ?? [];
      if (c.expect.operations) expect(ops.map(describeOp)).toEqual(c.expect.operations);
      if (c.expect.error !== undefined) {
        expect(
          mine.some((x) => x.severity === 'error' && x.message.includes(c.expect.error!)),
          `error …${c.expect.error}… in ${JSON.stringify(mine)}`,
        ).toBe(true);
        // The error refuses apply before anything is touched.
        const pre = precheck({ graph: compile(spec), plan: first.plan });
        expect(pre.reasons.some((r) => r.includes(c.expect.error!))).toBe(true);
        expect(ops.filter((o) => o.effects.some((e) => e.type === 'file' && e.path === c.path))).toEqual([]);
        return;
      }
      expect(mine.filter((x) => x.severity === 'error')).toEqual([]);
      const after = applyPlan(spec, facts, first);
      const second = planSpec(spec, after, opts);
      expect(second.plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read').map((x) => x.id)).toEqual([]);
      expect(second.plan.diagnostics.filter((d) => d.resource === c.resource && d.severity !== 'info')).toEqual([]);
      const text = after.get(c.host)!.files[c.path]!.content!;
      const lines = text.split('\n');
      for (const l of c.expect.userLines ?? []) expect(lines).toContain(l);
    });
  }
});

// Random damage to the block between random lines of the user's: apply always converges, and the
// user's lines all survive, in their order.
const BODY = ['10.0.0.5 lb1', '10.0.0.6 lb2', '10.0.0.11 cp1', '10.0.0.12 cp2', '10.0.0.13 cp3', '10.0.0.21 worker1'];
const userLineArb = fc.oneof(
  fc.integer({ min: 1, max: 250 }).map((n) => `192.168.7.${n} box${n}.lan box${n}`),
  fc.constantFrom('# added by ops', '', '  # indented comment', 'ff02::1 ip6-allnodes', '10.0.0.21\tworker1-alias', '#BEGIN other-tool', '# END other-tool'),
);
const markerArb = (m: string) => fc.constantFrom(m, m.toLowerCase(), m.toUpperCase(), m.replace(' ', '  '), `${m}  `, m.replace('# ', '#'));
const damageArb = fc.record({
  begin: fc.option(markerArb('# BEGIN hactl'), { nil: undefined }),
  end: fc.option(markerArb('# END hactl'), { nil: undefined }),
  body: fc.subarray(BODY),
  garbageInside: fc.option(fc.constantFrom('# stray', 'garbage', '10.0.0.99 lb1'), { nil: undefined }),
  twice: fc.boolean(),
  middle: fc.array(userLineArb, { maxLength: 2 }),
});

describe('damaged /etc/hosts, random', () => {
  it('plan, apply, plan: converges, and every line of the user stays, in order', () => {
    fc.assert(
      fc.property(
        fc.array(userLineArb, { maxLength: 4 }),
        damageArb,
        fc.array(userLineArb, { maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        (before, d, after, crlf, finalNewline) => {
          const block = [
            ...(d.begin ? [d.begin] : []),
            ...d.body,
            ...(d.garbageInside && d.begin && d.end ? [d.garbageInside] : []),
            ...(d.end ? [d.end] : []),
          ];
          const lines = [...before, ...block, ...(d.twice ? [...d.middle, ...block] : []), ...after];
          let text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
          if (crlf) text = text.replace(/\n/g, '\r\n');
          const facts = damaged(converged, 'worker1', '/etc/hosts', { content: text });
          const first = planSpec(spec, facts, opts);
          expect(first.plan.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
          const changing = first.plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read').map((x) => x.id);
          expect(changing.filter((id) => id !== 'os-prep@worker1')).toEqual([]);
          const applied = applyPlan(spec, facts, first);
          const second = planSpec(spec, applied, opts);
          expect(second.plan.changes.filter((x) => x.action !== 'no-op' && x.action !== 'read').map((x) => x.id)).toEqual([]);
          const result = applied.get('worker1')!.files['/etc/hosts']!.content!.split('\n');
          // The user's lines (outside any marker pair) are a subsequence of the result.
          const user = [...before, ...(d.twice ? d.middle : []), ...after];
          let at = 0;
          for (const l of user) {
            const i = result.indexOf(l, at);
            expect(i, `user line ${JSON.stringify(l)} kept after position ${at} in ${JSON.stringify(result)}`).toBeGreaterThanOrEqual(0);
            at = i + 1;
          }
          // Exactly one intact block.
          expect(result.filter((l) => l === '# BEGIN hactl').length).toBe(1);
          expect(result.filter((l) => l === '# END hactl').length).toBe(1);
        },
      ),
      { numRuns: 100, seed: 20261207 },
    );
  });
});
