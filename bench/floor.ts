// The in-process floor: open the connections with ssh2, run `true` on each, exit. All at once, or
// at most CONCURRENCY hosts at a time (as hactl's --parallelism caps them).
// Usage: node floor.mjs HOSTS_JSON KEY_FILE [CONCURRENCY] (the benchmarks compile and run it with plain node).
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';

const hosts = (JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { hosts: { address: string }[] }).hosts;
const privateKey = readFileSync(process.argv[3]!);
const concurrency = Number(process.argv[4] ?? hosts.length);
const once = (address: string): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const c = new Client();
    c.on('error', reject).on('ready', () => c.exec('true', (e, s) => (e ? reject(e) : s.on('close', () => (c.end(), resolve())).resume())));
    c.connect({ host: address, username: 'root', privateKey });
  });
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(concurrency, hosts.length) }, async () => {
    while (next < hosts.length) await once(hosts[next++]!.address);
  }),
);
