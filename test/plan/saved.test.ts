import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, type Plan } from '../../src/plan/model.js';
import { sha256 } from '../../src/resources/diff.js';
import { SavedPlanError, canonicalJson, checkStale, factsDigest, loadSavedPlan, parseSavedPlan, savePlan, validatePlanDocument } from '../../src/plan/saved.js';
import { FIXTURES } from '../views/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hactl-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function small(): Plan {
  return buildPlan({
    createdAt: '2026-11-22T08:00:00.000Z',
    spec: { file: 'cluster.yaml', sha256: sha256('spec v1') },
    hosts: [
      { name: 'cp1', address: '10.0.0.11', factsDigest: sha256('cp1') },
      { name: 'w1', address: '10.0.0.21', factsDigest: sha256('w1') },
      { name: 'w2', address: '10.0.0.22', unreachable: 'connection refused' },
    ],
    changes: [],
  });
}

describe('savePlan / loadSavedPlan', () => {
  it('round-trips every fixture and writes the file owner-only', async () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      const path = join(dir, `${name}.json`);
      const plan = make();
      await savePlan(plan, path);
      expect(await loadSavedPlan(path)).toEqual(plan);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses a different format version plainly', async () => {
    const path = join(dir, 'v2.json');
    await writeFile(path, JSON.stringify({ ...small(), formatVersion: 2 }));
    await expect(loadSavedPlan(path)).rejects.toThrow(/formatVersion 2; this hactl reads formatVersion 1/);
  });

  it('refuses what is not JSON or not a plan, saying where', async () => {
    expect(() => parseSavedPlan('{nope')).toThrow(SavedPlanError);
    const bad = JSON.parse(JSON.stringify(small())) as Record<string, unknown>;
    (bad.hosts as { factsDigest?: string }[])[0]!.factsDigest = 'not-a-digest';
    try {
      parseSavedPlan(JSON.stringify(bad), 'plan.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SavedPlanError);
      expect((e as SavedPlanError).problems.join('\n')).toMatch(/\/hosts\/0\/factsDigest/);
    }
  });

  it('rejects a sensitive file that carries content in a document', () => {
    const p = JSON.parse(JSON.stringify(FIXTURES.updates!())) as Plan;
    const f = p.changes.flatMap((c) => c.files).find((f) => f.sensitive)!;
    expect(validatePlanDocument(p)).toEqual([]);
    f.diff = '+auth = "x"';
    expect(validatePlanDocument(p).length).toBeGreaterThan(0);
  });

  it('saves the same bytes for the same plan', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await savePlan(FIXTURES['replace-destroy']!(), a);
    await savePlan(FIXTURES['replace-destroy']!(), b);
    expect(await readFile(a, 'utf8')).toBe(await readFile(b, 'utf8'));
  });
});

describe('checkStale', () => {
  const current = () => ({
    specSha256: sha256('spec v1'),
    factsDigests: { cp1: sha256('cp1'), w1: sha256('w1'), w2: undefined } as Record<string, string | undefined>,
  });

  it('accepts a plan when nothing changed', () => {
    expect(checkStale(small(), current())).toEqual([]);
  });

  it('names every reason the plan is stale', () => {
    const now = current();
    now.specSha256 = sha256('spec v2');
    now.factsDigests.cp1 = sha256('cp1 after an upgrade');
    now.factsDigests.w2 = sha256('w2');
    delete now.factsDigests.w1;
    now.factsDigests.w9 = sha256('w9');
    expect(checkStale(small(), now)).toEqual([
      'the spec cluster.yaml changed since the plan was made',
      'host cp1 changed since the plan was made (its facts differ)',
      'host w1 is in the plan but no longer part of the cluster',
      'host w2 was unreachable when planned and can be observed now',
      'host w9 was not part of the plan',
    ]);
  });

  it('notices a host that became unreachable', () => {
    const now = current();
    now.factsDigests.cp1 = undefined;
    expect(checkStale(small(), now)).toEqual(['host cp1 cannot be observed now']);
  });
});

describe('factsDigest', () => {
  it('ignores key order', () => {
    expect(factsDigest({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(factsDigest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
  });

  it('sees any real difference, including array order', () => {
    expect(factsDigest({ a: [1, 2] })).not.toBe(factsDigest({ a: [2, 1] }));
    expect(factsDigest({ a: 1 })).not.toBe(factsDigest({ a: '1' }));
  });

  it('leaves out excluded volatile fields, with * for any key or index', () => {
    const t1 = { os: 'ubuntu', uptimeSeconds: 10, memory: { totalBytes: 8, availableBytes: 3 }, disks: [{ dev: 'sda', freeBytes: 5 }] };
    const t2 = { os: 'ubuntu', uptimeSeconds: 99, memory: { totalBytes: 8, availableBytes: 1 }, disks: [{ dev: 'sda', freeBytes: 2 }] };
    const exclude = ['uptimeSeconds', 'memory.availableBytes', 'disks.*.freeBytes'];
    expect(factsDigest(t1)).not.toBe(factsDigest(t2));
    expect(factsDigest(t1, { exclude })).toBe(factsDigest(t2, { exclude }));
    expect(factsDigest(t1, { exclude })).not.toBe(factsDigest({ ...t2, os: 'debian' }, { exclude }));
    expect(factsDigest(t1, { exclude })).toMatch(/^[0-9a-f]{64}$/);
  });
});
