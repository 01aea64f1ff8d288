// Writes oclif.manifest.json after a build, with @oclif/core's own manifest code: with it, the CLI
// imports only the command being run instead of every command (and every command's dependencies).
import { writeFileSync } from 'node:fs';
import { Config } from '@oclif/core';

const root = new URL('..', import.meta.url).pathname;
const config = await Config.load({ root, ignoreManifest: true, errorOnManifestCreate: true });
const manifest = config.rootPlugin.manifest;
const ids = Object.keys(manifest.commands);
if (ids.length === 0) throw new Error('no commands found: run the build first');
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), `${JSON.stringify(manifest, null, 2)}\n`);
console.error(`oclif.manifest.json: ${ids.length} commands (${ids.sort().join(', ')})`);
