// The confirmation prompt of apply and reset: one line from the terminal.
import { createInterface } from 'node:readline';

/** One line from stdin; empty when interrupted. */
export function ask(question: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const onAbort = () => {
      rl.close();
      resolve('');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    rl.question(question, (answer) => {
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    });
  });
}
