// One `-o` vocabulary across commands (human|json|markdown, `text` still taken for human), graph's
// `--format` now `-o` with the old name kept, and the etcd topic's own summary in the help.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS } from '../../src/cli/commands.js';
import GraphCommand from '../../src/commands/graph.js';
import Validate from '../../src/commands/validate.js';
import { runCommand } from './run-command.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = join(root, 'examples/ha-stacked.yaml');

describe('-o values', () => {
  it('every command that has -o offers human and json, never text', async () => {
    for (const id of Object.keys(COMMAND_LOADERS)) {
      const cmd = (await COMMAND_LOADERS[id]!()).default;
      const o = cmd.flags?.output as { char?: string; helpValue?: string; options?: string[] } | undefined;
      if (o === undefined || id === 'graph') continue;
      expect(o.char, id).toBe('o');
      expect(o.helpValue ?? o.options?.join('|'), id).toMatch(/^<?human\|json/);
    }
  });

  it('validate -o human, and -o text as before', async () => {
    const human = await runCommand(Validate, ['-f', example, '-o', 'human']);
    const text = await runCommand(Validate, ['-f', example, '-o', 'text']);
    expect(human.code).toBe(0);
    expect(human.out).toContain('valid: cluster');
    expect(text).toEqual(human);
    const json = await runCommand(Validate, ['-f', example, '-o', 'json']);
    expect(JSON.parse(json.out)).toMatchObject({ valid: true });
  });

  it('graph takes -o, and --format as before', async () => {
    const o = await runCommand(GraphCommand, ['-f', example, '-o', 'dot']);
    const format = await runCommand(GraphCommand, ['-f', example, '--format', 'dot']);
    expect(o.code).toBe(0);
    expect(o.out).toMatch(/^digraph/);
    expect(format).toEqual(o);
  });
});

describe('node bin/run.js --help (built CLI)', () => {
  it("shows the etcd topic with its own summary, not etcd restore's", () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/run.js'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const topic = r.stdout.slice(r.stdout.indexOf('TOPICS'), r.stdout.indexOf('COMMANDS'));
    expect(topic).toMatch(/etcd\s+Back up etcd/);
    expect(topic).not.toContain('Prepare fresh hosts');
  });
});
