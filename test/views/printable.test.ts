// Terminal injection: every message that quotes input (a spec, what a host reported) is escaped
// before it reaches a terminal.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/model.js';
import { attr, fileChange, resourceChange, sha256 } from '../../src/resources/diff.js';
import { renderHuman, renderMarkdown } from '../../src/views/index.js';
import { printable, printableDeep } from '../../src/views/printable.js';

const HOSTILE = 'a\x1b]0;pwned\x07b\x1b[2J\x00c\x9bd\u202ee\x7f';

describe('printable', () => {
  it('escapes C0, DEL, C1 and direction overrides, and nothing else', () => {
    expect(printable(HOSTILE)).toBe('a\\x1b]0;pwned\\x07b\\x1b[2J\\x00c\\x9bd\\u{202e}e\\x7f');
    expect(printable('ünïcødé /etc/hosts "x"')).toBe('ünïcødé /etc/hosts "x"');
    expect(printable('a\nb\tc')).toBe('a\\x0ab\\x09c');
    expect(printable('a\nb\tc', { lines: true })).toBe('a\nb\tc');
  });

  it('maps every string of a plain value, keeping the lines of diffs and messages', () => {
    expect(printableDeep({ name: 'x\ny', diff: '-a\n+b\x1b\n', list: ['\x00'], n: 1 })).toEqual({
      name: 'x\\x0ay',
      diff: '-a\n+b\\x1b\n',
      list: ['\\x00'],
      n: 1,
    });
  });
});

describe('plan views render host-observed strings escaped', () => {
  const plan = buildPlan({
    createdAt: '2026-11-22T00:00:00.000Z',
    spec: { file: 'c.yaml', sha256: sha256('') },
    hosts: [
      { name: 'cp1', address: '10.0.0.11' },
      { name: 'w1', address: '10.0.0.21', unreachable: `ssh: ${HOSTILE}` },
    ],
    changes: [
      resourceChange(
        { id: 'os-prep@cp1', kind: 'os-prep', host: 'cp1' },
        {
          reason: `observed ${HOSTILE}`,
          attributes: [attr('hostname', HOSTILE, 'cp1')],
          files: [fileChange({ path: '/etc/motd', before: `${HOSTILE}\n`, after: 'hello\n' })],
        },
      ),
    ],
    diagnostics: [{ severity: 'warning', host: 'cp1', message: `kernel says ${HOSTILE}` }],
  });

  it.each([
    ['human', () => renderHuman(plan, { color: false })],
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour escapes (ESC [ ... m)
    ['human (colour)', () => renderHuman(plan, { color: true }).replace(/\x1b\[[0-9;]*m/g, '')],
    ['markdown', () => renderMarkdown(plan)],
  ])('%s', (_name, render) => {
    const out = render();
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(out).toContain('\\x1b]0;pwned\\x07');
  });
});
