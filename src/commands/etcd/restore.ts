import { Command, Flags } from '@oclif/core';
import { acceptNewHostKeysFlag, fileFlag } from '../../cli/flags.js';
import { loadSpecOrExit } from '../../cli/spec.js';
import { exitCodes, USAGE_ERROR } from '../../cli/exit-codes.js';

export default class EtcdRestore extends Command {
  static override summary = 'Prepare fresh hosts to start the cluster again from a snapshot of `hactl etcd snapshot`';
  static override description =
    "Checks the snapshot directory (sha256, PKI files) against the spec (same cluster, stacked etcd, the snapshot's Kubernetes version), " +
    'refuses hosts that hold a cluster or etcd data (--force moves it aside, never deletes it), and puts the snapshot, the CAs and ' +
    'service-account keys and a marker on the first control-plane host. The next `hactl apply` restores the data there as a single ' +
    'etcd member, runs kubeadm init on it with the old CAs, and joins the other hosts. See docs/etcd-backup.md.' +
    exitCodes({
      0: 'the first control-plane host is prepared',
      1: `a snapshot that does not check out or fit the spec, hosts that hold a cluster (without --force), an unreachable host, an invalid spec, or ${USAGE_ERROR}`,
    });
  static override examples = [
    '<%= config.bin %> etcd restore -f cluster.yaml --from snapshots/prod-20261122T143501Z',
    '<%= config.bin %> apply -f cluster.yaml',
  ];
  static override flags = {
    file: fileFlag,
    from: Flags.string({ description: 'snapshot directory written by hactl etcd snapshot', required: true, helpValue: '<dir>' }),
    force: Flags.boolean({ description: 'move an existing /etc/kubernetes and etcd data aside (renamed) instead of refusing', default: false }),
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EtcdRestore);
    const spec = await loadSpecOrExit(this, flags.file, { dials: true });
    const [{ prepareRestore, renderRestoreSummary }, { sshConnections }] = await Promise.all([
      import('../../etcd/restore.js'),
      import('../../etcd/connections.js'),
    ]);
    const conns = sshConnections({ acceptNewHostKeys: flags['accept-new-host-keys'] });
    try {
      const r = await prepareRestore(spec, { from: flags.from, force: flags.force, connect: conns.connect, log: (l) => this.logToStderr(l) });
      this.log(renderRestoreSummary(r));
    } catch (e) {
      this.logToStderr(`etcd restore failed: ${(e as Error).message}`);
      this.exit(1);
    } finally {
      await conns.close();
    }
  }
}
