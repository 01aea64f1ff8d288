import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../../src/transport/quote.js';

/** What a real POSIX shell makes of the quoted word. */
function roundTrip(words: string[]): string[] {
  const out = execFileSync('sh', ['-c', `for a in ${shellJoin(words)}; do printf '%s\\0' "$a"; done`]);
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

const NASTY = [
  '',
  ' ',
  "'",
  "''",
  '"',
  '\\',
  '$HOME',
  '$(touch /tmp/hactl-pwned)',
  '`id`',
  'a b\tc\nd',
  "it's a 'test'",
  '*',
  '?',
  '~root',
  '-n',
  '--',
  ';rm -rf /',
  '&&',
  '|',
  '#comment',
  '!!',
  '{a,b}',
  'é ünïcödé 🚀',
  '\r\n',
  "'\"'\"'",
];

describe('shellQuote', () => {
  it('survives a real shell unchanged for nasty inputs', () => {
    expect(roundTrip(NASTY)).toEqual(NASTY);
  });

  it('survives a real shell for arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 5 },
        ),
        (words) => {
          expect(roundTrip(words)).toEqual(words);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leaves plain words readable and quotes everything else', () => {
    expect(shellQuote('/etc/hosts')).toBe('/etc/hosts');
    expect(shellQuote('kubelet=1.34.0-1.1')).toBe('kubelet=1.34.0-1.1');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(shellQuote('$x')).toBe("'$x'");
    expect(shellQuote('~')).toBe("'~'");
  });

  it('refuses NUL bytes, which no shell argument can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
