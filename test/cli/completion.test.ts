// The completion script, run by bash as it completes: command words, topics, flags, fixed values.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { bashCompletion, completionFlags, zshCompletion } from '../../src/cli/completion.js';
import Completion, { completionCommands } from '../../src/commands/completion.js';
import { runCommand } from './run-command.js';

let script: string;
beforeAll(async () => {
  script = bashCompletion('hactl', await completionCommands());
});

/** What bash offers for the words typed, the cursor on the last one. */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _hactl; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
  });
  if (r.stderr !== '') throw new Error(r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('bash completion', () => {
  it('completes command words and topics', () => {
    expect(complete('hactl', 'pl')).toEqual(['plan']);
    expect(complete('hactl', 'etcd', 's')).toEqual(['snapshot']);
    expect(complete('hactl', 'help', 'et')).toEqual(['etcd']);
    expect(complete('hactl', '')).toEqual(expect.arrayContaining(['apply', 'plan', 'show', 'version', 'help', 'completion', 'etcd']));
  });

  it("completes a command's flags, long and short, and --no- forms", () => {
    expect(complete('hactl', 'plan', '--ta')).toEqual(['--target']);
    expect(complete('hactl', 'etcd', 'snapshot', '--o')).toEqual(['--out', '--output']);
    expect(complete('hactl', 'apply', '-')).toEqual(expect.arrayContaining(['-f', '-h', '--auto-approve', '--help']));
  });

  it('completes the values of flags with a fixed set, and nothing (file names) for free values', () => {
    expect(complete('hactl', 'plan', '-o', '')).toEqual(['human', 'json', 'markdown']);
    expect(complete('hactl', 'plan', '-f', 'x.yaml', '--output', 'j')).toEqual(['json']);
    expect(complete('hactl', 'plan', '-f', '')).toEqual([]);
    expect(complete('hactl', 'completion', '')).toEqual([]);
  });

  it('refuses to put a word that is not plain into the script', () => {
    expect(() => bashCompletion('hactl', [{ words: 'plan', flags: completionFlags({ 'x$(id)': { type: 'boolean' } }) }])).toThrow(/not a plain word/);
  });

  it('zsh: the same function through bashcompinit', () => {
    const z = zshCompletion('hactl', [{ words: 'plan', flags: [] }]);
    expect(z).toMatch(/^#compdef hactl\n/);
    expect(z).toMatch(/autoload -U \+X bashcompinit && bashcompinit/);
    expect(z).toMatch(/complete -o default -F _hactl hactl/);
  });
});

describe('hactl completion', () => {
  it('prints the script for the shell asked', async () => {
    const r = await runCommand(Completion, ['bash']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(script);
  });

  it('an unknown shell is a usage error', async () => {
    const r = await runCommand(Completion, ['fish']);
    expect(r.code).not.toBe(0);
    expect(r.out).toBe('');
  });
});
