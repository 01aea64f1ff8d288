// Measurement (outside CI): replacing a lost external etcd member of the lab's ha-external
// cluster. The cluster is built from fresh hosts; etcd3 is lost for good (its machine destroyed)
// and a bare machine takes its name and address; `hactl apply` of the unchanged spec removes the
// dead member through a healthy one, installs and adds the new one. /readyz is probed through the
// VIP every 500 ms from the loss to the end of the apply. Prints figures; never passes or fails on
// timing. The lab is torn down at the end.
//
//   npm run lab -- hold -- npx tsx bench/replace-external.ts
import { join } from 'node:path';
import { ETCDCTL } from '../src/facts/etcd.js';
import { labAddHost, labDown, labRemoveHost, labUp, sshExec } from '../test/lab/index.js';
import { probeVip } from '../test/e2e/support/vip-probe.js';
import { spawn } from 'node:child_process';
import { buildCli, log, repo } from './lib.js';

const SPEC = join(repo, 'examples', 'lab', 'ha-external.yaml');
const VIP = '198.18.0.101';
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** hactl with `args`, in the background (the probe keeps running): its exit status, time and output. */
function hactl(...args: string[]): Promise<{ status: number | null; ms: number; stdout: string; stderr: string }> {
  const started = Date.now();
  const p = spawn(process.execPath, ['bin/run.js', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve) => p.on('close', (status) => resolve({ status, ms: Date.now() - started, stdout, stderr })));
}

async function main(): Promise<void> {
  buildCli();
  const up = Date.now();
  await labUp({ topology: 'ha-external', fresh: true, log });
  log(`ha-external lab up in ${secs(Date.now() - up)}`);
  try {
    const built = await hactl('apply', '-f', SPEC, '--auto-approve');
    log(`cluster built in ${secs(built.ms)}, exit ${built.status}`);
    if (built.status !== 0) throw new Error(`apply failed: ${built.stderr}${built.stdout.slice(-3000)}`);

    const probe = probeVip(VIP);
    const lost = Date.now();
    await labRemoveHost('etcd3');
    await labAddHost({ name: 'etcd3', kind: 'systemd', address: '198.18.0.15' }, log);
    const reinstalled = Date.now() - lost;
    const planned = await hactl('plan', '-f', SPEC, '-o', 'json');
    const parsed = JSON.parse(planned.stdout) as { changes: { id: string; steps: string[] }[]; diagnostics: { severity: string; message: string }[] };
    const steps = parsed.changes.find((c) => c.id === 'etcd@etcd3')?.steps.filter((x) => x.includes('etcd member')) ?? [];
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    const applied = await hactl('apply', '-f', SPEC, '--auto-approve');
    const seen = await probe.stop();
    const members = await sshExec('etcd1', `${ETCDCTL} member list -w simple; ${ETCDCTL} endpoint health --cluster`, { timeoutMs: 60_000 });
    const again = await hactl('plan', '-f', SPEC, '--detailed-exitcode');
    console.log('external etcd member replaced (etcd3 lost for good, a bare machine under its name and address):');
    console.log(`  loss and reinstall (lab)     ${secs(reinstalled)}`);
    console.log(`  plan errors                  ${errors.length === 0 ? 'none' : errors.join(' | ')}`);
    console.log(`  membership steps of etcd3    ${steps.join(' | ')}`);
    console.log(`  apply                        ${secs(applied.ms)}, exit ${applied.status}${applied.status === 0 ? '' : `: ${applied.stdout.slice(-2000)}`}`);
    console.log(`  loss to end of apply         ${secs(Date.now() - lost)}`);
    console.log(`  /readyz through the VIP      ${seen.probes} probes, ${seen.failed} failed, longest gap ${secs(seen.longestGapMs)}`);
    console.log(`  etcd afterwards (etcd1)\n${(members.stdout + members.stderr).trim().replace(/^/gm, '    ')}`);
    console.log(`  next plan                    exit ${again.status} (0: no changes)`);
  } finally {
    await labDown({ log });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
