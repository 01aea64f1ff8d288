import { Args, Command, Errors, loadHelpClass } from '@oclif/core';
import type { HelpOptions } from '@oclif/core/interfaces';
import { notFoundMessage } from '../cli/not-found.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class HelpCommand extends Command {
  static override summary = 'Show help for hactl or for one of its commands';
  static override description =
    'The same text as `hactl COMMAND --help` (or -h).' +
    exitCodes({ 0: 'the help was printed', 1: `no such command (the nearest one is named), or ${USAGE_ERROR}` });
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help plan', '<%= config.bin %> help etcd snapshot'];
  static override args = { command: Args.string({ description: 'the command (or topic) to explain', required: false }) };
  // A command of several words: `help etcd snapshot`.
  static override strict = false;

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const words = (argv as string[]).filter((a) => !a.startsWith('-'));
    if (words.length > 0) {
      const id = words.join(':');
      const known = this.config.findCommand(id) ?? this.config.findTopic(id);
      if (known === undefined) throw new Errors.CLIError(notFoundMessage(id, this.config), { exit: 1 });
    }
    const Help = await loadHelpClass(this.config);
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? (this.config.pjson.helpOptions as HelpOptions | undefined)).showHelp(words);
  }
}
