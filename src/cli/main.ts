// The bundle's entry (scripts/bundle.mjs, started by bin/run.js): oclif with only the command being
// run loaded, or every command when none is named (help, --version, suggestions for a typo).
import { flush, handle, run as runOclif, type Command } from '@oclif/core';
import { printable } from '../views/printable.js';
import { COMMAND_LOADERS, NEEDS_EVERY_COMMAND, selectCommand } from './commands.js';

/** oclif's `command_not_found` hook (package.json `oclif.hooks`): "did you mean". */
export { commandNotFound as COMMAND_NOT_FOUND } from './not-found.js';

/** What oclif's explicit command discovery reads (package.json `oclif.commands`): filled by `run`. */
export const COMMANDS: Record<string, Command.Class> = {};

/** The command `argv` runs, or undefined when it names none. */
export function commandOf(argv: readonly string[]): string | undefined {
  return selectCommand(argv, Object.keys(COMMAND_LOADERS));
}

/** Loads the commands `argv` needs into COMMANDS, then runs it with oclif (package root: `dir`). */
export async function run(argv: string[], dir: string): Promise<void> {
  await loadCommands(argv);
  // oclif's execute, with the error's message made printable: it may quote a flag or argument.
  await runOclif(argv, dir)
    .then(() => flush())
    .catch(async (error: unknown) => {
      if (error instanceof Error) error.message = printable(error.message, { lines: true });
      return handle(error as Error);
    });
}

async function loadCommands(argv: readonly string[]): Promise<void> {
  const id = commandOf(argv);
  const ids = id === undefined || NEEDS_EVERY_COMMAND.has(id) ? Object.keys(COMMAND_LOADERS) : [id];
  const modules = await Promise.all(ids.map((i) => COMMAND_LOADERS[i]!()));
  ids.forEach((i, n) => (COMMANDS[i] = modules[n]!.default));
}
