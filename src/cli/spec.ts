// Loading the spec from a command: every diagnostic printed, exit 1 on errors.

import { access, constants } from 'node:fs/promises';
import type { Command } from '@oclif/core';
import { formatDiagnostic, loadSpecFile, type Diagnostic, type LoadResult } from '../spec/index.js';
import { printable } from '../views/printable.js';
import { specName } from '../spec/source.js';
import type { ClusterSpec } from '../spec/types.js';

/** One line per diagnostic on stderr, errors and warnings alike. */
export function printDiagnostics(cmd: Command, diagnostics: readonly Diagnostic[]): void {
  // Messages quote the spec: escaped, so its control characters cannot reach a terminal.
  for (const d of diagnostics) cmd.logToStderr(printable(formatDiagnostic(d), { lines: true }));
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
export async function loadSpecOrExit(cmd: Command, file: string, opts: { dials?: boolean } = {}): Promise<ClusterSpec> {
  const result: LoadResult = await loadSpecFile(file);
  printDiagnostics(cmd, result.diagnostics);
  if (result.spec === undefined) {
    cmd.logToStderr(`${printable(specName(file))}: invalid (${countSummary(result.diagnostics)})`);
    cmd.exit(1);
  }
  if (opts.dials) {
    // Caught before any host is dialled: otherwise every host looks unreachable for the same reason.
    const problems = await sshKeyProblems(result.spec);
    for (const p of problems) cmd.logToStderr(printable(`${specName(file)}: ${p}`));
    if (problems.length > 0) cmd.exit(1);
  }
  return result.spec;
}

/** SSH private key files the spec names (hosts and bastions) that cannot be read, one line each. */
export async function sshKeyProblems(spec: ClusterSpec): Promise<string[]> {
  const users = new Map<string, { key: string; hosts: string[] }>();
  for (const h of spec.hosts) {
    for (const [key, path] of [
      ['ssh.privateKeyFile', h.ssh.privateKeyFile],
      ['ssh.bastion.privateKeyFile', h.ssh.bastion?.privateKeyFile],
    ] as const) {
      if (path === undefined) continue;
      const u = users.get(path) ?? { key, hosts: [] };
      u.hosts.push(h.name);
      users.set(path, u);
    }
  }
  const out: string[] = [];
  for (const [path, u] of users) {
    try {
      await access(path, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : (e as Error).message;
      out.push(`${u.key} ${path}: ${why} (the SSH key of ${u.hosts.join(', ')}); no host was contacted`);
    }
  }
  return out;
}
