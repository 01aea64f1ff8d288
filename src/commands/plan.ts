import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Command, Flags } from '@oclif/core';
import { loadSpecOrExit } from '../cli/spec.js';
import { acceptNewHostKeysFlag, fileFlag, observeParallelismFlag, outputFlagWith } from '../cli/flags.js';
import { readLocalFiles } from '../cli/local-files.js';
import { gatherClusterFacts } from '../facts/cluster.js';
import { gatherFacts } from '../facts/gather.js';
import { compile, resolvePlacement } from '../graph/compile.js';
import { hasChanges, type Plan as PlanModel } from '../plan/model.js';
import { factRequestFor, planCluster, type HostObservation } from '../plan/planner.js';
import { savePlan } from '../plan/saved.js';
import type { ClusterSpec } from '../spec/types.js';
import { HostPool } from '../transport/pool.js';
import { OUTPUT_FORMATS, renderPlan, shouldColor } from '../views/index.js';

/**
 * Observe every host through `pool` (which must be read-only) and plan. The command's whole
 * conversation with the hosts, apart so a test can hand it a pool that records every call.
 */
export async function observeAndPlan(opts: {
  spec: ClusterSpec;
  specFile: string;
  specText: string | Buffer;
  pool: HostPool;
  env: Readonly<Record<string, string | undefined>>;
  localFiles: ReadonlyMap<string, string>;
}): Promise<PlanModel> {
  if (!opts.pool.readOnly) throw new Error('plan observes hosts through a read-only pool only');
  const graph = compile(opts.spec);
  const results = await gatherFacts(opts.spec.hosts, opts.pool, factRequestFor(opts.spec, graph));
  const facts = new Map<string, HostObservation>(
    results.map((r) => [r.host, r.ok ? { ok: true, facts: r.facts, clockSkewSeconds: r.clockSkewSeconds } : { ok: false, reason: r.reason }]),
  );
  // What the API server says (nodes, DaemonSets, leases), from a control-plane host with admin.conf.
  const observed = new Map(results.flatMap((r) => (r.ok ? [[r.host, r.facts] as const] : [])));
  const cluster = await gatherClusterFacts(resolvePlacement(opts.spec).controlPlane, observed, opts.pool);
  return planCluster({
    spec: opts.spec,
    specFile: opts.specFile,
    specSha256: createHash('sha256').update(opts.specText).digest('hex'),
    graph,
    facts,
    env: opts.env,
    localFiles: opts.localFiles,
    ...(cluster.ok ? { clusterFacts: cluster.facts } : cluster.host !== undefined ? { clusterFactsError: `${cluster.host}: ${cluster.reason}` } : {}),
  });
}

export default class Plan extends Command {
  static override summary = 'Observe the hosts (read-only) and show what apply would change';
  static override description =
    'Compiles the spec into its resource graph, probes every host once over a read-only connection and diffs each resource. ' +
    'Exit status: 0 when nothing would change (or without --detailed-exitcode), 2 with --detailed-exitcode when something would, ' +
    '1 on errors (invalid spec, unreachable host, a failed check).';
  static override examples = [
    '<%= config.bin %> plan -f cluster.yaml',
    '<%= config.bin %> plan -f cluster.yaml -o markdown --out plan.json',
    '<%= config.bin %> plan -f cluster.yaml --detailed-exitcode',
  ];
  static override flags = {
    file: fileFlag,
    output: outputFlagWith(OUTPUT_FORMATS, 'human'),
    out: Flags.string({ description: 'also save the plan as JSON for `hactl apply <file>`', helpValue: '<plan.json>' }),
    'detailed-exitcode': Flags.boolean({ description: 'exit 2 when there are changes, 0 when there are none', default: false }),
    parallelism: observeParallelismFlag,
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    const spec = await loadSpecOrExit(this, flags.file);
    const specText = await readFile(flags.file);

    const localFiles = await readLocalFiles(spec, (m) => this.logToStderr(m));

    // Observation only: the pool hands out read-only transports, and the probe is the only command.
    const pool = new HostPool({
      readOnly: true,
      parallelism: flags.parallelism ?? spec.ssh.parallelism,
      acceptNewHostKeys: flags['accept-new-host-keys'],
    });
    let plan: PlanModel;
    try {
      plan = await observeAndPlan({ spec, specFile: flags.file, specText, pool, env: process.env, localFiles });
    } finally {
      await pool.close();
    }
    const out = renderPlan(plan, flags.output, { color: shouldColor(process.stdout, process.env) });
    this.log(out.replace(/\n$/, ''));

    const failed = plan.diagnostics.some((d) => d.severity === 'error');
    if (flags.out !== undefined) {
      if (failed) this.logToStderr(`not saving ${flags.out}: the plan has errors`);
      else await savePlan(plan, flags.out);
    }
    if (failed) this.exit(1);
    if (flags['detailed-exitcode'] && hasChanges(plan)) this.exit(2);
  }
}
