// The bundle mends a few dependency hot spots (scripts/bundle-patches.mjs): each must still find
// its text in the package as installed, or an upgrade silently brings the cost back.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS } from '../../src/cli/commands.js';
// @ts-expect-error: a plain .mjs build script, without types
import { PATCHES } from '../../scripts/bundle-patches.mjs';

const require = createRequire(import.meta.url);
const patches = PATCHES as { pkg: string; sub: string; find: string; replace: string }[];

describe('bundle patches', () => {
  it.each(patches.map((p) => [`${p.pkg}/${p.sub}`, p] as const))('%s still holds the text it replaces, once', (_, p) => {
    const file = join(dirname(require.resolve(`${p.pkg}/package.json`)), p.sub);
    expect(readFileSync(file, 'utf8').split(p.find).length - 1).toBe(1);
  });

  it("oclif's command ids sort the same by code units as by localeCompare", () => {
    const ids = Object.keys(COMMAND_LOADERS);
    expect(ids.length).toBeGreaterThan(5);
    const byUnits = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(byUnits).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
  });
});
