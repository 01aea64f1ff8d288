import { Args, Command } from '@oclif/core';
import { outputFlagWith } from '../cli/flags.js';
import { loadSavedPlan } from '../plan/saved.js';
import { OUTPUT_FORMATS, renderPlan, shouldColor } from '../views/index.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class Show extends Command {
  static override summary = 'Show a saved plan (hactl plan --out plan.json) without contacting any host';
  static override description =
    'Renders the plan file as `hactl plan` showed it when it was saved: the same human view `hactl apply plan.json` prints ' +
    'before it applies, the plan document itself (json) or a pull-request comment (markdown). No host is contacted and ' +
    'the spec is not read, so a plan can be reviewed where it was copied to.' +
    exitCodes({ 0: 'the plan was shown', 1: `the file is missing or not a hactl plan, or ${USAGE_ERROR}` });
  static override examples = [
    '<%= config.bin %> show plan.json',
    '<%= config.bin %> show plan.json -o markdown > comment.md',
    '<%= config.bin %> show plan.json -o json | jq \'.changes[] | select(.action != "no-op") | .id\'',
  ];
  static override args = {
    plan: Args.string({ description: 'a plan saved with `hactl plan --out`', required: true }),
  };
  static override flags = {
    // `text`, the older name of `human`, is still taken (cli/flags.ts OUTPUT_ALIASES).
    output: outputFlagWith(OUTPUT_FORMATS, 'human'),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Show);
    let plan;
    try {
      plan = await loadSavedPlan(args.plan);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.logToStderr(`cannot show ${args.plan}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      this.exit(1);
    }
    this.log(renderPlan(plan, flags.output, { color: shouldColor(process.stdout, process.env) }).replace(/\n$/, ''));
  }
}
