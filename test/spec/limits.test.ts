// Input limits: a spec over 4 MiB is refused with a clear error before it is parsed (or, from a
// file, read); duplicate keys are still found without yaml's quadratic check.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpec, loadSpecFile, MAX_SPEC_BYTES } from '../../src/spec/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = 'apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: big\n';
const padded = (bytes: number) => BASE + '#'.repeat(bytes - BASE.length - 1) + '\n';

describe('spec size cap', () => {
  it('is 4 MiB', () => expect(MAX_SPEC_BYTES).toBe(4 * 1024 * 1024));

  it('refuses a larger spec with its size, as one error', () => {
    const r = loadSpec(padded(MAX_SPEC_BYTES + 1), 'big.yaml');
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        file: 'big.yaml',
        line: 1,
        col: 1,
        path: '(file)',
        message: `the spec is ${MAX_SPEC_BYTES + 1} bytes; hactl reads specs of at most ${MAX_SPEC_BYTES} bytes (4 MiB)`,
      },
    ]);
  });

  it('counts bytes, not characters', () => {
    const text = BASE + '# ' + 'é'.repeat(MAX_SPEC_BYTES / 2) + '\n';
    expect(text.length).toBeLessThan(MAX_SPEC_BYTES);
    expect(loadSpec(text, 'big.yaml').diagnostics[0]!.message).toContain('hactl reads specs of at most');
  });

  it('lets a spec at the cap through to the checks', () => {
    const r = loadSpec(padded(MAX_SPEC_BYTES), 'edge.yaml');
    expect(r.diagnostics.some((d) => d.message.includes('at most'))).toBe(false);
  });

  it('refuses a larger file before reading it', async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, padded(MAX_SPEC_BYTES + 10));
    const r = await loadSpecFile(file);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toBe(`the spec is ${MAX_SPEC_BYTES + 10} bytes; hactl reads specs of at most ${MAX_SPEC_BYTES} bytes (4 MiB)`);
  });
});

describe('duplicate keys', () => {
  it('are reported where the second one is, in any mapping, merge keys aside', () => {
    const text = `${BASE}hosts:\n  - name: a\n    address: 10.0.0.1\n    name: b\n    roles: [worker]\nmetadata: {}\n`;
    const dups = loadSpec(text, 'd.yaml').diagnostics.filter((d) => d.message.includes('a key appears twice'));
    expect(dups.map((d) => [d.line, d.col])).toEqual([
      [8, 5],
      [10, 1],
    ]);
    const merged = loadSpec(`${BASE}x: &a { p: 1 }\ny:\n  <<: *a\n  q: 2\n`, 'm.yaml').diagnostics;
    expect(merged.some((d) => d.message.includes('a key appears twice'))).toBe(false);
  });
});
