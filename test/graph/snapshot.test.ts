// Snapshots of the graphs of the standard cluster shapes, as mermaid (reviewable on GitHub) and
// text (stages). A changed snapshot is a changed deployment order: review it as such.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/resources/index.js';
import { renderMermaid, renderText } from '../../src/graph/index.js';
import { buildSpec, SHAPES } from './spec-builder.js';

describe('graphs of the standard shapes', () => {
  for (const [name, topology] of Object.entries(SHAPES)) {
    it(name, async () => {
      const g = compile(buildSpec(topology));
      await expect(renderMermaid(g)).toMatchFileSnapshot(`__snapshots__/shapes/${name}.mmd`);
      await expect(renderText(g)).toMatchFileSnapshot(`__snapshots__/shapes/${name}.txt`);
    });
  }
});
