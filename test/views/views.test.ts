import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPlan, type Plan } from '../../src/plan/model.js';
import { attr, fileChange, resourceChange, sha256, type ResourceChange } from '../../src/resources/diff.js';
import { validatePlanDocument } from '../../src/plan/saved.js';
import { renderHuman } from '../../src/views/human.js';
import { renderJson } from '../../src/views/json.js';
import { GITHUB_COMMENT_LIMIT, MARKDOWN_MARKER, renderMarkdown } from '../../src/views/markdown.js';
import { renderPlan, shouldColor } from '../../src/views/index.js';
import { FIXTURES, overCap } from './fixtures.js';

const ESC = '\u001b[';

describe('json view', () => {
  it('validates against schemas/plan.schema.json for every fixture', () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      const doc = JSON.parse(renderJson(make())) as unknown;
      expect(validatePlanDocument(doc), name).toEqual([]);
    }
  });

  it('is the model itself, versioned', () => {
    const plan = FIXTURES.updates!();
    expect(JSON.parse(renderJson(plan))).toEqual(plan);
    expect(renderJson(plan).startsWith('{\n  "formatVersion": 1,')).toBe(true);
  });

  it('the example in docs/plan-format.md is a valid plan', () => {
    const doc = readFileSync(new URL('../../docs/plan-format.md', import.meta.url), 'utf8');
    const example = /## Example\n\n```json\n([\s\S]*?)\n```/.exec(doc);
    expect(example).not.toBeNull();
    expect(validatePlanDocument(JSON.parse(example![1]!))).toEqual([]);
  });

  it('a document the schema rejects is caught (the schema is not vacuous)', () => {
    const doc = JSON.parse(renderJson(FIXTURES.updates!())) as { changes: { action: string }[] };
    doc.changes[0]!.action = 'mutate';
    expect(validatePlanDocument(doc).length).toBeGreaterThan(0);
    const doc2 = JSON.parse(renderJson(FIXTURES.updates!())) as Record<string, unknown>;
    doc2.extra = 1;
    expect(validatePlanDocument(doc2).length).toBeGreaterThan(0);
  });
});

describe('human view', () => {
  it('uses colour only when told to', () => {
    const plan = FIXTURES['replace-destroy']!();
    expect(renderHuman(plan, { color: false })).not.toContain(ESC);
    expect(renderHuman(plan, { color: true })).toContain(ESC);
    // Same text once the escapes are gone.
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour escapes (ESC [ ... m)
    expect(renderHuman(plan, { color: true }).replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderHuman(plan, { color: false }));
  });

  it('closes with the Terraform summary or "No changes."', () => {
    expect(renderHuman(FIXTURES['creates-only']!(), { color: false })).toMatch(/\nPlan: 3 to add, 0 to change, 0 to destroy\.\n$/);
    expect(renderHuman(FIXTURES['no-changes']!(), { color: false })).toBe('No changes. The cluster matches the spec.\n');
  });

  it('says plainly that an unreachable host was not planned, even with no changes', () => {
    const plan = buildPlan({
      createdAt: '2026-11-22T00:00:00.000Z',
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [{ name: 'w3', address: '10.0.0.23', unreachable: 'no route to host' }],
      changes: [],
    });
    const out = renderHuman(plan, { color: false });
    expect(out).toContain('Host w3 (10.0.0.23) was not observed: no route to host');
    expect(out).not.toContain('matches the spec');
    expect(out).not.toContain('No changes');
  });
});

describe('markdown view', () => {
  it('carries the bot marker, the summary and a destroy banner', () => {
    const md = renderMarkdown(FIXTURES['replace-destroy']!());
    expect(md.startsWith(`${MARKDOWN_MARKER}\n`)).toBe(true);
    expect(md).toContain('**Plan:** 1 to add, 0 to change, 3 to destroy');
    expect(md).toContain('> [!WARNING]');
    expect(md).toContain('`join-control-plane@cp3` destroyed');
    expect(renderMarkdown(FIXTURES.updates!())).not.toContain('[!WARNING]');
  });

  it('stays under the cap, closes what it opened and says what it left out', () => {
    const plan = overCap(120);
    for (const cap of [2_000, 10_000, 60_000, GITHUB_COMMENT_LIMIT - 1]) {
      const md = renderMarkdown(plan, { maxChars: cap });
      expect(md.length).toBeLessThanOrEqual(cap);
      expect(balanced(md), `cap ${cap}`).toBe(true);
      const m = /:warning: \*\*Plan cut to fit a comment \([\d,]+ characters\):\*\* (\d+) of (\d+) changed resources not shown/.exec(md);
      expect(m, `cap ${cap}`).not.toBeNull();
      const shown = (md.match(/^# \S+ (will be|must be)/gm) ?? []).length;
      expect(Number(m![2])).toBe(132);
      expect(Number(m![1])).toBe(132 - shown);
    }
  });

  it('cuts inside one huge resource only when nothing else could be shown, and closes its fence', () => {
    const big = Array.from({ length: 5_000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n') + '\n';
    const plan = buildPlan({
      createdAt: '2026-11-22T00:00:00.000Z',
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [{ name: 'cp1', address: '10.0.0.11' }],
      changes: [resourceChange({ id: 'cni', kind: 'cni', host: 'cp1' }, { files: [fileChange({ path: '/etc/cni/manifest.yaml', before: null, after: big })] })],
    });
    const md = renderMarkdown(plan, { maxChars: 5_000 });
    expect(md.length).toBeLessThanOrEqual(5_000);
    expect(balanced(md)).toBe(true);
    expect(md).toContain('0 of 1 changed resources not shown (and 1 shown only in part)');
  });

  it('uses a fence no content can close early', () => {
    const plan = buildPlan({
      createdAt: '2026-11-22T00:00:00.000Z',
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [{ name: 'cp1', address: '10.0.0.11' }],
      changes: [resourceChange({ id: 'cni', kind: 'cni', host: 'cp1' }, { files: [fileChange({ path: '/README', before: 'a\n', after: '```\n````\n' })] })],
    });
    const md = renderMarkdown(plan);
    expect(md).toContain('\n`````diff\n');
    expect(balanced(md)).toBe(true);
  });

  it('does not cut a plan that fits', () => {
    for (const make of Object.values(FIXTURES).slice(0, 5)) expect(renderMarkdown(make())).not.toContain('Plan cut');
  });

  it('refuses a cap at or over GitHub’s limit', () => {
    expect(() => renderMarkdown(FIXTURES.updates!(), { maxChars: GITHUB_COMMENT_LIMIT })).toThrow(RangeError);
  });
});

/** Every fence closed by an equal fence and every <details> closed. */
function balanced(md: string): boolean {
  let fence: string | undefined;
  let details = 0;
  for (const line of md.split('\n')) {
    if (fence) {
      if (line === fence) fence = undefined;
      continue;
    }
    const open = /^(`{3,})\w*$/.exec(line);
    if (open) fence = open[1];
    else if (line.startsWith('<details>')) details++;
    else if (line === '</details>') details--;
  }
  return fence === undefined && details === 0;
}

describe('secrets never reach a view', () => {
  // Secrets of any characters, long enough that they are not ordinary words of the views.
  const secretArb = fc.string({ minLength: 8, maxLength: 40, unit: 'binary' }).filter((s) => s.trim().length >= 8);

  // Secrets enter a plan only where they are marked: sensitive attributes, sensitive files and the
  // secret fields of a file's syntax. Nothing searches the plan's text for them afterwards.
  const TOKEN_FIELD = { pattern: /^(token: )[^\n]*/gm };
  function planWith(secret: string, other: string): Plan {
    const changes: ResourceChange[] = [
      resourceChange(
        { id: 'kubeadm-init', kind: 'kubeadm-init', host: 'cp1' },
        {
          action: 'create',
          reason: 'the token was rotated',
          attributes: [attr('bootstrapToken', undefined, secret, { sensitive: true }), attr('certificateKey', other, secret, { sensitive: true })],
          files: [
            fileChange({ path: '/etc/kubernetes/hactl/join.env', before: `TOKEN=${other}\n`, after: `TOKEN=${secret}\n`, sensitive: true }),
            fileChange({
              path: '/etc/kubernetes/hactl/kubeadm.yaml',
              before: `a: 1\ntoken: ${JSON.stringify(other)}\n`,
              after: `a: 1\ntoken: ${JSON.stringify(secret)}\n`,
              secretFields: [TOKEN_FIELD],
            }),
          ],
          steps: ['kubeadm token create'],
        },
      ),
    ];
    return buildPlan({
      createdAt: '2026-11-22T00:00:00.000Z',
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [{ name: 'cp1', address: '10.0.0.11' }],
      changes,
    });
  }

  const views = (p: Plan) => [renderHuman(p, { color: false }), renderHuman(p, { color: true }), renderJson(p), renderMarkdown(p)];

  it('in human, json or markdown output', () => {
    const baseline = views(planWith('PLACEHOLDER-SECRET-A', 'PLACEHOLDER-SECRET-B')).join('\n');
    fc.assert(
      fc.property(secretArb, secretArb, (secret, other) => {
        // A secret that is already part of the views' fixed wording cannot be told apart from it.
        // Lines of a multi-line secret reach diffs one by one, so they must not show either.
        const fragments = [secret, other].flatMap((s) => s.split(/\r?\n|\r/).filter((l) => l.trim().length >= 4));
        const needles = [secret, other, ...fragments];
        fc.pre(needles.every((n) => !baseline.includes(n)) && !secret.includes(other) && !other.includes(secret));
        for (const out of views(planWith(secret, other))) {
          for (const n of needles) expect(out).not.toContain(n);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the test would catch a leak: without masking the secret shows', () => {
    const secret = 'zq9-very-secret-token';
    const leaky = buildPlan({
      createdAt: '2026-11-22T00:00:00.000Z',
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [],
      changes: [
        resourceChange(
          { id: 'kubeadm-init', kind: 'kubeadm-init', host: 'cp1' },
          { action: 'update', files: [fileChange({ path: '/etc/k.yaml', before: null, after: `token: ${secret}\n` })] },
        ),
      ],
    });
    expect(renderHuman(leaky, { color: false })).toContain(secret);
    expect(renderHuman(planWith(secret, 'another-secret-9'), { color: false })).not.toContain(secret);
  });
});

describe('renderPlan / shouldColor', () => {
  it('picks the view by format', () => {
    const plan = FIXTURES.updates!();
    expect(renderPlan(plan, 'json')).toBe(renderJson(plan));
    expect(renderPlan(plan, 'markdown', { maxChars: 3_000 })).toBe(renderMarkdown(plan, { maxChars: 3_000 }));
    expect(renderPlan(plan, 'human')).toBe(renderHuman(plan, { color: false }));
    expect(renderPlan(plan, 'human', { color: true })).toContain(ESC);
  });

  it('colours only a TTY without NO_COLOR', () => {
    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({}, {})).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });
});

describe('markdown long lines', () => {
  it('cuts a single huge line instead of letting it fill the comment', () => {
    const plan = buildPlan({
      createdAt: '2026-11-22T00:00:00.000Z',
      spec: { file: 'c.yaml', sha256: sha256('') },
      hosts: [{ name: 'cp1', address: '10.0.0.11' }],
      changes: [
        resourceChange({ id: 'cni', kind: 'cni', host: 'cp1' }, { files: [fileChange({ path: '/m.js', before: null, after: 'y'.repeat(50_000) + '\n' })] }),
      ],
    });
    const md = renderMarkdown(plan);
    expect(md).toContain('… (line cut, 50001 characters)');
    expect(md).not.toContain('Plan cut');
    expect(md.length).toBeLessThan(3_000);
  });
});

describe('markdown cap on random plans', () => {
  it('is never exceeded, never leaves a fence or <details> open, and counts what it left out', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 2_000, max: GITHUB_COMMENT_LIMIT - 1 }), (hosts, cap) => {
        const plan = overCap(hosts);
        const md = renderMarkdown(plan, { maxChars: cap });
        expect(md.length).toBeLessThanOrEqual(cap);
        expect(balanced(md)).toBe(true);
        const total = plan.changes.filter((c) => c.action !== 'no-op').length;
        const shown = (md.match(/^# \S+ (will be|must be)/gm) ?? []).length;
        const m = /\*\* (\d+) of (\d+) changed resources not shown/.exec(md);
        if (shown === total) expect(m).toBeNull();
        else expect([Number(m![1]), Number(m![2])]).toEqual([total - shown, total]);
      }),
      { numRuns: 40 },
    );
  });
});
