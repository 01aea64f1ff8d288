// Flags every command that reads a cluster spec shares.

import { Flags } from '@oclif/core';

/** `-f/--file cluster.yaml` (required). */
export const fileFlag = Flags.string({
  char: 'f',
  description: 'cluster spec file (cluster.yaml); - reads it from standard input, and relative paths in it then resolve from the current directory',
  required: true,
  helpValue: '<cluster.yaml>',
});

export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o/--output <format>` over the given formats, e.g. `outputFlagWith(['text', 'json', 'markdown'] as const, 'text')`. */
export function outputFlagWith<const T extends readonly string[]>(options: T, defaultValue: T[number]) {
  return Flags.option({ char: 'o', description: 'output format', options, default: defaultValue })();
}

/** `-o/--output text|json` (default text). */
export const outputFlag = outputFlagWith(OUTPUT_FORMATS, 'text');

/** `{ file, output }`: spread into a command's `static flags`. */
export const specFlags = { file: fileFlag, output: outputFlag };

/** `--accept-new-host-keys`: trust on first use, never the default. */
export const acceptNewHostKeysFlag = Flags.boolean({
  description: 'record host keys not yet in known_hosts (trust on first use); a changed key is still refused',
  default: false,
});

/** `--parallelism N` for observing commands: hosts observed at once. */
export const observeParallelismFlag = Flags.integer({ description: 'hosts observed at once (default: ssh.parallelism from the spec)', min: 1 });
