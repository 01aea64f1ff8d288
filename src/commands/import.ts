import { access, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Command, Flags } from '@oclif/core';
import { acceptNewHostKeysFlag } from '../cli/flags.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';
import { printable } from '../views/printable.js';
import { renderAdoption } from '../import/adoption.js';
import { ImportRefusal } from '../import/infer.js';
import { InventoryError, parseInventory } from '../import/inventory.js';
import type { ImportTarget } from '../import/run.js';
import { parseIp } from '../spec/net.js';
import { EarlyDials } from '../transport/dial.js';

export default class Import extends Command {
  static override summary = 'Write a cluster spec for a running kubeadm-built cluster, observed read-only, for hactl to adopt';
  static override description =
    'Reads every host over SSH without changing anything: static pod manifests, the kubelet config, the etcd, haproxy, nginx, ' +
    "keepalived and kube-vip configs, containerd and its registry mirrors, package sources, certificates, and the cluster's own " +
    'records (nodes, DaemonSets, the kubeadm-config ConfigMap). It writes a spec whose inferred values carry a comment saying what ' +
    'they were inferred from, leaves alone (and says so) what hactl does not manage, then plans that spec with the real planner on ' +
    'the same hosts and lists the adoption changes the first plan will show, each with what it does and how to avoid it. ' +
    'A first plan that would replace, restart or remove anything of the control plane or etcd is refused, as are hosts of two ' +
    'clusters, unreachable hosts, clusters not built with kubeadm (k3s, RKE2, binary installs) and hosts without Kubernetes: ' +
    'then nothing is written. Give every host of the cluster (a spec without some would plan their removal). ' +
    'The load balancer (keepalived with haproxy or nginx, kube-vip) is left alone unless --manage-load-balancer: taking it over ' +
    'rewrites its configuration and restarts keepalived, which moves the VIP. See docs/import.md.' +
    exitCodes({ 0: 'the spec was written', 1: `nothing was written: bad input (see above), the file exists, or ${USAGE_ERROR}` });
  static override examples = [
    '<%= config.bin %> import --hosts 10.0.0.11,10.0.0.12,10.0.0.13 --ssh-user root --ssh-key ~/.ssh/id_ed25519 -o cluster.yaml',
    '<%= config.bin %> import --inventory inventory/mycluster/hosts.yaml --ssh-user ubuntu --ssh-key ~/.ssh/id_ed25519',
    '<%= config.bin %> import --inventory /etc/kubeasz/clusters/k8s-01/hosts --ssh-user root --ssh-key ~/.ssh/id_rsa --manage-load-balancer',
  ];
  static override flags = {
    hosts: Flags.string({ description: 'addresses of every host of the cluster, comma-separated', helpValue: '<addr,addr,...>', exclusive: ['inventory'] }),
    inventory: Flags.string({
      description: 'an Ansible inventory (INI or YAML, as kubespray and kubeasz ship) naming the hosts',
      helpValue: '<file>',
      exclusive: ['hosts'],
    }),
    'ssh-user': Flags.string({ description: 'SSH user on every host (sudo -n is used when not root)', default: 'root', helpValue: '<user>' }),
    'ssh-key': Flags.string({ description: 'SSH private key file (default: ssh-agent)', helpValue: '<file>' }),
    'ssh-port': Flags.integer({ description: 'SSH port on every host', default: 22, min: 1, max: 65535 }),
    'known-hosts': Flags.string({ description: 'known_hosts file to verify host keys against', default: '~/.ssh/known_hosts', helpValue: '<file>' }),
    'accept-new-host-keys': acceptNewHostKeysFlag,
    out: Flags.string({
      char: 'o',
      description: 'where to write the spec (never overwritten without --force)',
      default: 'cluster.yaml',
      helpValue: '<cluster.yaml>',
    }),
    name: Flags.string({ description: "the cluster's name in the spec (default: from the control-plane endpoint)", helpValue: '<name>' }),
    'manage-load-balancer': Flags.boolean({
      description: 'take over keepalived + haproxy/nginx or kube-vip (their configs are rewritten and keepalived restarts: the VIP moves once)',
      default: false,
    }),
    force: Flags.boolean({ description: 'overwrite the spec and key files if they exist', default: false }),
    parallelism: Flags.integer({ description: 'hosts observed at once (default 10)', min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Import);
    const fail = (message: string): never => {
      this.logToStderr(printable(message, { lines: true }));
      this.logToStderr('import: nothing was written');
      return this.exit(1);
    };
    if (flags.hosts === undefined && flags.inventory === undefined) fail('import: give the hosts with --hosts ADDR,ADDR,... or --inventory FILE');

    // Hosts, checked before any is contacted.
    let targets: ImportTarget[];
    if (flags.inventory !== undefined) {
      let text = '';
      try {
        text = await readFile(flags.inventory, 'utf8');
      } catch (e) {
        fail(`import: cannot read the inventory ${flags.inventory}: ${(e as Error).message}`);
      }
      try {
        const hosts = parseInventory(text, flags.inventory);
        targets = hosts.map((h) => ({ address: h.address, name: h.name }));
        for (const h of hosts) {
          if (h.user !== undefined && h.user !== flags['ssh-user'])
            this.logToStderr(
              `import: ${h.name}: the inventory's ansible_user=${h.user} is not used; every host is reached as ${flags['ssh-user']} (--ssh-user)`,
            );
          if (h.port !== undefined && h.port !== flags['ssh-port'])
            this.logToStderr(
              `import: ${h.name}: the inventory's ansible_port=${h.port} is not used; every host is reached on port ${flags['ssh-port']} (--ssh-port)`,
            );
        }
      } catch (e) {
        if (e instanceof InventoryError) fail(`import: ${e.message}`);
        throw e;
      }
    } else {
      const addresses = flags
        .hosts!.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== '');
      const bad = addresses.filter((a) => parseIp(a) === undefined);
      if (addresses.length === 0) fail('import: --hosts names no address');
      if (bad.length > 0) fail(`import: --hosts takes IP addresses (the spec names hosts by address), got: ${bad.join(', ')}`);
      const dup = addresses.find((a, i) => addresses.indexOf(a) !== i);
      if (dup !== undefined) fail(`import: --hosts names ${dup} twice`);
      targets = addresses.map((address) => ({ address }));
    }

    const out = resolve(flags.out);
    const outDir = dirname(out);
    const keyFileName = `${basename(out).replace(/\.ya?ml$/, '')}-kubernetes-release.asc`;
    const expand = (p: string) => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : resolve(p));
    const keyPath = flags['ssh-key'] !== undefined ? expand(flags['ssh-key']) : undefined;
    const knownHosts = expand(flags['known-hosts']);
    if (keyPath !== undefined) {
      try {
        await access(keyPath);
      } catch {
        fail(`import: --ssh-key ${flags['ssh-key']}: no such file (no host was contacted)`);
      }
    }
    const dirExists = await stat(outDir).then(
      (st) => st.isDirectory(),
      () => false,
    );
    if (!dirExists) fail(`import: the directory ${outDir} (of --out ${flags.out}) does not exist`);
    if (!flags.force) {
      for (const f of [out, join(outDir, keyFileName)]) {
        const exists = await access(f).then(
          () => true,
          () => false,
        );
        if (exists) fail(`import: ${f} exists (import never overwrites a file; --force does)`);
      }
    }
    // Paths in the spec are relative to its own directory.
    const specPath = (abs: string) => {
      const r = relative(outDir, abs);
      return r.startsWith('..') || isAbsolute(r) ? abs : r;
    };

    const ssh = {
      user: flags['ssh-user'],
      port: flags['ssh-port'],
      ...(keyPath !== undefined ? { privateKeyFile: keyPath } : {}),
      knownHostsFile: knownHosts,
      sudo: flags['ssh-user'] !== 'root',
      connectTimeoutSeconds: 10,
    };
    const parallelism = flags.parallelism ?? 10;
    const started = Date.now();
    const dials = EarlyDials.start(
      targets.map((t) => ({ name: t.address, address: t.address, ssh })),
      parallelism,
    );
    let outcome;
    try {
      const [{ HostPool }, { runImport }] = await Promise.all([import('../transport/pool.js'), import('../import/run.js')]);
      // Observation only: the pool hands out read-only transports.
      const pool = new HostPool({ readOnly: true, parallelism, acceptNewHostKeys: flags['accept-new-host-keys'], dials });
      try {
        outcome = await runImport(
          {
            targets,
            ssh,
            outFile: out,
            env: process.env,
            options: {
              ssh: {
                user: flags['ssh-user'],
                ...(flags['ssh-port'] !== 22 ? { port: flags['ssh-port'] } : {}),
                ...(keyPath !== undefined ? { privateKeyFile: specPath(keyPath) } : {}),
                knownHostsFile: flags['known-hosts'].startsWith('~/') ? flags['known-hosts'] : specPath(knownHosts),
              },
              ...(flags.name !== undefined ? { clusterName: flags.name } : {}),
              manageLoadBalancer: flags['manage-load-balancer'],
              keyFileName,
            },
          },
          pool,
        );
      } finally {
        await pool.close();
      }
    } catch (e) {
      if (e instanceof ImportRefusal) fail(`import: refused:\n${e.reasons.map((r) => (r.startsWith('  ') ? r : `- ${r}`)).join('\n')}`);
      throw e;
    } finally {
      dials.close();
    }
    const { result, text, adoption, timings } = outcome;

    // Written only now: every check passed. The key first, so a spec never names a missing file.
    const written: string[] = [];
    try {
      for (const [name, content] of Object.entries(result.files)) {
        const p = join(outDir, name);
        await writeFile(p, content, { flag: flags.force ? 'w' : 'wx', mode: 0o644 });
        written.push(p);
      }
      await writeFile(out, text, { flag: flags.force ? 'w' : 'wx', mode: 0o644 });
    } catch (e) {
      for (const p of written) await rm(p, { force: true });
      fail(`import: cannot write ${out}: ${(e as Error).message}`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const lines = [
      `wrote ${flags.out}: ${result.hostNames.length} hosts (${result.hostNames.join(', ')}), in ${seconds} s (observing and inferring ${(timings.observeMs / 1000).toFixed(1)} s, the first plan ${(timings.planMs / 1000).toFixed(1)} s)`,
      ...Object.keys(result.files).map((f) => `wrote ${join(dirname(flags.out), f)}: the Kubernetes repository's signing key the hosts trust`),
      '',
      ...(result.unmanaged.length > 0 ? ['Left alone (not managed by hactl):', ...result.unmanaged.map((u) => `  - ${u}`), ''] : []),
      ...(result.warnings.length > 0 ? ['Check:', ...result.warnings.map((w) => `  - ${w}`), ''] : []),
      renderAdoption(adoption).replace(/\n$/, ''),
      '',
      `Next: review ${flags.out}, then \`hactl plan -f ${flags.out}\`.`,
    ];
    this.log(printable(lines.join('\n'), { lines: true }));
  }
}
