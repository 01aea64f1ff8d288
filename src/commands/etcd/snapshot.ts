import { Command, Flags } from '@oclif/core';
import { acceptNewHostKeysFlag, fileFlag, outputFlag } from '../../cli/flags.js';
import { loadSpecOrExit } from '../../cli/spec.js';
import { exitCodes, USAGE_ERROR } from '../../cli/exit-codes.js';

export default class EtcdSnapshot extends Command {
  static override summary = "Save a verified etcd snapshot, with the cluster's CAs and service-account keys, to this machine";
  static override description =
    'Takes the snapshot on the first etcd member (in spec order) that answers a health check, checks it with `etcdctl snapshot status`, ' +
    "streams it here and compares its sha256 with the host's, and removes the temporary file on the host. Writes DIR/<cluster>-<UTC time>/ " +
    '(mode 0700) with etcd.db, pki/ (CAs and service-account keys, secret, 0600) and snapshot.json.' +
    exitCodes({ 0: 'the snapshot was saved and checked', 1: `no member is healthy, the snapshot did not check out, an invalid spec, or ${USAGE_ERROR}` });
  static override examples = ['<%= config.bin %> etcd snapshot -f cluster.yaml', '<%= config.bin %> etcd snapshot -f cluster.yaml --out /backup/etcd -o json'];
  static override flags = {
    file: fileFlag,
    out: Flags.string({ description: 'directory the snapshot directory is made in', default: './snapshots', helpValue: '<dir>' }),
    output: outputFlag,
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EtcdSnapshot);
    const spec = await loadSpecOrExit(this, flags.file, { dials: true });
    const [{ takeSnapshot, renderSnapshotSummary }, { sshConnections }] = await Promise.all([
      import('../../etcd/snapshot.js'),
      import('../../etcd/connections.js'),
    ]);
    const log = flags.output === 'json' ? undefined : (line: string) => this.logToStderr(line);
    const conns = sshConnections({ acceptNewHostKeys: flags['accept-new-host-keys'] });
    try {
      const r = await takeSnapshot(spec, { outDir: flags.out, connect: conns.connect, log });
      this.log(
        flags.output === 'json'
          ? JSON.stringify({ dir: r.dir, durationMs: r.durationMs, skipped: r.skipped, snapshot: r.record }, null, 2)
          : renderSnapshotSummary(r),
      );
    } catch (e) {
      this.logToStderr(`etcd snapshot failed: ${(e as Error).message}`);
      this.exit(1);
    } finally {
      await conns.close();
    }
  }
}
