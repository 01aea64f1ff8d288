// "Did you mean": oclif's `command_not_found` hook (package.json `oclif.hooks`), and the same answer
// for `hactl help <typo>`. A mistyped command is a usage error: exit 1.
import { Errors, type Hook, type Interfaces } from '@oclif/core';
import { closest } from '../spec/suggest.js';

type CommandList = Pick<Interfaces.Config, 'bin' | 'commandIDs' | 'topics'>;

// Words people bring from other tools, mapped to ours.
const COMMAND_ALIASES: Readonly<Record<string, string>> = {
  destroy: 'reset',
  teardown: 'reset',
  autocomplete: 'completion',
  completions: 'completion',
  config: 'kubeconfig',
  check: 'validate',
};

/** Commands and topics as typed (`etcd snapshot`, not `etcd:snapshot`). */
function typedNames(config: CommandList): string[] {
  const ids = [...config.commandIDs, ...config.topics.map((t) => t.name)];
  return [...new Set(ids.map((id) => id.replaceAll(':', ' ')))].sort();
}

/** The message for a command id that names nothing: what was typed, the likely one, where the list is. */
export function notFoundMessage(id: string, config: CommandList): string {
  const typed = id.replaceAll(':', ' ');
  const names = typedNames(config);
  const alias = COMMAND_ALIASES[typed.toLowerCase()];
  const guess = alias !== undefined && names.includes(alias) ? alias : closest(typed, names);
  const hint = guess !== undefined ? ` Did you mean ${config.bin} ${guess}?` : '';
  return `${config.bin} ${typed}: no such command.${hint} Run ${config.bin} help for the list.`;
}

export const commandNotFound: Hook<'command_not_found'> = function (opts) {
  return Promise.reject(new Errors.CLIError(notFoundMessage(opts.id, opts.config), { exit: 1 }));
};
