import { Command, Flags } from '@oclif/core';
import { loadSpecOrExit } from '../cli/spec.js';
import { acceptNewHostKeysFlag, fileFlag, observeParallelismFlag, outputFlag } from '../cli/flags.js';
import { EarlyDials } from '../transport/dial.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class Facts extends Command {
  static override summary = 'Observe the hosts (read-only) and print what hactl knows about them';
  static override description =
    'One SSH connection and one probe command per host. Unreachable hosts are reported with the reason while the others ' +
    'are still shown.' +
    exitCodes({ 0: 'every host was observed', 1: `a host could not be observed, an invalid spec, an unknown --host, or ${USAGE_ERROR}` });
  static override examples = ['<%= config.bin %> facts -f cluster.yaml', '<%= config.bin %> facts -f cluster.yaml --host cp1 -o json'];
  static override flags = {
    file: fileFlag,
    output: outputFlag,
    host: Flags.string({ description: 'only this host (repeatable)', multiple: true, helpValue: '<name>' }),
    parallelism: observeParallelismFlag,
    'accept-new-host-keys': acceptNewHostKeysFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Facts);
    const spec = await loadSpecOrExit(this, flags.file, { dials: true });
    let hosts = spec.hosts;
    if (flags.host?.length) {
      const unknown = flags.host.filter((h) => !hosts.some((x) => x.name === h));
      if (unknown.length) this.error(`no such host in ${flags.file}: ${unknown.join(', ')}`, { exit: 1 });
      hosts = hosts.filter((h) => flags.host!.includes(h.name));
    }
    const parallelism = flags.parallelism ?? spec.ssh.parallelism;
    // The hosts start accepting while ssh2 loads (dial.ts).
    const dials = EarlyDials.start(hosts, parallelism);
    let results;
    let renderFactsSummary;
    try {
      // Loaded here, not at the top: ssh2 and the parsers are evaluated only after the spec is
      // known good and the dials are out.
      const [{ HostPool }, { gatherFacts }, summary] = await Promise.all([
        import('../transport/pool.js'),
        import('../facts/gather.js'),
        import('../facts/summary.js'),
      ]);
      renderFactsSummary = summary.renderFactsSummary;
      // Observation only: the pool hands out read-only transports.
      const pool = new HostPool({ readOnly: true, parallelism, acceptNewHostKeys: flags['accept-new-host-keys'], dials });
      try {
        results = await gatherFacts(hosts, pool);
      } finally {
        await pool.close();
      }
    } finally {
      dials.close();
    }
    if (flags.output === 'json') {
      const out = results.map((r) => {
        const address = hosts.find((h) => h.name === r.host)?.address;
        return r.ok
          ? { name: r.host, address, reachable: true, durationMs: r.durationMs, clockSkewSeconds: r.clockSkewSeconds, facts: r.facts }
          : { name: r.host, address, reachable: false, reason: r.reason, error: r.error.name };
      });
      this.log(JSON.stringify({ hosts: out }, null, 2));
    } else {
      this.log(renderFactsSummary(results, Object.fromEntries(hosts.map((h) => [h.name, h.address]))));
    }
    if (results.some((r) => !r.ok)) this.exit(1);
  }
}
