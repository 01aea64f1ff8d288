// A vitest reporter that turns a silently skipped test into a failure. A test may be skipped only
// when test/support/allowed-skips.json lists it (file and full name) with the reason; the README's
// test command (scripts/test.sh) sets HACTL_NO_SKIPS=1, so CI never passes on tests that did not run.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

interface AllowedSkip {
  file: string;
  test: string;
  reason: string;
}

const ALLOWED = new URL('./allowed-skips.json', import.meta.url);

export function unlistedSkips(skipped: { file: string; test: string }[], allowed: AllowedSkip[]): string[] {
  const ok = new Set(allowed.filter((a) => a.reason.trim() !== '').map((a) => `${a.file}\0${a.test}`));
  return skipped.filter((s) => !ok.has(`${s.file}\0${s.test}`)).map((s) => `${s.file} > ${s.test}`);
}

export default class NoSilentSkips implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (process.env.HACTL_NO_SKIPS !== '1') return;
    const skipped: { file: string; test: string }[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        if (t.result().state === 'skipped') skipped.push({ file: relative(process.cwd(), m.moduleId), test: t.fullName });
      }
    }
    const allowed = JSON.parse(readFileSync(ALLOWED, 'utf8')) as AllowedSkip[];
    const bad = unlistedSkips(skipped, allowed);
    if (bad.length === 0) return;
    console.error(`\n${bad.length} test(s) skipped without a listed reason (test/support/allowed-skips.json):`);
    for (const b of bad) console.error(`  ${b}`);
    process.exitCode = 1;
  }
}
