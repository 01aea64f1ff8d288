import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('precompiled schema validator', () => {
  it('is generated from the current schemas/cluster.schema.json (else: node scripts/gen-schema-validator.mjs)', () => {
    const fresh = execFileSync('node', ['scripts/gen-schema-validator.mjs', '--stdout'], { encoding: 'utf8' });
    const committed = readFileSync('src/spec/schema-validator.generated.ts', 'utf8');
    expect(committed === fresh, 'src/spec/schema-validator.generated.ts is stale: run node scripts/gen-schema-validator.mjs').toBe(true);
  });
});
