// package-bundle: the spec's `packages.bundle` (made by `hactl bundle`) on the host, in
// /var/lib/hactl/bundle, for package-sources to serve to apt as a local repository. The desired
// state is the host's bundle.json equal to the local one. Apply uploads over SFTP the files the
// host lacks or has with another sha256, checks them all there (sha256sum -c), and writes
// bundle.json last: an interrupted upload leaves the old or no bundle.json, so the next plan still
// shows the upload and the next apply finishes it. The plan shows the file count and total size,
// never file contents.

import { join } from 'node:path';
import { ARCHES, BUNDLE_JSON, formatBytes, parseBundleManifest, REMOTE_BUNDLE_DIR, SHA256SUMS, type BundleManifest } from './bundle-format.js';
import { attr, sha256 } from './diff.js';
import { shellQuote } from '../transport/quote.js';
import { packageManagerOf } from './converge.js';
import { type Operation } from './operation.js';
import { emptyDesired, type Desired } from './desired.js';
import type { ResourceContext, ResourceKindDef } from './resource.js';
import { at, type GraphBuilder } from '../graph/compile.js';

export const REMOTE_BUNDLE_JSON = `${REMOTE_BUNDLE_DIR}/${BUNDLE_JSON}`;

/** The local bundle.json of the spec's bundle (what the plan command reads into localFiles). */
export const localBundleJson = (dir: string): string => join(dir, BUNDLE_JSON);

/** One line for the plan: which bundle, how many files, how large. */
export function bundleSummary(m: BundleManifest, sha: string): string {
  const bytes = m.files.reduce((n, f) => n + f.size, 0);
  return `${m.files.length} files, ${formatBytes(bytes)} (Kubernetes ${m.kubernetesVersion}, ${m.arch}, made ${m.created}, bundle.json sha256 ${sha.slice(0, 12)})`;
}

function desired(ctx: ResourceContext): Desired {
  const d = emptyDesired();
  const dir = ctx.spec.packages.bundle;
  if (dir === undefined) return d;
  const at = { resource: ctx.node.id, host: ctx.host.name };
  const error = (message: string): Desired => {
    d.diagnostics.push({ severity: 'error', ...at, message });
    return d;
  };
  const text = ctx.localFiles.get(localBundleJson(dir));
  if (text === undefined) return error(`${localBundleJson(dir)} was not read: make the bundle with hactl bundle -f <spec> --out ${dir}`);
  const parsed = parseBundleManifest(text);
  if ('error' in parsed) return error(`${localBundleJson(dir)}: ${parsed.error}`);
  const m = parsed.manifest;
  if (m.kubernetesVersion !== ctx.spec.kubernetes.version) {
    return error(
      `packages.bundle ${dir} holds Kubernetes ${m.kubernetesVersion}, but kubernetes.version is ${ctx.spec.kubernetes.version}: make the bundle again for ${ctx.spec.kubernetes.version}`,
    );
  }
  if (packageManagerOf(ctx.facts) === 'dnf') return error(`packages.bundle holds apt packages only, and ${ctx.host.name} uses dnf`);
  const hostArch = ctx.facts.arch;
  if (hostArch !== '' && hostArch !== (ARCHES[m.arch] ?? m.arch)) return error(`packages.bundle holds ${m.arch} packages, and ${ctx.host.name} is ${hostArch}`);

  const localSha = sha256(text);
  const want = bundleSummary(m, localSha);
  const remote = ctx.facts.files[REMOTE_BUNDLE_JSON];
  let have: string | undefined;
  if (remote?.exists === true) {
    const theirs = remote.content !== undefined ? parseBundleManifest(remote.content) : undefined;
    have =
      remote.sha256 === localSha
        ? want
        : theirs !== undefined && 'manifest' in theirs
          ? bundleSummary(theirs.manifest, remote.sha256 ?? '')
          : `another bundle (bundle.json sha256 ${(remote.sha256 ?? '?').slice(0, 12)})`;
  }
  const operations: Operation[] = [];
  if (remote?.exists !== true || remote.sha256 !== localSha) {
    const bytes = m.files.reduce((n, f) => n + f.size, 0);
    operations.push(
      {
        description: `upload the bundle to ${REMOTE_BUNDLE_DIR}: up to ${m.files.length} files, ${formatBytes(bytes)} (files already there with the same sha256 are kept), then check every file's sha256 there`,
        upload: { localDir: dir, remoteDir: REMOTE_BUNDLE_DIR, files: m.files },
        command: `cd -- ${shellQuote(REMOTE_BUNDLE_DIR)} && sha256sum --quiet --strict -c ${SHA256SUMS}`,
        effects: [],
      },
      {
        description: `write ${REMOTE_BUNDLE_JSON} (last: it marks the upload complete)`,
        writeFile: { path: REMOTE_BUNDLE_JSON, content: text, mode: 0o644 },
        effects: [{ type: 'file', path: REMOTE_BUNDLE_JSON, content: text, mode: 0o644 }],
      },
    );
  }
  d.actions = { attributes: [attr('bundle', have, want)], operations, creates: remote?.exists !== true };
  return d;
}

/** With packages.bundle, every host: the bundle uploaded after its preflight checks. */
function place(b: GraphBuilder): void {
  if (b.spec.packages.bundle === undefined) return;
  for (const h of b.spec.hosts) b.needs(b.add('package-bundle', h.name), at('preflight', h));
}

export const packageBundle: ResourceKindDef<'package-bundle'> = {
  kind: 'package-bundle',
  place,
  factRequest: () => ({ packages: [], units: [], files: [REMOTE_BUNDLE_JSON], sysctls: [] }),
  desired,
  // The bundle's list of files.
  localFiles: (spec) => (spec.packages.bundle !== undefined ? [localBundleJson(spec.packages.bundle)] : []),
};
