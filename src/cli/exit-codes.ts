// Every command's exit codes, said the same way in its help. Usage errors (an unknown flag, a bad
// flag value, a missing argument) exit 1 for every command, as in Terraform: 2 is kept for "there
// are changes" (`plan --detailed-exitcode`) and "there is drift" (`drift`), which CI jobs test for.
// package.json `oclif.exitCodes` makes oclif's own parse errors exit 1.

export const USAGE_ERROR = 'a usage error (unknown flag, bad flag value, missing argument)';

/** The help text's exit-code section: `codes[n]` says when the command exits n. */
export function exitCodes(codes: Readonly<Record<number, string>>): string {
  const lines = Object.entries(codes).map(([code, when]) => `  ${code}  ${when}`);
  return `\n\nExit codes:\n${lines.join('\n')}`;
}
