// `hactl show plan.json`: the saved plan rendered as `hactl plan` rendered it, in each view, with
// no host contacted; a file that is not a plan is refused with the reason, exit 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Show from '../../src/commands/show.js';
import { savePlan } from '../../src/plan/saved.js';
import { renderHuman, renderJson, renderMarkdown } from '../../src/views/index.js';
import { FIXTURES } from '../views/fixtures.js';
import { runCommand } from '../cli/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'hactl-show-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function saved(name: string) {
  const plan = FIXTURES[name]!();
  const file = join(dir, `${name}.json`);
  await savePlan(plan, file);
  return { plan, file };
}

describe('hactl show', () => {
  it('renders the human view by default, as plan showed it', async () => {
    const { plan, file } = await saved('replace-destroy');
    const r = await runCommand(Show, [file]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(renderHuman(plan, { color: false }).replace(/\n?$/, '\n'));
    expect(r.out).toMatch(/must be replaced|destroyed/);
  });

  it.each([
    ['json', renderJson],
    ['markdown', (p: Parameters<typeof renderJson>[0]) => renderMarkdown(p)],
    ['text', (p: Parameters<typeof renderJson>[0]) => renderHuman(p, { color: false })],
  ] as const)('-o %s', async (format, render) => {
    const { plan, file } = await saved('updates');
    const r = await runCommand(Show, [file, '-o', format]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(render(plan).replace(/\n?$/, '\n'));
  });

  it('a missing file, a file that is not JSON, and a JSON that is not a plan: the reason, exit 1', async () => {
    const missing = await runCommand(Show, [join(dir, 'nope.json')]);
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toMatch(/cannot show .*nope\.json: no such file/);

    writeFileSync(join(dir, 'garbage.json'), '{ not json');
    const garbage = await runCommand(Show, [join(dir, 'garbage.json')]);
    expect(garbage.code).toBe(1);
    expect(garbage.err).toMatch(/is not JSON/);

    writeFileSync(join(dir, 'other.json'), JSON.stringify({ formatVersion: 1, hello: 'world' }));
    const other = await runCommand(Show, [join(dir, 'other.json')]);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/is not a valid hactl plan/);
  });

  it('no plan file, or an unknown output format: a usage error, exit 1', async () => {
    const none = await runCommand(Show, []);
    expect(none.code).not.toBe(0);
    const { file } = await saved('no-changes');
    const yaml = await runCommand(Show, [file, '-o', 'yaml']);
    expect(yaml.code).not.toBe(0);
    expect(yaml.out).toBe('');
  });
});
