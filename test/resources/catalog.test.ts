// Every kind in the catalog has its cases as data, including the ones the issue asks for.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RESOURCE_CATALOG, type ResourceKindDef } from '../../src/resources/index.js';
import { FIXTURES } from './helpers.js';

interface CaseHead {
  resource: string;
  facts: { os: string; converge?: boolean; patch?: unknown; captured?: string };
  expect: { action: string };
}

const files = new Set(readdirSync(`${FIXTURES}cases`));
const load = (kind: string): CaseHead[] => JSON.parse(readFileSync(`${FIXTURES}cases/${kind}.json`, 'utf8')) as CaseHead[];

describe('the catalog', () => {
  it('holds each kind once; a kind is pending only on kinds before it', () => {
    const kinds: string[] = RESOURCE_CATALOG.map((k) => k.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    const late = RESOURCE_CATALOG.flatMap((def) =>
      ((def as ResourceKindDef).pendingOnKinds ?? []).filter((k) => !kinds.slice(0, kinds.indexOf(def.kind)).includes(k)).map((k) => `${def.kind} -> ${k}`),
    );
    expect(late).toEqual([]);
  });

  for (const def of RESOURCE_CATALOG) {
    it(`${def.kind}: cases for bare Debian, a converged host and (changing kinds) drift`, () => {
      expect(files.has(`${def.kind}.json`)).toBe(true);
      const cases = load(def.kind);
      expect(cases.every((c) => c.resource === def.kind || c.resource.startsWith(`${def.kind}@`))).toBe(true);
      expect(cases.some((c) => c.facts.os === 'debian12' && !c.facts.converge && !c.facts.patch && !c.facts.captured)).toBe(true);
      if (!def.readOnly) {
        expect(cases.some((c) => c.facts.converge && !c.facts.patch && c.expect.action === 'no-op')).toBe(true);
      }
    });
  }

  for (const kind of ['package-sources', 'containerd', 'kube-packages']) {
    it(`${kind}: verified with Rocky (dnf) facts`, () => {
      expect(load(kind).some((c) => c.facts.os === 'rocky9' || c.facts.captured === 'rocky9')).toBe(true);
    });
  }
});
