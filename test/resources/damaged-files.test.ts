// Damaged managed blocks and files, as data (test/fixtures/resources/damage/cases.json): a
// converged cluster, one file on one host damaged, then the plan must name the damage and show the
// exact diff, and either apply converges (the next plan is empty and every user line is still
// there) or the plan holds an error saying what a person must do, which refuses apply whole.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FileFacts, HostFacts } from '../../src/facts/types.js';
import { compile } from '../../src/graph/compile.js';
import { precheck } from '../../src/apply/run.js';
import { sha256 } from '../../src/plan/model.js';
import type { ClusterSpec } from '../../src/spec/types.js';
import type { Operation } from '../../src/resources/converge.js';
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
        expect(mine.some((x) => x.severity === 'warning' && x.message.includes(d)), `warning …${d}… in ${JSON.stringify(mine)}`).toBe(true);
      }
      if (c.expect.diff !== undefined) expect(change.files.find((f) => f.path === c.path)?.diff).toBe(c.expect.diff);
      const ops = first.operations.get(c.resource) ?? [];
      if (c.expect.operations) expect(ops.map(describeOp)).toEqual(c.expect.operations);
      if (c.expect.error !== undefined) {
        expect(mine.some((x) => x.severity === 'error' && x.message.includes(c.expect.error!)), `error …${c.expect.error}… in ${JSON.stringify(mine)}`).toBe(true);
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
