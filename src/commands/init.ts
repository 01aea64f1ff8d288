import { writeFile } from 'node:fs/promises';
import { Command, Flags } from '@oclif/core';
import { printDiagnostics } from '../cli/spec.js';
import { loadSpec } from '../spec/index.js';
import { InitError, initSpec } from '../spec/init.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class Init extends Command {
  static override summary = 'Write a commented starting spec from a list of host addresses';
  static override description =
    'Roles follow the number of addresses: 1 is a single-node cluster; 2 a control plane and a worker; 3 or more give ' +
    'three control-plane hosts with stacked etcd behind a VIP (keepalived and haproxy on them) and the rest as workers ' +
    '(with exactly 3, the control planes run workloads too). Comments say what each part is and mark with CHECK what must be ' +
    'looked at (the VIP, when guessed, and the network interface). The spec is validated before it is written, and an ' +
    'existing file is never overwritten. Without --out, the spec goes to standard output.' +
    exitCodes({ 0: 'the spec was written', 1: `bad addresses, an existing --out file, or ${USAGE_ERROR}` });
  static override examples = [
    '<%= config.bin %> init --hosts 10.0.10.11 > dev.yaml',
    '<%= config.bin %> init --hosts 10.0.10.11,10.0.10.12,10.0.10.13,10.0.10.21 --vip 10.0.10.10 --name prod-a --out cluster.yaml',
  ];
  static override flags = {
    hosts: Flags.string({ description: 'host addresses, comma-separated (repeatable)', required: true, multiple: true, helpValue: '<addr,addr,...>' }),
    name: Flags.string({ description: 'cluster name (metadata.name)', default: 'cluster', helpValue: '<name>' }),
    vip: Flags.string({ description: 'the control-plane VIP, with 3 or more hosts (default: a guess the spec asks to check)', helpValue: '<address>' }),
    out: Flags.string({ description: 'write the spec to this file (never overwritten) instead of standard output', helpValue: '<cluster.yaml>' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const addresses = flags.hosts
      .flatMap((h) => h.split(','))
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const command = ['hactl init --hosts', addresses.join(','), ...(flags.vip !== undefined ? ['--vip', flags.vip] : []), '--name', flags.name].join(' ');
    let spec;
    try {
      spec = initSpec({
        name: flags.name,
        addresses,
        ...(flags.vip !== undefined ? { vip: flags.vip } : {}),
        kubernetesVersion: defaultKubernetesVersion(),
        command,
      });
    } catch (e) {
      if (!(e instanceof InitError)) throw e;
      this.logToStderr(`init: ${e.message}`);
      this.exit(1);
    }
    // What is written must pass `hactl validate`: a bad name or an address the spec refuses is caught here.
    const name = flags.out ?? '<init>';
    const checked = loadSpec(spec.text, flags.out ?? 'cluster.yaml');
    if (checked.spec === undefined) {
      printDiagnostics(
        this,
        checked.diagnostics.map((d) => ({ ...d, file: name })),
      );
      this.logToStderr('init: the spec these flags give is not valid; nothing written');
      this.exit(1);
    }
    if (flags.out === undefined) {
      this.log(spec.text.replace(/\n$/, ''));
    } else {
      try {
        await writeFile(flags.out, spec.text, { flag: 'wx', mode: 0o644 });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        this.logToStderr(`init: cannot write ${flags.out}: ${err.code === 'EEXIST' ? 'the file exists (init never overwrites a spec)' : err.message}`);
        this.exit(1);
      }
      this.logToStderr(`wrote ${flags.out}: cluster '${flags.name}', ${addresses.length} host${addresses.length === 1 ? '' : 's'}`);
    }
    for (const n of spec.notes) this.logToStderr(`check: ${n}`);
  }
}

/** The schema's default Kubernetes version, as the loader applies it. */
function defaultKubernetesVersion(): string {
  const minimal =
    'apiVersion: hactl.io/v1alpha1\nkind: Cluster\nmetadata: { name: x }\nhosts: [{ name: a, address: 10.0.0.1, roles: [control-plane, worker] }]\n';
  const spec = loadSpec(minimal, 'defaults.yaml').spec;
  if (spec === undefined) throw new Error('the schema defaults no longer load');
  return spec.kubernetes.version;
}
