// Times validate (loadSpec: YAML parse, schema, semantic checks) of a spec padded with growing
// numbers of unknown keys, and prints the time per key and the ratio between sizes: linear when
// the ratio of times stays near the ratio of sizes. Prints figures; never fails on them.
//
//   npx tsx bench/validate-keys.ts            10k, 20k, 40k, 80k keys
//   npx tsx bench/validate-keys.ts 100000     one size

import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadSpec, MAX_SPEC_BYTES } from '../src/spec/index.js';

const BASE = `apiVersion: hactl.io/v1alpha1
kind: Cluster
metadata:
  name: bench
hosts:
  - { name: cp1, address: 10.0.0.11, roles: [control-plane] }
`;

/** The base spec plus `keys` unknown top-level keys (each one a diagnostic, the worst case). */
function specWith(keys: number): string {
  const lines = [BASE];
  for (let i = 0; i < keys; i++) lines.push(`k${i}: ${i}\n`);
  return lines.join('');
}

const arg = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const sizes = arg.length > 0 ? arg : [10_000, 20_000, 40_000, 80_000];
console.log(`validate with N unknown keys (load average ${loadavg()[0]!.toFixed(2)}; specs over ${MAX_SPEC_BYTES} bytes are refused)`);
console.log('keys\tbytes\tms\tµs/key\tratio to previous (size ratio 2 = linear at 2.0)');
let prev: number | undefined;
for (const n of sizes) {
  const text = specWith(n);
  loadSpec(specWith(100), 'warm.yaml');
  const t0 = performance.now();
  const r = loadSpec(text, 'bench.yaml');
  const ms = performance.now() - t0;
  const ratio = prev !== undefined ? (ms / prev).toFixed(2) : '-';
  console.log(`${n}\t${text.length}\t${ms.toFixed(0)}\t${((ms * 1000) / n).toFixed(1)}\t${ratio}\t(${r.diagnostics.length} diagnostics)`);
  prev = ms;
}
