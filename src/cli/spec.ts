// Loading the spec from a command: every diagnostic printed, exit 1 on errors.

import type { Command } from '@oclif/core';
import { formatDiagnostic, loadSpecFile, type Diagnostic, type LoadResult } from '../spec/index.js';
import { specName } from '../spec/source.js';
import type { ClusterSpec } from '../spec/types.js';

/** One line per diagnostic on stderr, errors and warnings alike. */
export function printDiagnostics(cmd: Command, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) cmd.logToStderr(formatDiagnostic(d));
}

export function countSummary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/**
 * Loads `file`, prints its diagnostics to stderr and returns the spec; on any error prints a
 * count and exits with status 1.
 */
export async function loadSpecOrExit(cmd: Command, file: string): Promise<ClusterSpec> {
  const result: LoadResult = await loadSpecFile(file);
  printDiagnostics(cmd, result.diagnostics);
  if (result.spec === undefined) {
    cmd.logToStderr(`${specName(file)}: invalid (${countSummary(result.diagnostics)})`);
    cmd.exit(1);
  }
  return result.spec;
}
