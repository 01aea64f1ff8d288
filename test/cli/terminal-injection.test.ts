// `hactl validate` quotes the spec in its messages: control characters from the spec (ESC
// sequences, NUL) are escaped, never written to the terminal. Runs the built CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hactl-escape-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hactl = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { encoding: 'utf8' });
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('node bin/run.js (built CLI): validate escapes what it quotes', () => {
  it('a key and a value with ESC sequences and NUL', () => {
    const file = join(dir, 'hostile.yaml');
    writeFileSync(file, 'apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: "a\\e[31mb\\0c"\n"foo\\e]0;pwned\\a": 1\n');
    const r = hactl('validate', '-f', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown key 'foo\\x1b]0;pwned\\x07'");
    expect(r.stderr + r.stdout).not.toMatch(CONTROL);
  });

  it('a file name with an ESC sequence', () => {
    const r = hactl('validate', '-f', join(dir, 'x\x1b[2Jy.yaml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('x\\x1b[2Jy.yaml');
    expect(r.stderr + r.stdout).not.toMatch(CONTROL);
  });

  it('an unknown flag with an ESC sequence', () => {
    const r = hactl('validate', '--bo\x1b[2Jgus');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--bo\\x1b[2Jgus');
    // eslint-disable-next-line no-control-regex -- strips the ANSI colour escapes (ESC [ ... m)
    expect(r.stderr.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(CONTROL);
  });
});
