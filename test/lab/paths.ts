// Where the lab keeps its state (in the repository, git-ignored) and its caches (outside it).
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const labSourceDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(labSourceDir, '..', '..');
export const stateDir = process.env.HACTL_LAB_STATE_DIR ?? join(repoRoot, '.lab');
export const sshDir = join(stateDir, 'ssh');
export const clientKeyFile = join(sshDir, 'id_ed25519');
export const knownHostsFile = join(sshDir, 'known_hosts');
export const hostsFile = join(stateDir, 'hosts.json');
/** What the lab started and must undo: PIDs, namespaces, cgroups, directories. */
export const ledgerFile = join(stateDir, 'ledger.json');
export const hostsRunDir = join(stateDir, 'hosts');
export const cacheDir = process.env.HACTL_LAB_CACHE ?? join(homedir(), '.cache', 'hactl-lab');

export const BRIDGE = 'hlbr0';
export const BRIDGE_ADDRESS = '198.18.0.1';
export const PREFIX_LENGTH = 24;
export const MIRROR_PORT = 8765;
/** Every lab namespace, veth and cgroup carries this prefix, so cleanup never touches others. */
export const NAME_PREFIX = 'hl-';
export const CGROUP_PARENT = 'hactl-lab';
