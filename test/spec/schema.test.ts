// Properties of schemas/cluster.schema.json itself.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Schema = Record<string, unknown>;
const schema = JSON.parse(readFileSync(new URL('../../schemas/cluster.schema.json', import.meta.url), 'utf8')) as Schema;

/** Every `pattern` in the schema, with the JSON pointer where it sits. */
function patterns(node: unknown, at = '#'): [string, RegExp][] {
  if (node === null || typeof node !== 'object') return [];
  const out: [string, RegExp][] = [];
  for (const [k, v] of Object.entries(node as Schema)) {
    if (k === 'pattern' && typeof v === 'string') out.push([at, new RegExp(v, 'u')]);
    else out.push(...patterns(v, `${at}/${k}`));
  }
  return out;
}

describe('cluster.schema.json', () => {
  it('is draft 2020-12 and every pattern carries a plain-words message', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const found = patterns(schema);
    expect(found.length).toBeGreaterThan(15);
    for (const [at] of found) {
      const parent = at
        .split('/')
        .slice(1)
        .reduce<unknown>((n, k) => (n as Schema)[k], schema) as Schema;
      expect(typeof parent['x-pattern-message'] === 'string' || typeof parent.maxLength === 'number', at).toBe(true);
    }
  });

  it('no pattern admits shell metacharacters, quotes, whitespace or command substitution', () => {
    const found = patterns(schema);
    const dangerous = fc
      .tuple(
        fc.string({ maxLength: 8 }),
        fc.constantFrom(';', '`', "'", '"', ' ', '\n', '\t', '&', '|', '<', '>', '$(', '\\', '*'),
        fc.string({ maxLength: 8 }),
      )
      .map(([a, bad, b]) => `${a}${bad}${b}`);
    fc.assert(
      fc.property(dangerous, (s) => {
        for (const [at, re] of found) {
          // Subject alt names may start with a wildcard label ("*.example.com"), which reaches only a certificate.
          if (at.includes('subjectAltName') && /^\*\.[a-z0-9.-]*$/.test(s)) continue;
          expect(re.test(s), `${at} admits ${JSON.stringify(s)}`).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
