// `hactl import` without the command line: observe the hosts read-only (the probe, the files of
// facts/import.ts, the cluster's nodes and kubeadm records), infer the spec (infer.ts), check it as
// `hactl validate` does, and plan it with the real planner on the same hosts (plan/observe.ts) to
// list the adoption changes. Every connection is read-only; nothing is written here: the command
// writes the spec only when this returns without a refusal.

import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { gatherClusterFacts } from '../facts/cluster.js';
import { gatherFacts } from '../facts/gather.js';
import {
  clusterRecordsObservation,
  importFactRequest,
  importFilesObservation,
  parseClusterRecords,
  parseImportFiles,
  type ClusterRecords,
} from '../facts/import.js';
import type { HostFacts } from '../facts/types.js';
import { observeAndPlan } from '../cli/observe.js';
import type { Plan } from '../plan/model.js';
import { formatDiagnostic, loadSpec } from '../spec/index.js';
import type { SshSettings } from '../spec/types.js';
import type { HostPool } from '../transport/pool.js';
import type { HostTarget } from '../transport/ssh.js';
import { adoptionChanges, type Adoption } from './adoption.js';
import { ImportRefusal, inferSpec, type ImportOptions, type ImportResult, type ObservedHost } from './infer.js';

export interface ImportTarget {
  address: string;
  /** Inventory name. */
  name?: string;
}

export interface ImportRun {
  targets: ImportTarget[];
  ssh: SshSettings;
  /** Where the spec will be written (its directory anchors the relative paths in it). */
  outFile: string;
  options: ImportOptions;
  env: Readonly<Record<string, string | undefined>>;
}

export interface ImportOutcome {
  result: ImportResult;
  text: string;
  plan: Plan;
  adoption: Adoption;
  timings: { observeMs: number; planMs: number };
}

/** Observe, infer, validate, plan. Throws ImportRefusal with every reason when the input is bad. */
export async function runImport(run: ImportRun, pool: HostPool): Promise<ImportOutcome> {
  if (!pool.readOnly) throw new Error('import observes hosts through a read-only pool only');
  const t0 = Date.now();
  const targets: HostTarget[] = run.targets.map((t) => ({ name: t.address, address: t.address, ssh: run.ssh }));
  const [facts, files] = await Promise.all([
    gatherFacts(targets, pool, importFactRequest()),
    Promise.all(
      targets.map(async (t) => {
        try {
          const r = await pool.observe(t, (o) => o.observe(importFilesObservation()));
          return r.code === 0 ? parseImportFiles(r.stdout) : new Error(`reading its configuration files exited ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      }),
    ),
  ]);
  const reasons: string[] = [];
  const hosts: ObservedHost[] = [];
  run.targets.forEach((t, i) => {
    const f = facts[i]!;
    const fl = files[i]!;
    if (!f.ok) reasons.push(`${t.name !== undefined ? `${t.name} (${t.address})` : t.address}: unreachable: ${f.reason}`);
    else if (fl instanceof Error) reasons.push(`${t.address}: ${fl.message}`);
    else hosts.push({ address: t.address, ...(t.name !== undefined ? { inventoryName: t.name } : {}), facts: f.facts, files: fl });
  });
  if (reasons.length > 0) throw new ImportRefusal(reasons);

  // The cluster, from a control-plane host with admin.conf (read-only kubectl verbs).
  const observed = new Map<string, HostFacts>(hosts.map((h) => [h.address, h.facts]));
  const cpTargets = targets.filter((t) => observed.get(t.address)?.kubernetes.manifests.includes('kube-apiserver.yaml') === true);
  const cluster = await gatherClusterFacts(cpTargets, observed, pool);
  let records: ClusterRecords | undefined;
  let clusterError: string | undefined;
  if (cluster.ok) {
    const from = cpTargets.find((t) => t.name === cluster.facts.observedFrom)!;
    try {
      const r = await pool.observe(from, (o) => o.observe(clusterRecordsObservation()));
      if (r.code === 0) records = parseClusterRecords(r.stdout);
    } catch {
      // kubeadm-config is optional: the manifests tell the same, less precisely.
    }
  } else clusterError = `${cluster.host !== undefined ? `${cluster.host}: ` : ''}${cluster.reason}`;
  // The cluster names hosts by their node names: map the address-named observation back.
  const byAddress = new Map(hosts.map((h) => [h.address, h.facts.hostname.toLowerCase()]));
  const clusterFacts = cluster.ok ? { ...cluster.facts, observedFrom: byAddress.get(cluster.facts.observedFrom) ?? cluster.facts.observedFrom } : undefined;

  const result = inferSpec(
    {
      hosts,
      ...(clusterFacts !== undefined ? { cluster: clusterFacts } : {}),
      ...(records !== undefined ? { records } : {}),
      ...(clusterError !== undefined ? { clusterError } : {}),
    },
    run.options,
  );
  const text = result.document.toString({ lineWidth: 0 });
  const observeMs = Date.now() - t0;

  // As `hactl validate` would see the file where it will be written.
  const loaded = loadSpec(text, run.outFile);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (loaded.spec === undefined || errors.length > 0)
    throw new ImportRefusal([`the inferred spec does not validate (a gap in import, please report it):`, ...errors.map(formatDiagnostic)]);
  const spec = loaded.spec;

  // The first plan, as `hactl plan` will make it: the local files it names are the ones import writes.
  const t1 = Date.now();
  const base = dirname(resolve(run.outFile));
  const localFiles = new Map(Object.entries(result.files).map(([name, content]) => [resolve(base, name), content]));
  const plan = await observeAndPlan({
    spec,
    specFile: run.outFile,
    specText: text,
    env: run.env,
    localFiles,
    pool,
  });
  const cps = spec.hosts.filter((h) => h.roles.includes('control-plane')).map((h) => h.name);
  const adoption = adoptionChanges(plan, cps);
  if (adoption.disruptive.length > 0 || adoption.errors.length > 0) {
    throw new ImportRefusal([
      ...(adoption.disruptive.length > 0
        ? ['the first plan of the inferred spec would disturb the running control plane, so nothing was written:', ...adoption.disruptive.map((d) => `  ${d}`)]
        : []),
      ...(adoption.errors.length > 0
        ? ['the first plan of the inferred spec has errors, so nothing was written:', ...adoption.errors.map((e) => `  ${e}`)]
        : []),
    ]);
  }
  return { result, text, plan, adoption, timings: { observeMs, planMs: Date.now() - t1 } };
}

/** sha256 of the spec text, as plans record it. */
export function specSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
