// Drift views: golden files for every fixture (regenerate after an intended change with
// `UPDATE_GOLDEN=1 npx vitest run --config vitest.config.ts test/drift` and review the diff),
// and the properties every view must keep.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DRIFT_MARKDOWN_MARKER, renderDriftHuman, renderDriftMarkdown, renderDriftReport } from '../../src/drift/render.js';
import { GITHUB_COMMENT_LIMIT } from '../../src/views/markdown.js';
import { renderHuman } from '../../src/views/human.js';
import { diagnosticsAndUnreachable, overCap, updates } from '../views/fixtures.js';
import { REPORTS, report } from './fixtures.js';

const dir = new URL('./golden/', import.meta.url);

function golden(name: string, actual: string) {
  const file = new URL(name, dir);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(existsSync(file), `missing golden file ${name}; run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** Every fence opened is closed. */
function fencesBalanced(md: string): boolean {
  let open: string | undefined;
  for (const l of md.split('\n')) {
    const m = /^(`{3,})/.exec(l);
    if (!m) continue;
    if (open === undefined) open = m[1];
    else if (l === open) open = undefined;
  }
  return open === undefined;
}

describe('drift views (golden)', () => {
  for (const [name, make] of Object.entries(REPORTS)) {
    it(`markdown: ${name}`, () => golden(`${name}.md`, renderDriftMarkdown(make())));
    if (name === 'over-cap') continue;
    it(`human: ${name}`, () => golden(`${name}.human.txt`, renderDriftHuman(make(), { color: false })));
  }
});

describe('drift views', () => {
  it('say the same status in every format', () => {
    const r = REPORTS['no-changes']!();
    expect(renderDriftReport(r, 'human')).toContain('No drift: all 2 resources on 2 hosts match the spec.');
    expect(renderDriftReport(r, 'markdown')).toContain('**No drift: all 2 resources on 2 hosts match the spec.**');
    expect(JSON.parse(renderDriftReport(r, 'json'))).toEqual(r);
    expect(renderDriftReport(r, 'json', { compactJson: true }).trimEnd().split('\n')).toHaveLength(1);
  });

  it('show an unreachable host in every view, next to the drift found elsewhere', () => {
    const r = report(diagnosticsAndUnreachable());
    const human = renderDriftHuman(r, { color: false });
    expect(human).toContain('Host w3 (10.0.0.23) is unreachable: connect ETIMEDOUT 10.0.0.23:22 after 10 s');
    expect(human).toContain('kube-packages@cp1 differs from the spec');
    expect(human).toMatch(/Drift: 1 resource differs from the spec \(0 to add, 1 to change, 0 to destroy\)\. 1 host was not checked \(unreachable\)\.\n$/);
    const md = renderDriftMarkdown(r);
    expect(md).toContain('> [!CAUTION]');
    expect(md).toContain('> - `w3` (10.0.0.23): connect ETIMEDOUT');
    expect(md).toContain('# kube-packages@cp1 differs from the spec');
    expect(JSON.parse(renderDriftReport(r, 'json')).unreachableHosts).toHaveLength(1);
  });

  it('never show a secret', () => {
    const r = report(updates());
    for (const out of [renderDriftHuman(r, { color: true }), renderDriftMarkdown(r), renderDriftReport(r, 'json')]) {
      expect(out).not.toContain('hunter2-registry-pass');
      expect(out).not.toContain('old-pass-value');
    }
    expect(renderDriftHuman(r, { color: false })).toContain('~ registryPassword = (sensitive value)');
  });

  it('markdown starts with its marker, stays under the cap and says what it left out', () => {
    const plan = overCap(120);
    // The whole report would not fit in a GitHub comment or issue.
    expect(renderHuman(plan, { color: false }).length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const r = report(plan);
    for (const cap of [1_000, 10_000, 60_000, GITHUB_COMMENT_LIMIT - 1]) {
      const md = renderDriftMarkdown(r, { maxChars: cap });
      expect(md.startsWith(`${DRIFT_MARKDOWN_MARKER}\n`)).toBe(true);
      expect(md.length, `cap ${cap}`).toBeLessThanOrEqual(cap);
      expect(fencesBalanced(md), `cap ${cap}`).toBe(true);
      const m = /Report cut to fit \([\d,]+ characters\):\*\* (\d+) of (\d+) drifted resources not shown/.exec(md);
      expect(m, `cap ${cap}`).not.toBeNull();
      const shown = (md.match(/^# \S+ (differs|should not exist)/gm) ?? []).length;
      expect(Number(m![2])).toBe(132);
      expect(Number(m![1])).toBe(132 - shown);
      // Only a resource too big for the cap on its own is shown in part, and then said so.
      expect(md.includes('(and 1 shown only in part)'), `cap ${cap}`).toBe(cap === 1_000);
    }
    expect(() => renderDriftMarkdown(r, { maxChars: GITHUB_COMMENT_LIMIT })).toThrow(RangeError);
  });
});
