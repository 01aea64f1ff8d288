import { Command, Flags } from '@oclif/core';
import { ApplyLock, LockError, LockHeldError, type HeldLock } from '../apply/lock.js';
import { execOn, lockHostOf, poolAccess } from '../apply/run.js';
import { ask } from '../cli/ask.js';
import { acceptNewHostKeysFlag, fileFlag } from '../cli/flags.js';
import { loadSpecOrExit } from '../cli/spec.js';
import { emptyRequest } from '../resources/resource.js';
import { planReset } from '../reset/plan.js';
import { renderResetOutcome, renderResetPlan } from '../reset/render.js';
import type { Connect } from '../transport/pool.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class Reset extends Command {
  static override summary = 'Tear the cluster down: kubeadm reset on every node, etcd data and load balancers removed';
  static override description =
    'Shows what will be removed on which host, then asks for `yes` (--auto-approve skips the question). Workers are reset ' +
    'first, in parallel; then the control-plane hosts one at a time, the first one last; then external etcd members and ' +
    'load-balancer hosts. On each node: kubeadm reset -f, the kubelet stopped and disabled, the CNI configuration and ' +
    "state, kubeadm's config and hactl's files, and (control-plane hosts with stacked etcd) the etcd data. etcd hosts lose " +
    "etcd's data, certificates and settings; load balancers keepalived's and the proxy's configuration (the VIP is " +
    'released). Packages, containerd, OS settings and the etcd snapshots taken before upgrades stay. Hosts that cannot be ' +
    "reached are named in the plan and skipped. apply's lock is held throughout: a running apply makes reset refuse. " +
    'Every step can run again, so a reset that stopped is finished by running it again.' +
    exitCodes({ 0: 'every host was reset', 1: `a host was unreachable or failed, the reset was not confirmed, or ${USAGE_ERROR}` });
  static override examples = ['<%= config.bin %> reset -f cluster.yaml', '<%= config.bin %> reset -f cluster.yaml --auto-approve'];
  static override flags = {
    file: fileFlag,
    'auto-approve': Flags.boolean({ description: 'reset without asking for confirmation', default: false }),
    parallelism: Flags.integer({ description: 'workers (and etcd or load-balancer hosts) reset at once (default: ssh.parallelism from the spec)', min: 1 }),
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  /** Tests hand in their own connections. */
  static connect: Connect | undefined;

  async run(): Promise<void> {
    const { flags } = await this.parse(Reset);
    const spec = await loadSpecOrExit(this, flags.file);
    const plan = planReset(spec);
    const { HostPool } = await import('../transport/pool.js');
    const { carryOutReset, findUnreachable } = await import('../reset/run.js');
    const parallelism = flags.parallelism ?? spec.ssh.parallelism;
    const connect = Reset.connect;
    const poolOptions = { parallelism, acceptNewHostKeys: flags['accept-new-host-keys'], ...(connect ? { connect } : {}) };

    const observer = new HostPool({ readOnly: true, ...poolOptions });
    let unreachable;
    try {
      unreachable = await findUnreachable(plan, observer);
    } finally {
      await observer.close();
    }
    this.log(renderResetPlan(plan, unreachable));
    if (unreachable.size === plan.hosts.length) {
      this.logToStderr('\nNothing can be reset: no host answered.');
      this.exit(1);
    }

    const interrupted = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      this.logToStderr(`${sig}: starting no new step; waiting for the running ones`);
      interrupted.abort(new Error(sig));
    };
    if (!flags['auto-approve']) {
      if (!process.stdin.isTTY) {
        this.logToStderr('refusing to reset without confirmation: stdin is not a terminal. Pass --auto-approve.');
        this.exit(1);
      }
      const answer = await ask(
        `\nDo you really want to destroy cluster '${spec.name}'?\n  Every host above loses its cluster state. There is no undo.\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: `,
        interrupted.signal,
      );
      if (answer.trim() !== 'yes') {
        this.logToStderr('\nReset cancelled.');
        this.exit(1);
      }
    }

    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const pool = new HostPool({ readOnly: false, ...poolOptions });
    let outcomes;
    let held: HeldLock | undefined;
    try {
      // apply's lock: no apply runs while the cluster is torn down. Its host is reset last of the
      // control-plane hosts, and the lock file is not among what reset removes.
      const lockTarget = lockHostOf(spec);
      if (unreachable.has(lockTarget.name)) {
        this.logToStderr(`warning: ${lockTarget.name} cannot be reached, so the apply lock is not taken`);
      } else {
        try {
          held = await new ApplyLock(execOn(poolAccess(pool, emptyRequest()), lockTarget)).acquire({
            operation: `reset -f ${flags.file}`,
            timeoutMs: 0,
            onLost: (reason) => {
              this.logToStderr(`the apply lock was lost (${reason}): starting no new step`);
              interrupted.abort(new Error(reason));
            },
          });
        } catch (e) {
          if (!(e instanceof LockHeldError || e instanceof LockError)) throw e;
          this.logToStderr(`hactl will not reset: ${e.message}`);
          this.exit(1);
        }
      }
      outcomes = await carryOutReset(plan, pool, {
        unreachable,
        parallelism,
        stepTimeoutMs: 10 * 60_000,
        onStep: (host, step) => this.logToStderr(`${host}: ${step}`),
        signal: interrupted.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await held?.release().catch((e: unknown) => this.logToStderr(`warning: the apply lock was not released: ${(e as Error).message}`));
      await pool.close();
    }
    this.log(`\n${renderResetOutcome(outcomes)}`);
    if (outcomes.some((o) => o.status !== 'reset')) this.exit(1);
  }
}
