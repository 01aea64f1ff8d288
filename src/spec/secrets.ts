// The secrets a spec points at. The spec only ever names environment variables; their values are
// masked out of plans, logs and errors wherever they turn up, whatever a resource kind declares.
import type { ClusterSpec } from './types.js';

export function specSecrets(spec: ClusterSpec, env: Readonly<Record<string, string | undefined>>): string[] {
  const names = [
    spec.loadBalancer.keepalived?.authPasswordEnv,
    spec.ssh.passphraseEnv,
    ...spec.hosts.map((h) => h.ssh.passphraseEnv),
    ...spec.containerd.privateRegistries.map((r) => r.passwordEnv),
  ];
  return names.flatMap((n) => (n !== undefined && env[n] ? [env[n]!] : []));
}
