import { randomUUID } from 'node:crypto';
import { Args, Command, Flags } from '@oclif/core';
import { ask } from '../cli/ask.js';
import { loadSpecOrExit } from '../cli/spec.js';
import { acceptNewHostKeysFlag } from '../cli/flags.js';
import { readLocalFiles } from '../cli/local-files.js';
import { compile } from '../resources/index.js';
import { resolvePlacement } from '../spec/topology.js';
import { hasChanges, type Plan } from '../plan/model.js';
import { factRequestFor } from '../plan/planner.js';
import { checkSavedAgainstSpec, loadSavedPlan } from '../plan/saved.js';
import { readSpecBytes } from '../spec/source.js';
import { HostPool } from '../transport/pool.js';
import { renderHuman, shouldColor } from '../views/index.js';
import { observeAndPlan } from './plan.js';
import { parseDuration } from '../apply/duration.js';
import { Progress, renderSummary } from '../apply/progress.js';
import { applyCluster, poolAccess, precheck } from '../apply/run.js';
import { selectTargets } from '../apply/select.js';
import { RunLog, DEFAULT_LOG_ROOT } from '../apply/runlog.js';
import { DEFAULT_PARALLELISM } from '../apply/walker.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';
import { sha256 } from '../resources/diff.js';

export default class Apply extends Command {
  static override summary = 'Carry out the plan: in parallel where the graph allows, verified, under a lock';
  static override description =
    'With -f, plans first (read-only), shows the plan and asks for confirmation (--auto-approve skips it). With a saved plan ' +
    '(`hactl plan --out plan.json`), shows it as `hactl show` does and applies it without asking, and refuses it when the spec or any host changed since. ' +
    'A resource starts once everything it depends on succeeded; a failure stops only what depends on it. After each ' +
    'resource that changed, the host is observed again and must match the spec. A lock on the first control-plane host ' +
    'keeps two applies apart. Ctrl-C starts nothing new and lets running resources finish; a second Ctrl-C aborts them.' +
    exitCodes({
      0: 'everything was applied (or nothing had to change)',
      1: `a resource failed or was not applied, the plan was refused or declined, an invalid spec or saved plan, or ${USAGE_ERROR}`,
    });
  static override examples = [
    '<%= config.bin %> apply -f cluster.yaml',
    '<%= config.bin %> apply -f cluster.yaml --auto-approve --target containerd --target lb-keepalived',
    '<%= config.bin %> apply plan.json',
  ];
  static override args = {
    plan: Args.string({ description: 'a plan saved with `hactl plan --out`', required: false }),
  };
  static override flags = {
    file: Flags.string({
      char: 'f',
      description: 'cluster spec file (default with a saved plan: the file it was made from); - reads standard input',
      helpValue: '<cluster.yaml>',
    }),
    'auto-approve': Flags.boolean({ description: 'apply without asking for confirmation', default: false }),
    parallelism: Flags.integer({
      description: `resources applied and hosts connected at once (default: ${DEFAULT_PARALLELISM} resources, the spec's ssh.parallelism connections)`,
      min: 1,
    }),
    target: Flags.string({
      description: 'apply only this resource (id such as containerd@cp1) or kind, with what it depends on (repeatable)',
      multiple: true,
      helpValue: '<id|kind>',
    }),
    'lock-timeout': Flags.string({ description: "how long to wait for another apply's lock (0s: fail at once)", default: '0s', helpValue: '<duration>' }),
    'log-dir': Flags.string({ description: `directory under which each run keeps its log directory (default ${DEFAULT_LOG_ROOT})`, helpValue: '<dir>' }),
    'resource-timeout': Flags.string({ description: 'limit per resource', default: '30m', helpValue: '<duration>' }),
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    let lockTimeoutMs: number;
    let resourceTimeoutMs: number;
    try {
      lockTimeoutMs = parseDuration(flags['lock-timeout']);
      resourceTimeoutMs = parseDuration(flags['resource-timeout']);
    } catch (e) {
      this.error((e as Error).message, { exit: 1 });
    }
    if (args.plan === undefined && flags.file === undefined) this.error('give a spec (-f cluster.yaml) or a saved plan (hactl apply plan.json)', { exit: 1 });

    let saved: Plan | undefined;
    if (args.plan !== undefined) {
      try {
        saved = await loadSavedPlan(args.plan);
      } catch (e) {
        this.logToStderr(`cannot apply ${args.plan}: ${(e as Error).message}`);
        this.exit(1);
      }
    }
    const specFile = flags.file ?? saved!.spec.file;
    const spec = await loadSpecOrExit(this, specFile, { dials: true });
    const specText = await readSpecBytes(specFile);
    const specSha256 = sha256(specText);
    const graph = compile(spec);
    const targets = flags.target ?? [];
    const parallelism = applyParallelism(flags.parallelism, spec.ssh.parallelism);
    // Before any host is contacted: a saved plan for another or an older spec, and targets that name nothing.
    if (saved !== undefined) {
      const mismatch = checkSavedAgainstSpec(saved, { file: specFile, sha256: specSha256, hosts: spec.hosts.map((h) => h.name) });
      if (mismatch.length > 0) return this.refuse(mismatch);
    }
    try {
      selectTargets(graph, targets);
    } catch (e) {
      return this.refuse([(e as Error).message]);
    }

    const localFiles = await readLocalFiles(spec, (m) => this.logToStderr(m));

    const request = factRequestFor(spec, graph);
    const pool = new HostPool({
      readOnly: false,
      parallelism: parallelism.connections,
      acceptNewHostKeys: flags['accept-new-host-keys'],
    });
    const access = poolAccess(pool, request, resolvePlacement(spec).controlPlane, resolvePlacement(spec).etcdHosts);
    const graceful = new AbortController();
    const hard = new AbortController();
    let progress: Progress | undefined;
    let interrupts = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      interrupts++;
      const say = (m: string) => (progress ? progress.note(m) : this.logToStderr(m));
      if (interrupts === 1) {
        say(`${sig}: starting nothing new; waiting for running resources to finish (again to abort them)`);
        graceful.abort(new Error(sig));
      } else {
        say(`${sig}: aborting running resources`);
        hard.abort(new Error(sig));
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    try {
      let plan: Plan;
      if (saved !== undefined) {
        plan = saved;
        const pre = precheck({ graph, plan, targets });
        if (pre.reasons.length > 0) return this.refuse(pre.reasons);
        // What `hactl show` renders: the saved plan was the approval, so no question follows.
        this.log(renderHuman(pre.plan ?? plan, { color: shouldColor(process.stdout, process.env) }).replace(/\n$/, ''));
      } else {
        // Plan now exactly as `hactl plan` does, through a read-only pool.
        const observer = new HostPool({ readOnly: true, parallelism: parallelism.observe, acceptNewHostKeys: flags['accept-new-host-keys'] });
        try {
          plan = await observeAndPlan({ spec, specFile, specText, pool: observer, env: process.env, localFiles });
        } finally {
          await observer.close();
        }
        const pre = precheck({ graph, plan, targets });
        const shown = pre.plan ?? plan;
        this.log(renderHuman(shown, { color: shouldColor(process.stdout, process.env) }).replace(/\n$/, ''));
        if (pre.reasons.length > 0) return this.refuse(pre.reasons);
        if (targets.length > 0)
          this.log(
            `\nOnly ${targets.join(', ')} and what ${targets.length === 1 ? 'it depends' : 'they depend'} on: the rest of the cluster is left as it is.`,
          );
        if (!hasChanges(shown)) {
          this.log('\nNothing to apply.');
          return;
        }
        if (!flags['auto-approve']) {
          if (!process.stdin.isTTY) {
            this.logToStderr(
              'refusing to apply without confirmation: stdin is not a terminal. Pass --auto-approve, or save the plan (hactl plan --out plan.json) and apply that.',
            );
            this.exit(1);
          }
          const answer = await ask(
            "\nDo you want to perform these actions?\n  hactl will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
            graceful.signal,
          );
          if (answer.trim() !== 'yes') {
            this.logToStderr('\nApply cancelled.');
            this.exit(1);
          }
        }
      }

      const log = new RunLog({ id: randomUUID(), ...(flags['log-dir'] !== undefined ? { root: flags['log-dir'] } : {}) });
      const hostOf = new Map(graph.nodes().map((id) => [id, graph.node(id).host]));
      progress = new Progress({ out: process.stdout, hostOf: (id) => hostOf.get(id) ?? id.split('@')[1] ?? '?', hosts: spec.hosts.map((h) => h.name) });
      const operation = saved !== undefined ? `apply ${args.plan}` : `apply -f ${specFile}${targets.map((t) => ` --target ${t}`).join('')}`;
      log.event(`${operation} (parallelism ${parallelism.resources})`);
      progress.start();
      let outcome;
      try {
        outcome = await applyCluster({
          spec,
          specSha256,
          graph,
          plan,
          targets,
          access,
          env: process.env,
          localFiles,
          operation,
          lock: { timeoutMs: lockTimeoutMs },
          parallelism: parallelism.resources,
          resourceTimeoutMs,
          log,
          onEvent: progress.onEvent,
          onStep: progress.onStep,
          note: (m) => progress!.note(m),
          signal: graceful.signal,
          abortRunning: hard.signal,
        });
      } catch (e) {
        progress.stop();
        log.event(`error: ${(e as Error).message}`);
        this.logToStderr(`Error: ${(e as Error).message}`);
        this.logToStderr(`Run log: ${log.dir}`);
        this.exit(1);
      }
      progress.stop();
      if (outcome.status === 'refused') {
        this.refuse(outcome.reasons);
        return;
      }
      const summary = renderSummary(outcome.result, outcome.plan, outcome.stoppedBy ? { stoppedBy: outcome.stoppedBy } : {});
      log.event(summary.trim().split('\n').join(' | '));
      this.log(`\n${summary.replace(/\n$/, '')}`);
      this.log(`Run log: ${log.dir}`);
      const r = outcome.result;
      if (r.failed.length + r.skipped.length + r.cancelled.length > 0) this.exit(1);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await pool.close();
    }
  }

  private refuse(reasons: string[]): never {
    this.logToStderr('\nhactl will not apply:');
    for (const r of reasons) this.logToStderr(`  - ${r}`);
    this.exit(1);
  }
}

/**
 * How much apply does at once. `--parallelism N` is a ceiling on everything (resources, connections,
 * the observation before it), below the spec's ssh.parallelism too; without it, resources run
 * DEFAULT_PARALLELISM at once over at least as many connections as the spec allows.
 */
export function applyParallelism(flag: number | undefined, sshParallelism: number): { resources: number; connections: number; observe: number } {
  if (flag !== undefined) return { resources: flag, connections: flag, observe: flag };
  return { resources: DEFAULT_PARALLELISM, connections: Math.max(DEFAULT_PARALLELISM, sshParallelism), observe: sshParallelism };
}
