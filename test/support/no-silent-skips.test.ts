import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unlistedSkips } from './no-silent-skips.js';

describe('no silent skips', () => {
  const skipped = [
    { file: 'test/a.test.ts', test: 'a > runs against etcd' },
    { file: 'test/b.test.ts', test: 'b > needs dist' },
  ];

  it('reports every skipped test that is not listed', () => {
    expect(unlistedSkips(skipped, [])).toEqual(['test/a.test.ts > a > runs against etcd', 'test/b.test.ts > b > needs dist']);
  });

  it('accepts a listed skip only with a reason', () => {
    const allowed = [
      { file: 'test/a.test.ts', test: 'a > runs against etcd', reason: 'etcd is not packaged for arm64 here' },
      { file: 'test/b.test.ts', test: 'b > needs dist', reason: ' ' },
    ];
    expect(unlistedSkips(skipped, allowed)).toEqual(['test/b.test.ts > b > needs dist']);
  });

  it('the allow-list gives a reason for each entry', () => {
    const allowed = JSON.parse(readFileSync(new URL('./allowed-skips.json', import.meta.url), 'utf8')) as { reason: string }[];
    for (const a of allowed) expect(a.reason.trim()).not.toBe('');
  });
});
