// Every command of the CLI, and which one an argument list runs. The bundle (scripts/bundle.mjs)
// loads only that command's modules: validate never evaluates ssh2, and facts evaluates it only
// after its hosts are dialled (transport/dial.ts).
import type { Command } from '@oclif/core';

type CommandModule = { default: Command.Class };

/** Command ids as oclif knows them (a topic's commands as `topic:name`); test/cli checks the list against src/commands. */
export const COMMAND_LOADERS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  apply: () => import('../commands/apply.js'),
  bundle: () => import('../commands/bundle.js'),
  completion: () => import('../commands/completion.js'),
  drift: () => import('../commands/drift.js'),
  'etcd:restore': () => import('../commands/etcd/restore.js'),
  'etcd:snapshot': () => import('../commands/etcd/snapshot.js'),
  facts: () => import('../commands/facts.js'),
  'force-unlock': () => import('../commands/force-unlock.js'),
  graph: () => import('../commands/graph.js'),
  help: () => import('../commands/help.js'),
  import: () => import('../commands/import.js'),
  init: () => import('../commands/init.js'),
  kubeconfig: () => import('../commands/kubeconfig.js'),
  plan: () => import('../commands/plan.js'),
  reset: () => import('../commands/reset.js'),
  show: () => import('../commands/show.js'),
  validate: () => import('../commands/validate.js'),
  version: () => import('../commands/version.js'),
};

/** Commands that describe the others (help, completion scripts): they run with every command loaded. */
export const NEEDS_EVERY_COMMAND: ReadonlySet<string> = new Set(['completion', 'help']);

/**
 * The command `argv` runs, as oclif finds it: the longest run of leading words (up to the first
 * flag) that names a command, its words joined by spaces (`etcd snapshot`) or colons. Undefined
 * when none does (help, --version, a topic alone, a typo that oclif answers with suggestions).
 */
export function selectCommand(argv: readonly string[], ids: readonly string[]): string | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(...a.split(':'));
  }
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':');
    if (ids.includes(id)) return id;
  }
  return undefined;
}
