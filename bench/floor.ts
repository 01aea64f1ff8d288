// The in-process floor: open every connection at once with ssh2, run `true` on each, exit.
// Usage: node floor.mjs HOSTS_JSON KEY_FILE (bench/facts.ts compiles and runs it with plain node).
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';

const hosts = (JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { hosts: { address: string }[] }).hosts;
const privateKey = readFileSync(process.argv[3]!);
await Promise.all(
  hosts.map(
    (h) =>
      new Promise<void>((resolve, reject) => {
        const c = new Client();
        c.on('error', reject).on('ready', () => c.exec('true', (e, s) => (e ? reject(e) : s.on('close', () => (c.end(), resolve())).resume())));
        c.connect({ host: h.address, username: 'root', privateKey });
      }),
  ),
);
