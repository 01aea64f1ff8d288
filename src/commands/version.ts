import { Command } from '@oclif/core';
import { outputFlagWith } from '../cli/flags.js';
import { buildInfo } from '../cli/build-info.js';
import { SUPPORTED_RANGE_TEXT } from '../spec/versions.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class Version extends Command {
  static override summary = "Print hactl's version, build and runtime";
  static override description =
    'The version, the commit the bundle was built from (marked "modified" when tracked files differed), the Node.js ' +
    'runtime and the Kubernetes versions this hactl supports. `--version` prints the one-line form.' +
    exitCodes({ 0: 'the version was printed', 1: USAGE_ERROR });
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json'];
  static override flags = {
    // `text` is the older name of `human`.
    output: outputFlagWith(['human', 'json', 'text'] as const, 'human'),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const build = buildInfo();
    const info = {
      version: this.config.version,
      ...build,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      kubernetes: { supported: SUPPORTED_RANGE_TEXT },
    };
    if (flags.output === 'json') {
      this.log(JSON.stringify(info, null, 2));
      return;
    }
    const commit =
      build.commit === undefined
        ? build.bundled
          ? 'unknown (not built from a git checkout)'
          : 'none (run from the sources)'
        : `${build.commit}${build.modified ? ' (modified)' : ''}`;
    this.log(
      [
        `${this.config.bin} ${info.version}`,
        `commit:     ${commit}`,
        `build:      ${build.bundled ? 'bundle (dist/hactl.cjs)' : 'TypeScript sources'}`,
        `node:       ${info.node} (${info.platform}-${info.arch})`,
        `kubernetes: ${info.kubernetes.supported}`,
      ].join('\n'),
    );
  }
}
