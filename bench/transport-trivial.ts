// hactl's own transport running `true` on every host: the floor (bench/floor.ts) plus what hactl's
// connection handling adds (host-key checks against known_hosts, the pool, read-only observation),
// without the CLI's start-up and without the probe. bench/facts.ts bundles and runs it with plain
// node: HOSTS_JSON KEY_FILE KNOWN_HOSTS.
import { readFileSync } from 'node:fs';
import { HostPool } from '../src/transport/pool.js';
import { observation } from '../src/transport/transport.js';

const [hostsFile, privateKeyFile, knownHostsFile] = process.argv.slice(2) as [string, string, string];
const hosts = (JSON.parse(readFileSync(hostsFile, 'utf8')) as { hosts: { name: string; address: string }[] }).hosts;
const pool = new HostPool({ readOnly: true, parallelism: hosts.length });
const trivial = observation('trivial', 'true');
const ssh = { user: 'root', port: 22, privateKeyFile, knownHostsFile, sudo: false, connectTimeoutSeconds: 10 };
try {
  await Promise.all(hosts.map((h) => pool.observe({ name: h.name, address: h.address, ssh }, (o) => o.observe(trivial))));
} finally {
  await pool.close();
}
