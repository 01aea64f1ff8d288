import { Args, Command, Flags } from '@oclif/core';
import { fileFlag } from '../cli/flags.js';
import { loadSpecOrExit } from '../cli/spec.js';
import { HostPool } from '../transport/pool.js';
import { ApplyLock, LockError } from '../apply/lock.js';
import { execOn, lockHostOf, poolAccess } from '../apply/run.js';
import { emptyRequest } from '../resources/resource.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class ForceUnlock extends Command {
  static override summary = 'Release the apply lock left by an apply that can no longer release it';
  static override description =
    'Removes the lock on the first control-plane host only if its ID is the one given (shown by the apply that is refused). ' +
    'Make sure its holder is really gone: two applies at once can break the cluster. A lock whose holder died expires on ' +
    'its own once it is no longer refreshed (30 s).' +
    exitCodes({ 0: 'the lock was removed', 1: `no lock with that ID, the lock host could not be reached, an invalid spec, or ${USAGE_ERROR}` });
  static override examples = ['<%= config.bin %> force-unlock -f cluster.yaml 0c4f1f7e-5d0b-4c49-9a55-2f1f0f3e9b11'];
  static override args = {
    id: Args.string({ description: 'the lock ID', required: true }),
  };
  static override flags = {
    file: fileFlag,
    'accept-new-host-keys': Flags.boolean({ description: 'record host keys not yet in known_hosts (trust on first use)', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ForceUnlock);
    const spec = await loadSpecOrExit(this, flags.file, { dials: true });
    const host = lockHostOf(spec);
    const pool = new HostPool({ readOnly: false, parallelism: 1, acceptNewHostKeys: flags['accept-new-host-keys'] });
    try {
      const lock = new ApplyLock(execOn(poolAccess(pool, emptyRequest()), host));
      const was = await lock.forceUnlock(args.id);
      this.log(
        `Released the apply lock ${args.id} on ${host.name}${was ? ` (held by ${was.holder}, pid ${was.pid}, operation "${was.operation}", since ${was.createdAt})` : ''}.`,
      );
    } catch (e) {
      this.logToStderr(e instanceof LockError ? e.message : `${host.name}: ${(e as Error).message}`);
      this.exit(1);
    } finally {
      await pool.close();
    }
  }
}
