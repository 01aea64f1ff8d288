import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Flags } from '@oclif/core';
import { fileFlag } from '../cli/flags.js';
import { readLocalFiles } from '../cli/local-files.js';
import { loadSpecOrExit } from '../cli/spec.js';
import { BundleError, buildBundle } from '../bundle/build.js';
import { ARCHES, formatBytes } from '../resources/bundle-format.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';

export default class BundleCommand extends Command {
  static override summary = 'Gather what a cluster spec needs from the internet into one directory, for sites without it';
  static override description =
    'On a connected machine: the OS and Kubernetes packages the spec installs, with their dependencies, as a flat apt ' +
    "repository (from the spec's packages.apt sources), the CNI manifest, and images.txt listing the images to push to " +
    "the site's registry. A spec with `packages.bundle: DIR` has apply upload it to the hosts and install from it. " +
    'A re-run reuses what is already in DIR and checks out. See docs/air-gapped.md.' +
    exitCodes({ 0: 'the bundle is complete', 1: `an invalid spec, something that could not be fetched or checked, or ${USAGE_ERROR}` });
  static override examples = [
    '<%= config.bin %> bundle -f cluster.yaml --out ./bundle',
    '<%= config.bin %> bundle -f cluster.yaml --out ./bundle --arch arm64',
  ];
  static override flags = {
    file: fileFlag,
    out: Flags.string({ description: 'directory to write the bundle to (created; reused by a re-run)', required: true, helpValue: '<dir>' }),
    'host-status': Flags.string({
      description: "a bare host's dpkg status file (/var/lib/dpkg/status): packages it has installed are left out of the bundle",
      helpValue: '<file>',
    }),
    arch: Flags.option({ options: Object.keys(ARCHES), default: 'amd64', description: 'Debian architecture of the hosts' })(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BundleCommand);
    const started = Date.now();
    const spec = await loadSpecOrExit(this, flags.file);
    // The spec's own packages.bundle may be the very directory being made: not a problem here.
    const own = spec.packages.bundle;
    const localFiles = await readLocalFiles(spec, (m) => {
      if (own === undefined || !m.includes(own)) this.logToStderr(`warning: ${m}`);
    });
    const outDir = resolve(flags.out);
    let hostStatus: string | undefined;
    if (flags['host-status'] !== undefined) {
      try {
        hostStatus = await readFile(flags['host-status'], 'utf8');
      } catch (e) {
        this.logToStderr(`error: cannot read --host-status ${flags['host-status']}: ${(e as Error).message}`);
        this.exit(1);
      }
    }
    try {
      const r = await buildBundle({
        spec,
        outDir,
        arch: flags.arch,
        localFiles,
        ...(hostStatus !== undefined ? { hostStatus } : {}),
        log: (line) => this.logToStderr(line),
      });
      for (const w of r.warnings) this.logToStderr(`warning: ${w}`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      this.log(
        `bundle ${outDir}: ${r.packages} packages (${r.downloaded} downloaded, ${formatBytes(r.downloadedBytes)}; ${r.packages - r.downloaded} already there), ` +
          `${r.images} images listed in images.txt, ${r.manifest.files.length} files, ${formatBytes(r.totalBytes)} in all, ${seconds} s`,
      );
    } catch (e) {
      if (!(e instanceof BundleError)) throw e;
      for (const p of e.problems) this.logToStderr(`error: ${p}`);
      if (flags['host-status'] === undefined && e.problems.some((p) => p.includes(', needed by '))) {
        this.logToStderr("hint: if the sources leave out the hosts' base system, pass a bare host's /var/lib/dpkg/status with --host-status");
      }
      this.logToStderr(`no bundle written to ${outDir} (${e.problems.length} error${e.problems.length === 1 ? '' : 's'})`);
      this.exit(1);
    }
  }
}
