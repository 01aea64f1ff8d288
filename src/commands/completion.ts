import { Args, Command } from '@oclif/core';
import type { FlagInput } from '@oclif/core/interfaces';
import { COMMAND_LOADERS } from '../cli/commands.js';
import { bashCompletion, completionFlags, zshCompletion, type CompletionCommand } from '../cli/completion.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export const SHELLS = ['bash', 'zsh'] as const;

export default class Completion extends Command {
  static override summary = 'Print a shell completion script (bash or zsh)';
  static override description =
    "Completes command names, topics (etcd snapshot), each command's flags, the values of flags with a fixed set " +
    "(-o human|json|markdown) and file names. The script is generated from this hactl's commands: generate it again " +
    'after an upgrade.' +
    exitCodes({ 0: 'the script was printed', 1: `an unknown shell, or ${USAGE_ERROR}` });
  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/<%= config.bin %>',
    "echo 'source <(<%= config.bin %> completion zsh)' >> ~/.zshrc",
  ];
  static override args = {
    shell: Args.string({ description: 'the shell', options: [...SHELLS], required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const commands = await completionCommands();
    const script = args.shell === 'zsh' ? zshCompletion(this.config.bin, commands) : bashCompletion(this.config.bin, commands);
    this.log(script.replace(/\n$/, ''));
  }
}

/** Every command with its flags, from the command classes themselves (oclif leaves `flags` unset on a command without any). */
export async function completionCommands(): Promise<CompletionCommand[]> {
  const ids = Object.keys(COMMAND_LOADERS).sort();
  const modules = await Promise.all(ids.map((id) => COMMAND_LOADERS[id]!()));
  return ids.map((id, i) => ({ words: id.replaceAll(':', ' '), flags: completionFlags((modules[i]!.default.flags as FlagInput | undefined) ?? {}) }));
}
