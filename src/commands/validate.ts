import { Command } from '@oclif/core';
import { countSummary, printDiagnostics } from '../cli/spec.js';
import { fileFlag, outputFlag } from '../cli/flags.js';
import { loadSpecFile } from '../spec/index.js';
import { printable } from '../views/printable.js';
import { exitCodes, USAGE_ERROR } from '../cli/exit-codes.js';
import { specName } from '../spec/source.js';

export default class Validate extends Command {
  static override summary = 'Check a cluster spec: schema, references, counts, networks and versions';
  static override description =
    'Reports every problem at once as file:line:col: path: message; warnings are printed too.' +
    exitCodes({ 0: 'the spec is valid (it may have warnings)', 1: `the spec has an error, or ${USAGE_ERROR}` });
  static override examples = ['<%= config.bin %> validate -f cluster.yaml', '<%= config.bin %> validate -f cluster.yaml -o json'];
  static override flags = { file: fileFlag, output: outputFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Validate);
    const result = await loadSpecFile(flags.file, { today: new Date() });
    const valid = result.spec !== undefined;
    if (flags.output === 'json') {
      this.log(JSON.stringify({ valid, diagnostics: result.diagnostics }, null, 2));
    } else {
      printDiagnostics(this, result.diagnostics);
      if (valid) {
        const s = result.spec!;
        const warnings = result.diagnostics.length > 0 ? ` (${countSummary(result.diagnostics)})` : '';
        this.log(`${printable(specName(flags.file))}: valid: cluster '${s.name}', ${s.hosts.length} hosts, Kubernetes ${s.kubernetes.version}${warnings}`);
      } else {
        this.logToStderr(`${printable(specName(flags.file))}: invalid (${countSummary(result.diagnostics)})`);
      }
    }
    if (!valid) this.exit(1);
  }
}
