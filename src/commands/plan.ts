import { Command, Flags } from '@oclif/core';
import { loadSpecOrExit } from '../cli/spec.js';
import { acceptNewHostKeysFlag, fileFlag, observeParallelismFlag, outputFlagWith } from '../cli/flags.js';
import { compile } from '../resources/index.js';
import { hasChanges } from '../plan/model.js';
import { planSpecFile } from '../cli/observe.js';
import { savePlan } from '../plan/saved.js';
import { restrictPlan, selectTargets } from '../apply/select.js';
import { OUTPUT_FORMATS, renderHuman, renderPlan, shouldColor } from '../views/index.js';
import { renderHumanErrors } from '../views/human.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export { observeAndPlan } from '../cli/observe.js';

export default class Plan extends Command {
  static override summary = 'Observe the hosts (read-only) and show what apply would change';
  static override description =
    'Compiles the spec into its resource graph, probes every host once over a read-only connection and diffs each resource. ' +
    'With --target, only the targeted resources and what they depend on are shown and counted (every host is still observed); ' +
    'apply them with `hactl apply -f cluster.yaml --target ...`.' +
    exitCodes({
      0: 'the plan is complete: nothing would change, or (without --detailed-exitcode) something would',
      1: `errors (invalid spec, unreachable host, a failed check: the plan is incomplete; a --target that matches nothing), or ${USAGE_ERROR}`,
      2: 'with --detailed-exitcode: the plan is complete and something would change',
    });
  static override examples = [
    '<%= config.bin %> plan -f cluster.yaml',
    '<%= config.bin %> plan -f cluster.yaml -o markdown --out plan.json',
    '<%= config.bin %> plan -f cluster.yaml --detailed-exitcode',
    '<%= config.bin %> plan -f cluster.yaml --target worker3 --target kube-packages@cp1',
  ];
  static override flags = {
    file: fileFlag,
    output: outputFlagWith(OUTPUT_FORMATS, 'human'),
    out: Flags.string({ description: 'also save the plan as JSON for `hactl apply <file>`', helpValue: '<plan.json>' }),
    target: Flags.string({
      description: 'plan only this resource (id such as containerd@cp1), host or kind, with what it depends on (repeatable)',
      multiple: true,
      helpValue: '<id|host|kind>',
    }),
    'detailed-exitcode': Flags.boolean({ description: 'exit 2 when there are changes, 0 when there are none', default: false }),
    parallelism: observeParallelismFlag,
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    const spec = await loadSpecOrExit(this, flags.file, { dials: true });
    const targets = flags.target ?? [];
    // Checked before any host is contacted.
    let selected: Set<string> | undefined;
    if (targets.length > 0) {
      if (flags.out !== undefined) this.error('--out saves a whole plan; with --target, apply with `hactl apply -f ... --target ...` instead', { exit: 1 });
      try {
        selected = selectTargets(compile(spec), targets).ids;
      } catch (e) {
        this.logToStderr((e as Error).message);
        this.exit(1);
      }
    }
    const whole = await planSpecFile(spec, flags.file, flags, (m) => this.logToStderr(m));
    const plan = selected === undefined ? whole : restrictPlan(whole, selected);
    // Errors go to stderr (the human view leaves them out of stdout, where the plan is).
    const out =
      flags.output === 'human' ? renderHuman(plan, { color: shouldColor(process.stdout, process.env), errors: 'separate' }) : renderPlan(plan, flags.output);
    this.log(out.replace(/\n$/, ''));
    const errors = renderHumanErrors(plan, { color: shouldColor(process.stderr, process.env) });
    if (errors !== '') this.logToStderr(errors.replace(/\n$/, ''));

    const failed = plan.diagnostics.some((d) => d.severity === 'error');
    if (flags.out !== undefined) {
      if (failed) this.logToStderr(`not saving ${flags.out}: the plan has errors`);
      else await savePlan(plan, flags.out);
    }
    if (selected !== undefined)
      this.logToStderr(`Only ${targets.join(', ')} and what ${targets.length === 1 ? 'it depends' : 'they depend'} on: the rest of the cluster is not shown.`);
    if (failed) this.exit(1);
    if (flags['detailed-exitcode'] && hasChanges(plan)) this.exit(2);
  }
}
