// The built CLI (dist/hactl.cjs through bin/run.js) as users first meet it: -h and help everywhere,
// "did you mean" for a mistyped command (exit 1, a usage error), version, and the completion script.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(root, 'dist/hactl.cjs'));
const hactl = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

describe.skipIf(!built)('the built CLI: help, suggestions, version', () => {
  it.each([['plan'], ['etcd', 'snapshot'], ['show']])('%j: -h, --help and `help` print the same help, exit 0', (...words) => {
    const long = hactl([...words, '--help']);
    expect(long.status, long.err).toBe(0);
    expect(long.out).toMatch(/USAGE[\s\S]*EXAMPLES/);
    expect(hactl([...words, '-h'])).toEqual(long);
    expect(hactl(['help', ...words])).toEqual(long);
  });

  it('the root help lists the commands', () => {
    const r = hactl(['help']);
    expect(r.status).toBe(0);
    for (const c of ['plan', 'apply', 'show', 'version', 'completion', 'help']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(hactl(['-h']).out).toBe(r.out);
  });

  it.each([
    [['plna'], 'hactl plna: no such command. Did you mean hactl plan?'],
    [['aply', '-f', 'x.yaml'], 'Did you mean hactl apply?'],
    [['etcd', 'snapshto'], 'Did you mean hactl etcd snapshot?'],
    [['help', 'valdate'], 'Did you mean hactl validate?'],
  ])('%j: did you mean, exit 1', (argv, text) => {
    const r = hactl(argv);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.replace(/\s*\n\s*›\s*/g, ' ')).toContain(text);
  });

  it('a word close to no command: no guess, still exit 1', () => {
    const r = hactl(['xyzzyplugh']);
    expect(r.status).toBe(1);
    expect(r.err).not.toMatch(/Did you mean/);
    expect(r.err).toMatch(/no such command/);
  });

  it('version: the package version, the build commit and Node; -o json', () => {
    const human = hactl(['version']);
    expect(human.status).toBe(0);
    expect(human.out).toMatch(/^hactl \d+\.\d+\.\d+\ncommit: +[0-9a-f]{40}( \(modified\))?\nbuild: +bundle/);
    const json = JSON.parse(hactl(['version', '-o', 'json']).out) as Record<string, unknown>;
    expect(json).toMatchObject({ bundled: true, node: process.version, platform: process.platform, arch: process.arch });
    expect(json.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(hactl(['--version']).out).toMatch(/^hactl\/\d+\.\d+\.\d+ /);
  });

  it('completion bash: a script bash loads, completing commands', () => {
    const r = hactl(['completion', 'bash']);
    expect(r.status).toBe(0);
    const bash = spawnSync('bash', ['-c', `${r.out}\nCOMP_WORDS=(hactl sh); COMP_CWORD=1; _hactl; echo "\${COMPREPLY[*]}"; complete -p hactl`], {
      encoding: 'utf8',
    });
    expect(bash.stderr).toBe('');
    expect(bash.stdout).toBe('show\ncomplete -o default -F _hactl hactl\n');
  });
});
