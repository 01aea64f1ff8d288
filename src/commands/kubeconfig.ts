import { Command, Flags } from '@oclif/core';
import { acceptNewHostKeysFlag, fileFlag } from '../cli/flags.js';
import { PrivateFileError, writePrivateFile } from '../cli/private-file.js';
import { loadSpecOrExit } from '../cli/spec.js';
import { resolvePlacement } from '../spec/topology.js';
import { KubeconfigError, fetchAdminKubeconfig } from '../kubeconfig/admin.js';
import type { Connect } from '../transport/pool.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class Kubeconfig extends Command {
  static override summary = "Fetch the cluster's admin kubeconfig, pointed at the control-plane endpoint (the VIP)";
  static override description =
    'Reads /etc/kubernetes/admin.conf from the first control-plane host (spec order) that has it, over a read-only ' +
    'connection, and sets its server to https://<controlPlaneEndpoint.host>:<port>, so that kubectl reaches the cluster ' +
    "through the load balancer whichever control-plane host is down. The file holds the cluster admin's private key: it is " +
    'written with mode 0600 (a new file, renamed into place), an existing file is replaced only with --force, and it goes to ' +
    'standard output only when asked with --out -.' +
    exitCodes({ 0: 'the kubeconfig was written', 1: `no control-plane host has it (each host's reason is printed), the file exists, or ${USAGE_ERROR}` });
  static override examples = [
    '<%= config.bin %> kubeconfig -f cluster.yaml',
    '<%= config.bin %> kubeconfig -f cluster.yaml --out ~/.kube/prod-a.conf && KUBECONFIG=~/.kube/prod-a.conf kubectl get nodes',
    '<%= config.bin %> kubeconfig -f cluster.yaml --out - | kubectl --kubeconfig /dev/stdin get nodes',
  ];
  static override flags = {
    file: fileFlag,
    out: Flags.string({ description: 'file to write (default: <cluster name>.kubeconfig); - prints it to standard output', helpValue: '<file>' }),
    force: Flags.boolean({ description: 'replace an existing file', default: false }),
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  /** Tests hand in their own connections. */
  static connect: Connect | undefined;

  async run(): Promise<void> {
    const { flags } = await this.parse(Kubeconfig);
    const spec = await loadSpecOrExit(this, flags.file);
    const out = flags.out ?? `${spec.name}.kubeconfig`;
    const { HostPool } = await import('../transport/pool.js');
    const connect = Kubeconfig.connect;
    const pool = new HostPool({ readOnly: true, parallelism: 1, acceptNewHostKeys: flags['accept-new-host-keys'], ...(connect ? { connect } : {}) });
    let fetched;
    try {
      fetched = await fetchAdminKubeconfig(spec, pool, resolvePlacement(spec).controlPlane);
    } catch (e) {
      if (!(e instanceof KubeconfigError)) throw e;
      this.logToStderr(`kubeconfig: ${e.message}`);
      this.exit(1);
    } finally {
      await pool.close();
    }
    for (const s of fetched.skipped) this.logToStderr(`${s.host}: ${s.reason}`);
    if (out === '-') {
      this.log(fetched.text.replace(/\n$/, ''));
      return;
    }
    let written;
    try {
      written = await writePrivateFile(out, fetched.text, { replace: flags.force });
    } catch (e) {
      this.logToStderr(`kubeconfig: cannot write ${out}: ${e instanceof PrivateFileError ? e.message : (e as Error).message}`);
      this.exit(1);
    }
    const replaced = written.replacedMode !== undefined ? `, replacing a file of mode 0${written.replacedMode.toString(8)}` : '';
    this.log(`wrote ${out} (mode 0600${replaced}): cluster '${spec.name}' at ${fetched.server}, from ${fetched.host}`);
  }
}
