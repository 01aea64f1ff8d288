// `hactl kubeconfig`: kubeadm's admin kubeconfig, read from a control-plane host (read-only) and
// pointed at the control-plane endpoint (the VIP), so that kubectl keeps working when the host it
// came from does not. The file holds the admin's private key: it is never logged, and errors about
// it never quote it.

import { isMap, isSeq, parseDocument } from 'yaml';
import { ADMIN_CONF } from '../facts/cluster.js';
import type { ClusterSpec, Host } from '../spec/types.js';
import type { HostPool } from '../transport/pool.js';

/** `https://host:port` of the control-plane endpoint (IPv6 in brackets). */
export function endpointUrl(spec: ClusterSpec): string {
  const h = spec.controlPlaneEndpoint.host;
  return `https://${h.includes(':') ? `[${h}]` : h}:${spec.controlPlaneEndpoint.port}`;
}

export class KubeconfigError extends Error {}

/**
 * The kubeconfig with every cluster's `server` set to `server`. Refuses text that is not a
 * kubeconfig with a cluster and a user with credentials (the reason names keys, never values).
 */
export function pointAt(text: string, server: string, source: string): string {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) throw new KubeconfigError(`${source} is not YAML`);
  const root: unknown = doc.contents;
  if (!isMap(root) || root.get('kind') !== 'Config') throw new KubeconfigError(`${source} is not a kubeconfig (kind: Config)`);
  const clusters = root.get('clusters');
  if (!isSeq(clusters) || clusters.items.length === 0) throw new KubeconfigError(`${source} has no clusters`);
  for (const c of clusters.items) {
    const cluster: unknown = isMap(c) ? c.get('cluster') : undefined;
    if (!isMap(cluster) || typeof cluster.get('server') !== 'string') throw new KubeconfigError(`${source}: a cluster without a server`);
    cluster.set('server', server);
  }
  const users = root.get('users');
  if (!isSeq(users) || users.items.length === 0) throw new KubeconfigError(`${source} has no users`);
  return doc.toString();
}

export interface FetchedKubeconfig {
  /** The host it came from. */
  host: string;
  text: string;
  server: string;
  /** Control-plane hosts tried before, and why each gave nothing. */
  skipped: { host: string; reason: string }[];
}

/**
 * The admin kubeconfig of the first control-plane host (spec order) that has one, through `pool`
 * (read-only: a file is read, nothing runs). Unreachable hosts and hosts without the file are
 * skipped, with the reason; none left is an error listing them all.
 */
export async function fetchAdminKubeconfig(spec: ClusterSpec, pool: HostPool, controlPlane: readonly Host[]): Promise<FetchedKubeconfig> {
  if (!pool.readOnly) throw new Error('kubeconfig reads through a read-only pool only');
  const server = endpointUrl(spec);
  const skipped: { host: string; reason: string }[] = [];
  for (const host of controlPlane) {
    let bytes: Buffer | undefined;
    try {
      bytes = await pool.observe(host, (o) => o.readFile(ADMIN_CONF));
    } catch (e) {
      const message = (e as Error).message;
      skipped.push({ host: host.name, reason: message.startsWith(`${host.name}: `) ? message.slice(host.name.length + 2) : message });
      continue;
    }
    if (bytes === undefined) {
      skipped.push({ host: host.name, reason: `no ${ADMIN_CONF} (not initialised or joined)` });
      continue;
    }
    return { host: host.name, text: pointAt(bytes.toString('utf8'), server, `${ADMIN_CONF} on ${host.name}`), server, skipped };
  }
  throw new KubeconfigError(`no control-plane host gave ${ADMIN_CONF}:\n${skipped.map((s) => `  ${s.host}: ${s.reason}`).join('\n')}`);
}
