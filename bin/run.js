#!/usr/bin/env node
// `npm run build` bundles @oclif/core with the commands (dist/oclif.js): one module graph, a fraction
// of the start-up time. A tree compiled by tsc alone (no bundle) runs on @oclif/core as installed.
import { existsSync } from 'node:fs';

// Writes to a pipe are queued when the reader is slower; a command that exits with a status (a plan
// with errors, piped to jq) would lose the queued rest of its output. Blocking writes keep it.
for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true);

// oclif compares the Node version with its own engines range (semver) at every start; npm has
// already checked package.json's, which is stricter.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

const bundle = new URL('../dist/oclif.js', import.meta.url);
const { execute } = existsSync(bundle) ? await import(bundle.href) : await import('@oclif/core');
await execute({ dir: import.meta.url });
