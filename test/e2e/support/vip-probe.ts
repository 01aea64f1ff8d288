// The apiserver's /readyz through the VIP from this machine, every 500 ms while something runs:
// how many probes, how many failed, and the longest time without a successful answer.

import { request } from 'node:https';
import { VIP } from './cluster.js';

/** GET /readyz through the VIP from this machine (anonymous, as a load balancer's check). */
export function readyz(vip = VIP): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: vip, port: 6443, path: '/readyz', method: 'GET', rejectUnauthorized: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export interface ProbeResult {
  probes: number;
  failed: number;
  longestGapMs: number;
}

/** Probes every 500 ms until stopped; the longest time without a successful answer. */
export function probeVip(vip = VIP): { stop(): Promise<ProbeResult> } {
  let running = true;
  let probes = 0;
  let failed = 0;
  let lastOk = Date.now();
  let longestGapMs = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const ok = await readyz(vip);
      probes++;
      if (ok) {
        longestGapMs = Math.max(longestGapMs, Date.now() - lastOk);
        lastOk = Date.now();
      } else failed++;
      await new Promise((r) => setTimeout(r, Math.max(0, 500 - (Date.now() - started))));
    }
    longestGapMs = Math.max(longestGapMs, Date.now() - lastOk);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { probes, failed, longestGapMs };
    },
  };
}
