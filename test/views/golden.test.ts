// Golden files: every view of every fixture compared byte for byte. Regenerate after an intended
// change with `UPDATE_GOLDEN=1 npx vitest run --config vitest.config.ts test/views` and review the diff.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderHuman } from '../../src/views/human.js';
import { renderJson } from '../../src/views/json.js';
import { renderMarkdown } from '../../src/views/markdown.js';
import { FIXTURES } from './fixtures.js';

const dir = new URL('./golden/', import.meta.url);
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string) {
  const file = new URL(name, dir);
  if (update) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(existsSync(file), `missing golden file ${name}; run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('golden views', () => {
  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`markdown: ${name}`, () => golden(`${name}.md`, renderMarkdown(make())));
    // The over-cap plan exists for the markdown cut; its full human and JSON forms would only be bulk.
    if (name === 'over-cap') continue;
    it(`human: ${name}`, () => golden(`${name}.human.txt`, renderHuman(make(), { color: false })));
    it(`json: ${name}`, () => golden(`${name}.json`, renderJson(make())));
  }
  it('human with colour: updates', () => golden('updates.human.ansi', renderHuman(FIXTURES.updates!(), { color: true })));
});
