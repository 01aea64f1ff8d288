// Runs an oclif command in-process, as the unit tests of the commands do: its standard output and
// error (oclif writes through console.log / console.error) and its exit code.
import { vi } from 'vitest';

interface RunnableCommand {
  run(argv: string[], opts: string): Promise<unknown>;
}

export async function runCommand(cmd: RunnableCommand, argv: string[]): Promise<{ out: string; err: string; code: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(`${a.join(' ')}\n`));
  const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(`${a.join(' ')}\n`));
  let code = 0;
  try {
    await cmd.run(argv, import.meta.url);
  } catch (x) {
    const c = (x as { oclif?: { exit?: number } }).oclif?.exit;
    if (c === undefined) throw x;
    code = c;
    // this.exit(n) throws an ExitError after the command printed its own message; any other error is what oclif would print.
    if ((x as { code?: string }).code !== 'EEXIT') err.push((x as Error).message);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out: out.join(''), err: err.join(''), code };
}
