// Leader election through a coordination.k8s.io/v1 Lease, with client-go's rules: the holder renews
// every retry period and gives up when it cannot renew within the renew deadline; others take over
// once the record they observed has not changed for a whole lease duration (their own clock).
import os from 'node:os';
import crypto from 'node:crypto';
import { sleep } from './kube.js';

const microTime = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function leaderOptions(F, name) {
  const secs = (v, d) => (v ? parseFloat(v) * (v.endsWith('ms') ? 0.001 : v.endsWith('m') ? 60 : 1) : d);
  return {
    enabled: (F['leader-elect'] ?? 'true') !== 'false',
    namespace: F['leader-elect-resource-namespace'] || 'kube-system',
    name: F['leader-elect-resource-name'] || name,
    leaseDuration: secs(F['leader-elect-lease-duration'], 15),
    renewDeadline: secs(F['leader-elect-renew-deadline'], 10),
    retryPeriod: secs(F['leader-elect-retry-period'], 2),
  };
}

export async function runLeaderElection(api, opts, { onStarted, onStopped, log }) {
  const id = `${os.hostname()}_${crypto.randomUUID()}`;
  const path = `/apis/coordination.k8s.io/v1/namespaces/${opts.namespace}/leases`;
  let observed = null,
    observedAt = 0,
    leading = false,
    lastRenew = 0;
  log(`attempting to acquire leader lease ${opts.namespace}/${opts.name}... (identity ${id})`);
  for (;;) {
    try {
      let lease = await api.get(`${path}/${opts.name}`).catch((e) => {
        if (e.status === 404) return null;
        throw e;
      });
      const now = Date.now();
      if (!lease) {
        await api.post(path, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: opts.name, namespace: opts.namespace },
          spec: { holderIdentity: id, leaseDurationSeconds: opts.leaseDuration, acquireTime: microTime(), renewTime: microTime(), leaseTransitions: 0 },
        });
        lastRenew = now;
      } else {
        const rec = JSON.stringify(lease.spec);
        if (rec !== observed) {
          observed = rec;
          observedAt = now;
        }
        const holder = lease.spec.holderIdentity;
        const expired = observedAt + (lease.spec.leaseDurationSeconds || opts.leaseDuration) * 1000 < now;
        if (holder && holder !== id && !expired) {
          if (leading) {
            leading = false;
            onStopped();
          }
        } else {
          const spec = { ...lease.spec, holderIdentity: id, leaseDurationSeconds: opts.leaseDuration, renewTime: microTime() };
          if (holder !== id) {
            spec.acquireTime = microTime();
            spec.leaseTransitions = (lease.spec.leaseTransitions || 0) + 1;
          }
          lease = await api.put(`${path}/${opts.name}`, { ...lease, spec });
          observed = JSON.stringify(lease.spec);
          observedAt = now;
          lastRenew = now;
        }
      }
      if (lastRenew === now && !leading) {
        leading = true;
        log(`successfully acquired lease ${opts.namespace}/${opts.name}`);
        onStarted();
      }
    } catch (e) {
      if (e.status !== 409) log(`error retrieving resource lock ${opts.namespace}/${opts.name}: ${e.message}`);
    }
    if (leading && Date.now() - lastRenew > opts.renewDeadline * 1000) {
      log(`failed to renew lease ${opts.namespace}/${opts.name}: timed out waiting for the condition`);
      onStopped();
      return;
    }
    await sleep(opts.retryPeriod * 1000);
  }
}
