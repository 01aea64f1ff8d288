// Flags every command that reads a cluster spec shares.

import { Flags } from '@oclif/core';

/** `-f/--file cluster.yaml` (required). */
export const fileFlag = Flags.string({
  char: 'f',
  description: 'cluster spec file (cluster.yaml)',
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
