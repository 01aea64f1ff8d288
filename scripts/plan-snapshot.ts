// The plans of every example under examples/, from fixed facts (the unit tests' bare hosts and
// fact-updater; no lab, no clock): one JSON file per example with the plan of bare hosts, the
// plan after its operations were played onto the facts, the same with a cluster that answers, the
// executor's derivation of every resource, the fact request, the local files read and the
// packages a bundle would fetch. Two trees that print the same sha256 plan the same.
//
//   npx tsx scripts/plan-snapshot.ts OUT_DIR

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changeFingerprint, Executor } from '../src/apply/executor.js';
import { wantedPackages } from '../src/bundle/wanted.js';
import type { ClusterFacts } from '../src/facts/cluster.js';
import type { HostFacts } from '../src/facts/types.js';
import { compile } from '../src/resources/index.js';
import { topologicalOrder } from '../src/graph/compile.js';
import { factRequestFor, localFilesFor, type DetailedPlan } from '../src/plan/planner.js';
import { loadSpecFile } from '../src/spec/index.js';
import type { ClusterSpec } from '../src/spec/types.js';
import { applyPlan, bareCluster, planSpec, TEST_ENV } from '../test/resources/helpers.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = process.argv[2];
if (out === undefined) {
  console.error('usage: tsx scripts/plan-snapshot.ts OUT_DIR');
  process.exit(1);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
    });
}

/** Files inside the repository as they are; anything else (the lab's keys) as fixed text. */
function localFiles(spec: ClusterSpec): Map<string, string> {
  return new Map(
    localFilesFor(spec).map((p) => {
      const inside = !relative(root, p).startsWith('..') && !relative(root, p).startsWith('.lab');
      return [p, inside && existsSync(p) ? readFileSync(p, 'utf8') : `fixed content of ${relative(root, p)}\n`];
    }),
  );
}

/** A cluster whose every node is registered, Ready and carries nothing yet. */
function answeringCluster(spec: ClusterSpec): ClusterFacts {
  return {
    observedFrom: spec.hosts.find((h) => h.roles.includes('control-plane'))!.name,
    nodes: spec.hosts
      .filter((h) => h.roles.includes('control-plane') || h.roles.includes('worker'))
      .map((h) => ({ name: h.name, ready: true, labels: {}, annotations: {}, taints: [], unschedulable: false, addresses: [h.address] })),
    daemonsets: [],
    leaseHolders: {},
  };
}

function executorView(spec: ClusterSpec, detailed: DetailedPlan, facts: Map<string, HostFacts>, files: Map<string, string>, cluster?: ClusterFacts): unknown {
  const exec = new Executor({
    spec,
    plan: detailed.plan,
    facts: new Map(facts),
    probe: () => Promise.reject(new Error('no hosts here')),
    withTransport: () => Promise.reject(new Error('no hosts here')),
    env: TEST_ENV,
    localFiles: files,
  });
  const graph = compile(spec);
  return topologicalOrder(graph).map((id) => {
    const node = graph.node(id);
    const d = exec.derive(node, facts.get(node.host)!, cluster);
    // What apply compares and runs: the change's fingerprint (never its action) and the steps.
    return {
      id,
      fingerprint: changeFingerprint(d.change),
      operations: d.operations,
      reads: d.reads,
      errors: d.errors,
      unknown: d.unknown,
      deferred: d.deferred ?? null,
    };
  });
}

mkdirSync(out, { recursive: true });
for (const file of yamlFiles(join(root, 'examples'))) {
  const r = await loadSpecFile(file);
  if (r.spec === undefined) continue; // not a cluster spec (a Kubernetes manifest beside the examples)
  const spec = r.spec;
  const files = localFiles(spec);
  const bare = bareCluster(spec, (h) => (h.startsWith('lb') ? 'rocky9' : 'debian12'));
  const first = planSpec(spec, bare, { env: TEST_ENV, localFiles: files });
  const converged = applyPlan(spec, bare, first);
  const second = planSpec(spec, converged, { env: TEST_ENV, localFiles: files });
  const cluster = answeringCluster(spec);
  const third = planSpec(spec, converged, { env: TEST_ENV, localFiles: files, clusterFacts: cluster });
  const doc = {
    example: relative(root, file),
    // The set read (into a map by path): the order of reading shows only in the order of warnings.
    localFiles: [...files.keys()].map((p) => relative(root, p)).sort(),
    factRequest: factRequestFor(spec, compile(spec)),
    bare: { plan: first.plan, operations: Object.fromEntries(first.operations) },
    converged: { plan: second.plan, operations: Object.fromEntries(second.operations) },
    withCluster: { plan: third.plan, operations: Object.fromEntries(third.operations) },
    executorBare: executorView(spec, first, bare, files),
    executorWithCluster: executorView(spec, third, converged, files, cluster),
    bundlePackages: wantedPackages(spec, files, 'amd64'),
  };
  // Paths inside the tree are shown relative to it, so two checkouts compare equal.
  const text = (JSON.stringify(doc, null, 2) + '\n').split(root + '/').join('<repo>/');
  const name = relative(join(root, 'examples'), file)
    .replace(/[/]/g, '--')
    .replace(/\.yaml$/, '.json');
  writeFileSync(join(out, name), text);
  console.log(`${createHash('sha256').update(text).digest('hex')}  ${name}`);
}
