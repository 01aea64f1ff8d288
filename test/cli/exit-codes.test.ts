// Usage errors exit 1 for every command, as in Terraform (2 means "changes" for plan
// --detailed-exitcode and "drift" for drift), and every command's help says its exit codes.
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS } from '../../src/cli/commands.js';
import { runCommand } from './run-command.js';

const IDS = Object.keys(COMMAND_LOADERS).sort();
const load = async (id: string) => (await COMMAND_LOADERS[id]!()).default;

describe.each(IDS)('hactl %s', (id) => {
  it('an unknown flag exits 1', async () => {
    const r = await runCommand(await load(id), ['--no-such-flag']);
    expect(r.code).toBe(1);
  });

  it('a bad -o value exits 1 (when it has -o)', async () => {
    const cmd = await load(id);
    if (cmd.flags?.output === undefined) return expect(cmd.flags?.output).toBeUndefined();
    const r = await runCommand(cmd, ['-f', 'cluster.yaml', '-o', 'yaml']);
    expect(r.code).toBe(1);
  });

  it('a missing required flag exits 1', async () => {
    const cmd = await load(id);
    const required = Object.entries(cmd.flags ?? {}).filter(([, f]) => (f as { required?: boolean }).required);
    if (required.length === 0) return expect(required).toEqual([]);
    const r = await runCommand(cmd, []);
    expect(r.code).toBe(1);
  });

  it('documents its exit codes in its help', async () => {
    const cmd = await load(id);
    expect(cmd.description).toMatch(/Exit codes:\n {2}0 {2}.+\n {2}1 {2}.*usage error/);
  });
});

describe('the codes that mean something else', () => {
  it('2 is documented only by plan (--detailed-exitcode) and drift', async () => {
    const withTwo = [];
    for (const id of IDS) if (/\n {2}2 {2}/.test((await load(id)).description ?? '')) withTwo.push(id);
    expect(withTwo).toEqual(['drift', 'plan']);
  });
});
