// One converged ha-stacked cluster shared by the end-to-end tests that need a whole cluster:
// `convergedCluster()` makes sure the lab is in topology ha-stacked with every host running (an
// earlier test file may have switched topology or stopped a host), then plans, and applies only
// when something is left to do. Building from bare hosts happens once per lab, not per test file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_LAB_OS, labStatus, labUp, readLabState, sshExec, startHost } from '../../lab/index.js';
import { compileCli, expectStatus, ROOT, type CliPackage, type Run } from './cli.js';

export const LAB_SPEC = 'examples/lab/ha-stacked.yaml';
export const VIP = '198.18.0.100';
export const ADMIN = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';

/** The host names of the lab spec, in spec order. */
export function specHosts(spec = LAB_SPEC): string[] {
  const doc = parse(readFileSync(join(ROOT, spec), 'utf8')) as { hosts: { name: string }[] };
  return doc.hosts.map((h) => h.name);
}

export interface PlanJson {
  hosts: { name: string; address: string; unreachable?: string; removed?: true }[];
  changes: {
    id: string;
    kind: string;
    host: string;
    action: string;
    reason?: string;
    steps: string[];
    attributes: { name: string; changed: boolean; before?: unknown; after?: unknown }[];
    files: { path: string; action: string; diff: string }[];
  }[];
  diagnostics: { severity: string; host?: string; resource?: string; message: string }[];
  cluster?: { leaseHolders?: { scheduler?: string; controllerManager?: string } };
}

export interface Cluster {
  cli: CliPackage;
  /** hactl with the given arguments; applies keep their run logs out of the working tree. */
  hactl(...args: string[]): Run;
  /** `plan -o json` of `spec` (exit 0 or 2 expected). */
  planJson(spec?: string): { plan: PlanJson; run: Run };
  /** Plan, and apply if anything is left; then the plan must be empty. Returns the apply run, if one was needed. */
  converge(spec?: string): Run | undefined;
  remove(): void;
}

/** The changes of a plan that do something: neither no-op nor read. */
export const acting = (p: PlanJson) => p.changes.filter((c) => c.action !== 'no-op' && c.action !== 'read');

export async function ssh(host: string, cmd: string, timeoutMs = 120_000): Promise<string> {
  const r = await sshExec(host, cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Bare ha-stacked hosts on the default OS (nothing hactl installs): the lab is recreated when it is not. */
export async function bareLab(log: (m: string) => void): Promise<void> {
  const state = readLabState();
  const configured =
    state?.topology !== 'ha-stacked' ||
    state.os !== DEFAULT_LAB_OS ||
    (
      await Promise.all(
        state.hosts.map(async (h) => (await sshExec(h.name, 'test -e /etc/apt/sources.list.d/hactl-os.list || dpkg -s containerd >/dev/null 2>&1')).code !== 1),
      )
    ).some(Boolean);
  if (configured) {
    log('hosts are not bare ha-stacked hosts: recreating the lab');
    await labUp({ topology: 'ha-stacked', fresh: true, log });
  }
}

/**
 * The lab in topology ha-stacked with every host running, and the CLI compiled with `commands`
 * (apply and plan always). Does not converge: call `converge()`.
 */
export async function clusterLab(log: (m: string) => void, commands: string[] = []): Promise<Cluster> {
  const state = readLabState();
  if (state?.topology !== 'ha-stacked' || state.os !== DEFAULT_LAB_OS) {
    log(`lab is ${state ? `${state.topology} on ${state.os}` : 'down'}: bringing up ha-stacked on ${DEFAULT_LAB_OS}`);
    await labUp({ topology: 'ha-stacked', log });
  }
  for (const h of (await labStatus()).hosts.filter((x) => !x.running)) {
    log(`${h.name} is stopped: starting it`);
    await startHost(h.name);
  }
  const cli = compileCli([...new Set(['apply', 'plan', ...commands])], 'hactl-cluster-cli-');
  const logDir = join(cli.dir, 'runs');
  const hactl = (...args: string[]): Run => cli.run(args[0] === 'apply' && !args.includes('--log-dir') ? [...args, '--log-dir', logDir] : args);
  const planJson = (spec = LAB_SPEC) => {
    const run = hactl('plan', '-f', spec, '-o', 'json', '--detailed-exitcode');
    if (run.status !== 0 && run.status !== 2) throw new Error(`plan failed (${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-3000)}`);
    return { plan: JSON.parse(run.stdout) as PlanJson, run };
  };
  const converge = (spec = LAB_SPEC): Run | undefined => {
    const first = hactl('plan', '-f', spec, '--detailed-exitcode');
    if (first.status === 0) return undefined;
    log(`plan exit ${first.status}: applying ${spec}`);
    const r = hactl('apply', '-f', spec, '--auto-approve');
    log(`apply: ${(r.ms / 1000).toFixed(1)} s, exit ${r.status}`);
    expectStatus(r, 0);
    expectStatus(hactl('plan', '-f', spec, '--detailed-exitcode'), 0);
    return r;
  };
  return { cli, hactl, planJson, converge, remove: () => cli.remove() };
}

/** clusterLab, converged: every node of the lab spec registered and the next plan empty. */
export async function convergedCluster(log: (m: string) => void, commands: string[] = []): Promise<Cluster> {
  const c = await clusterLab(log, commands);
  const started = Date.now();
  const r = c.converge();
  log(
    r === undefined
      ? `cluster already converged (plan ${((Date.now() - started) / 1000).toFixed(1)} s)`
      : `cluster converged in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return c;
}
