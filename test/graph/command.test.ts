// `hactl graph` in process: the command class run with argv, stdout and stderr captured.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateSpecYaml } from '../../bench/spec-generator.js';
import GraphCommand from '../../src/commands/graph.js';
import { compile } from '../../src/resources/index.js';
import { renderDot, renderMermaid, renderText } from '../../src/graph/index.js';
import { loadSpecFile } from '../../src/spec/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = join(root, 'examples/ha-stacked.yaml');

async function run(argv: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  // oclif writes through console.log / console.error (this.log, this.logToStderr).
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    stdout += format(...args) + '\n';
  });
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    stderr += format(...args) + '\n';
  });
  try {
    await GraphCommand.run(argv, root);
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('hactl graph', async () => {
  const spec = (await loadSpecFile(example)).spec!;
  const g = compile(spec);

  it('prints mermaid by default', async () => {
    const r = await run(['-f', example]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe(renderMermaid(g));
  });

  it.each([
    ['text', renderText(g)],
    ['dot', renderDot(g)],
    ['mermaid', renderMermaid(g)],
  ])('--format %s', async (format, expected) => {
    const r = await run(['-f', example, '--format', format]);
    expect(r.stdout).toBe(expected);
  });

  it('--group-by-host draws host subgraphs', async () => {
    const r = await run(['--file', example, '--group-by-host']);
    expect(r.stdout).toBe(renderMermaid(g, { groupByHost: true }));
    expect(r.stdout).toContain('subgraph host_cp1["cp1"]');
  });

  it('warns when a mermaid chart has more edges than mermaid renders, and still prints it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-graph-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(file, generateSpecYaml(80));
    const r = await run(['-f', file]);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toMatch(/^warning: \d+ dependencies: mermaid renders at most 500 by default/);
    expect(r.stdout.startsWith('flowchart TD\n')).toBe(true);
    expect((await run(['-f', file, '--format', 'text'])).stderr).toBe('');
    expect((await run(['-f', example])).stderr).toBe('');
  });

  it('rejects an unknown format', async () => {
    const r = await run(['-f', example, '--format', 'svg']);
    expect(String(r.error)).toMatch(/Expected --output=svg to be one of: mermaid, dot, text/);
    expect(r.stdout).toBe('');
  });

  it('prints the diagnostics of an invalid spec and exits 1 without a graph', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hactl-graph-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata: { name: x }\nhosts: []\n');
    const r = await run(['-f', file]);
    expect((r.error as { oclif?: { exit?: number } }).oclif?.exit).toBe(1);
    expect(r.stderr).toContain(`${file}:4:8: hosts:`);
    expect(r.stdout).toBe('');
  });
});

// The built CLI as users run it; `npm test` builds before the unit tests run.
const built = existsSync(join(root, 'dist/hactl.cjs'));
describe.skipIf(!built)('node bin/run.js graph (built CLI)', async () => {
  const bin = join(root, 'bin/run.js');
  const spec = (await loadSpecFile(example)).spec!;

  it('prints the graph and exits 0', () => {
    const r = spawnSync(process.execPath, [bin, 'graph', '-f', example, '--format', 'text'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(renderText(compile(spec)));
  });

  it('exits 1 on a spec that does not load', () => {
    const r = spawnSync(process.execPath, [bin, 'graph', '-f', join(root, 'examples/does-not-exist.yaml')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read the spec: no such file');
    expect(r.stdout).toBe('');
  });
});
