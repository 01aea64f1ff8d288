// Tests as data: each file in test/fixtures/resources/cases/ lists cases of facts in and the
// expected action, changed attributes, file changes, diagnostics and operations out.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClusterFacts } from '../../src/facts/cluster.js';
import type { HostFacts } from '../../src/facts/types.js';
import type { Action, FileAction, Value } from '../../src/resources/diff.js';
import type { Operation } from '../../src/resources/operation.js';
import { applyPlan, bareCluster, capturedFacts, FIXTURES, localFiles, planSpec, specFixture, TEST_ENV, type OsName } from './helpers.js';

interface Case {
  name: string;
  spec: string;
  resource: string;
  /** The host a cluster-wide resource (id without `@host`) runs from, for `facts.captured` and `facts.patch`. */
  host?: string;
  /** Cluster facts: a captured kubectl output under test/fixtures/resources/kubernetes/, parsed as seen from `host`. */
  clusterFacts?: string;
  /** `os` for every host; `captured` replaces the resource's host with a captured probe output. */
  facts: { os: OsName; captured?: 'debian12' | 'rocky9'; converge?: boolean; patch?: Record<string, unknown> };
  env?: Record<string, string>;
  expect: {
    action: Action;
    changed?: Record<string, [unknown, unknown]>;
    files?: Record<string, FileAction>;
    diffs?: Record<string, string>;
    operations?: string[];
    written?: Record<string, string>;
    writtenContains?: Record<string, string[]>;
    sensitiveFiles?: string[];
    diagnostics?: { severity: string; includes: string }[];
    noDiagnostics?: boolean;
    pendingOn?: string[];
    reasonIncludes?: string;
  };
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    const cur = target[k];
    if (v === null) Reflect.deleteProperty(target, k);
    else if (typeof v === 'object' && !Array.isArray(v) && typeof cur === 'object' && cur !== null && !Array.isArray(cur))
      merge(cur as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

const show = (v: Value | undefined): unknown => (v === undefined ? null : 'value' in v ? v.value : 'sensitive' in v ? '(sensitive)' : '(known after apply)');

export const describeOp = (o: Operation): string =>
  'command' in o ? o.command : `write ${o.writeFile.path} ${o.writeFile.mode.toString(8).padStart(4, '0')}${o.sensitive ? ' (sensitive)' : ''}`;

// A misspelt key would assert nothing: every key a case names must be one this runner reads.
const CASE_KEYS = ['name', 'spec', 'resource', 'host', 'clusterFacts', 'facts', 'env', 'expect'];
const FACTS_KEYS = ['os', 'captured', 'converge', 'patch'];
const EXPECT_KEYS = [
  'action',
  'changed',
  'files',
  'diffs',
  'operations',
  'written',
  'writtenContains',
  'sensitiveFiles',
  'diagnostics',
  'noDiagnostics',
  'pendingOn',
  'reasonIncludes',
];

export function unknownCaseKeys(c: Record<string, unknown>): string[] {
  const extra = (obj: unknown, known: string[], at: string): string[] =>
    typeof obj === 'object' && obj !== null
      ? Object.keys(obj)
          .filter((k) => !known.includes(k))
          .map((k) => `${at}${k}`)
      : [];
  return [...extra(c, CASE_KEYS, ''), ...extra(c.facts, FACTS_KEYS, 'facts.'), ...extra(c.expect, EXPECT_KEYS, 'expect.')];
}

describe('case files', () => {
  it('name only keys the runner reads', () => {
    expect(unknownCaseKeys({ name: 'x', expect: { action: 'no-op', chagned: {} }, facts: { os: 'debian12', pach: {} } })).toEqual([
      'facts.pach',
      'expect.chagned',
    ]);
  });
});

const dir = `${FIXTURES}cases/`;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const cases = JSON.parse(readFileSync(dir + file, 'utf8')) as Case[];
  describe(file, () => {
    it('every case names only known keys', () => {
      expect(cases.flatMap((c) => unknownCaseKeys(c as unknown as Record<string, unknown>).map((k) => `${c.name}: ${k}`))).toEqual([]);
    });
    for (const c of cases) {
      it(c.name, () => {
        const spec = specFixture(c.spec);
        const opts = { env: c.env ?? TEST_ENV, localFiles: localFiles(spec) };
        const host = c.host ?? c.resource.split('@')[1];
        let facts: Map<string, HostFacts> = bareCluster(spec, c.facts.os);
        if (c.facts.captured) facts.set(host!, capturedFacts(c.facts.captured));
        // Converged with the default environment, so a case's own env can differ from what was applied.
        if (c.facts.converge) facts = applyPlan(spec, facts, planSpec(spec, facts, { ...opts, env: TEST_ENV }));
        if (c.facts.patch) {
          const f = structuredClone(facts.get(host!)!);
          merge(f as unknown as Record<string, unknown>, c.facts.patch);
          facts.set(host!, f);
        }
        const clusterFacts = c.clusterFacts ? parseClusterFacts(readFileSync(`${FIXTURES}kubernetes/${c.clusterFacts}`, 'utf8'), c.host ?? 'cp1') : undefined;
        const { plan, operations } = planSpec(spec, facts, { ...opts, ...(clusterFacts ? { clusterFacts } : {}) });
        const change = plan.changes.find((x) => x.id === c.resource);
        expect(change, `resource ${c.resource} in the plan`).toBeDefined();
        const e = c.expect;
        expect(change!.action).toBe(e.action);
        if (e.changed) {
          const got = Object.fromEntries(change!.attributes.filter((a) => a.changed).map((a) => [a.name, [show(a.before), show(a.after)]]));
          expect(got).toEqual(e.changed);
        }
        if (e.files) {
          expect(Object.fromEntries(change!.files.filter((f) => f.action !== 'no-op').map((f) => [f.path, f.action]))).toEqual(e.files);
        }
        for (const [path, diff] of Object.entries(e.diffs ?? {})) {
          expect(change!.files.find((f) => f.path === path)?.diff).toBe(diff);
        }
        const ops = operations.get(c.resource) ?? [];
        if (e.operations) expect(ops.map(describeOp)).toEqual(e.operations);
        // A read's steps are what it observes by (readOperations), never operations that change anything.
        if (change!.action !== 'read') expect(change!.steps).toEqual(ops.map((o) => o.description));
        else expect(ops).toEqual([]);
        for (const [path, fixture] of Object.entries(e.written ?? {})) {
          const effect = ops.flatMap((o) => o.effects).find((x) => x.type === 'file' && x.path === path);
          const content = effect?.type === 'file' ? effect.content : undefined;
          expect(content, `content written to ${path}`).toBe(readFileSync(`${FIXTURES}${fixture}`, 'utf8'));
        }
        for (const [path, parts] of Object.entries(e.writtenContains ?? {})) {
          const effect = ops.flatMap((o) => o.effects).find((x) => x.type === 'file' && x.path === path);
          const content = effect?.type === 'file' ? (effect.content ?? '') : '';
          for (const p of parts) expect(content).toContain(p);
        }
        for (const path of e.sensitiveFiles ?? []) {
          const f = change!.files.find((x) => x.path === path);
          expect(f?.sensitive).toBe(true);
          expect(f?.diff).toBe('');
          expect(f?.beforeSha256 ?? f?.afterSha256).toBeUndefined();
        }
        const diags = plan.diagnostics.filter((d) => d.resource === c.resource);
        for (const d of e.diagnostics ?? []) {
          expect(
            diags.some((x) => x.severity === d.severity && x.message.includes(d.includes)),
            `${d.severity}: …${d.includes}… in ${JSON.stringify(diags)}`,
          ).toBe(true);
        }
        if (e.noDiagnostics) expect(diags).toEqual([]);
        if (e.pendingOn) expect(change!.pendingOn ?? []).toEqual(e.pendingOn);
        if (e.reasonIncludes) expect(change!.reason ?? '').toContain(e.reasonIncludes);
        if (e.action === 'no-op') expect(ops).toEqual([]);
      });
    }
  });
}
