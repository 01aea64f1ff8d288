// `-f -`: the spec from standard input, named <stdin> in diagnostics, its relative paths resolved
// from the current directory; read once (the loader and the plan's sha256 see the same bytes); a
// terminal is refused rather than waited on.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import Validate from '../../src/commands/validate.js';
import { loadSpecFile } from '../../src/spec/index.js';
import { readSpecBytes } from '../../src/spec/source.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-stdin-'));
mkdirSync(join(dir, 'manifests'));
writeFileSync(join(dir, 'manifests/cni.yaml'), 'kind: List\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = [
  'apiVersion: hactl.io/v1alpha1',
  'kind: Cluster',
  'metadata: { name: piped }',
  'hosts:',
  '  - { name: cp1, address: 10.0.0.11, roles: [control-plane, worker] }',
  'cni: { plugin: manifest, manifest: ./manifests/cni.yaml }',
  '',
].join('\n');

function pipeIn(text: string, isTTY = false) {
  const stream = Object.assign(Readable.from([Buffer.from(text)]), { isTTY });
  vi.spyOn(process, 'stdin', 'get').mockReturnValue(stream as unknown as typeof process.stdin);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('-f -', () => {
  it('loads the spec from stdin; relative paths resolve from the current directory', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    pipeIn(SPEC);
    const r = await loadSpecFile('-');
    expect(r.diagnostics).toEqual([]);
    expect(r.spec?.cni.manifest).toBe(join(dir, 'manifests/cni.yaml'));
  });

  it('names the spec <stdin> in diagnostics, and a missing relative file is looked up in the current directory', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(tmpdir());
    pipeIn(SPEC);
    const r = await loadSpecFile('-');
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics).toEqual([expect.objectContaining({ file: '<stdin>', line: 6, message: `file not found: ${join(tmpdir(), 'manifests/cni.yaml')}` })]);
  });

  it('reads stdin once: every reader gets the same bytes', async () => {
    const stream = Readable.from([Buffer.from(SPEC)]);
    const first = await readSpecBytes('-', stream);
    expect(await readSpecBytes('-', stream)).toBe(first);
    expect(first.toString()).toBe(SPEC);
  });

  it('validate -f -: the verdict names <stdin>; a terminal is refused with the reason, exit 1', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(dir);
    pipeIn(SPEC);
    const ok = await runCommand(Validate, ['-f', '-']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^<stdin>: valid: cluster 'piped', 1 hosts, Kubernetes \d/);

    pipeIn(SPEC, true);
    const tty = await runCommand(Validate, ['-f', '-']);
    expect(tty.code).toBe(1);
    expect(tty.err).toMatch(/<stdin>:1:1: \(file\): cannot read the spec: standard input is a terminal; pipe the spec in/);
  });
});
