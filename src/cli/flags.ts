// Flags every command that reads a cluster spec shares.

import { Flags } from '@oclif/core';
import type { OptionFlag } from '@oclif/core/interfaces';

/** `-f/--file cluster.yaml` (required). */
export const fileFlag = Flags.string({
  char: 'f',
  description: 'cluster spec file (cluster.yaml); - reads it from standard input, and relative paths in it then resolve from the current directory',
  required: true,
  helpValue: '<cluster.yaml>',
});

/** What commands whose output is a record take (validate, facts, etcd snapshot); plans and drift reports also render as markdown (views/index.ts OUTPUT_FORMATS). */
export const RECORD_OUTPUT_FORMATS = ['human', 'json'] as const;

/** Names earlier versions took for `-o` values, still accepted. */
export const OUTPUT_ALIASES: Readonly<Record<string, string>> = { text: 'human' };

/**
 * `-o/--output <format>` over the given formats, one vocabulary across commands
 * (`human|json|markdown`); `text` is still taken for `human`.
 */
export function outputFlagWith<const T extends readonly string[]>(options: T, defaultValue: T[number]): OptionFlag<T[number]> {
  const make = Flags.custom({
    char: 'o',
    description: `output format: ${options.join(', ')}`,
    helpValue: `<${options.join('|')}>`,
    parse: (input): Promise<string> => {
      const value = OUTPUT_ALIASES[input] ?? input;
      if (!(options as readonly string[]).includes(value)) return Promise.reject(new Error(`Expected --output=${input} to be one of: ${options.join(', ')}`));
      return Promise.resolve(value);
    },
  });
  // Not oclif's `options`, which would refuse the aliases before parse sees them; completion reads these.
  const completionValues = options.filter((o) => !(o in OUTPUT_ALIASES));
  return Object.assign(make({ default: defaultValue }), { completionValues });
}

/** `-o/--output human|json` (default human). */
export const outputFlag = outputFlagWith(RECORD_OUTPUT_FORMATS, 'human');

/** `{ file, output }`: spread into a command's `static flags`. */
export const specFlags = { file: fileFlag, output: outputFlag };

/** `--accept-new-host-keys`: trust on first use, never the default. */
export const acceptNewHostKeysFlag = Flags.boolean({
  description: 'record host keys not yet in known_hosts (trust on first use); a changed key is still refused',
  default: false,
});

/** `--parallelism N` for observing commands: hosts observed at once. */
export const observeParallelismFlag = Flags.integer({ description: 'hosts observed at once (default: ssh.parallelism from the spec)', min: 1 });
