// test/ mirrors src/: each folder of tests is named after the src/ folder it tests, besides the
// folders that test no one folder (the host lab, the tests against it, shared helpers, fixtures,
// the benchmarks' own checks).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const OWN = ['lab', 'e2e', 'support', 'fixtures', 'bench'];
const folders = (dir: string): string[] =>
  readdirSync(fileURLToPath(new URL(dir, import.meta.url)), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

describe('test/', () => {
  it('has a folder only for a folder of src/ (or one of its own)', () => {
    const src = new Set(folders('../../src/'));
    expect(folders('../').filter((d) => !src.has(d) && !OWN.includes(d))).toEqual([]);
  });
});
