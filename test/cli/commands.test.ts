// The CLI's command list and which command an argument list runs (src/cli/commands.ts): the bundle
// loads only that command, so a wrong answer would leave oclif without the command it is asked for.
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Command } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS, NEEDS_EVERY_COMMAND, selectCommand } from '../../src/cli/commands.js';

const IDS = Object.keys(COMMAND_LOADERS);

describe('COMMAND_LOADERS', () => {
  it('has one entry per file in src/commands (a topic folder makes topic:name)', () => {
    const dir = join(import.meta.dirname, '..', '..', 'src', 'commands');
    const files = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, '').split(sep).join(':'));
    expect([...IDS].sort()).toEqual(files.sort());
  });

  it('loads a command class for each', async () => {
    for (const id of IDS) {
      const { default: cmd } = await COMMAND_LOADERS[id]!();
      expect(cmd.prototype, id).toBeInstanceOf(Command);
    }
  }, 60_000);
});

describe('selectCommand', () => {
  it.each([
    [['facts', '-f', 'cluster.yaml'], 'facts'],
    [['facts'], 'facts'],
    [['plan', 'extra', '-o', 'json'], 'plan'],
    [['etcd', 'snapshot', '-f', 'c.yaml'], 'etcd:snapshot'],
    [['etcd:restore', '--from', 'dir'], 'etcd:restore'],
    [['force-unlock', '-f', 'c.yaml', 'LOCK'], 'force-unlock'],
    // A flag ends the command's words: what follows is its value, not a command.
    [['validate', '-f', 'facts'], 'validate'],
  ] as const)('%j runs %s', (argv, id) => {
    expect(selectCommand(argv, IDS)).toBe(id);
  });

  it.each([[[]], [['--help']], [['--version']], [['etcd']], [['factz']], [['-f', 'facts']]] as const)(
    '%j names no command (oclif then needs them all)',
    (argv) => {
      expect(selectCommand(argv, IDS)).toBeUndefined();
    },
  );
});

describe('help and completion', () => {
  it.each([[['help', 'facts']], [['help']], [['completion', 'bash']]] as const)('%j runs with every command loaded', (argv) => {
    expect(NEEDS_EVERY_COMMAND.has(selectCommand(argv, IDS)!)).toBe(true);
  });
});

describe('the help of the commands users reach for first', () => {
  it('has a summary, examples, and says its exit status', async () => {
    for (const id of ['completion', 'help', 'init', 'kubeconfig', 'reset', 'show', 'version']) {
      const { default: cmd } = await COMMAND_LOADERS[id]!();
      expect(cmd.summary, id).toBeTruthy();
      expect(cmd.examples?.length, id).toBeGreaterThan(0);
      expect(cmd.description, id).toMatch(/Exit codes:\n {2}0 /);
    }
  }, 60_000);
});
