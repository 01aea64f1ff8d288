// Compact human summary of gathered facts, one block per host (used by `hactl facts`).
import type { FactsResult } from './gather.js';
import type { HostFacts } from './types.js';

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(n < 10 * GiB ? 1 : 0)} GiB`;

function hostLines(f: HostFacts): string[] {
  const lines: string[] = [];
  lines.push(`${f.os.prettyName} (${f.os.family}), ${f.arch}, kernel ${f.kernel}, hostname ${f.hostname}`);
  const disks = f.disks.map((d) => `${d.path} ${gib(d.freeBytes)} free of ${gib(d.sizeBytes)}${d.path !== d.mountedOn ? ` (on ${d.mountedOn})` : ''}`);
  lines.push(`${f.cpus} CPU, ${gib(f.memoryBytes)} memory; ${disks.join('; ')}`);
  const swap = f.swap.activeBytes > 0 ? `swap ACTIVE ${gib(f.swap.activeBytes)}` : 'swap off';
  lines.push(
    `${swap}${f.swap.fstabEntries.length ? `, ${f.swap.fstabEntries.length} swap entr${f.swap.fstabEntries.length === 1 ? 'y' : 'ies'} in fstab` : ''}; init ${f.init}; cgroup ${f.cgroupMode}`,
  );
  const addrs = f.interfaces
    .filter((i) => i.name !== 'lo')
    .map((i) => `${i.name}${i.up ? '' : ' (down)'} ${i.addresses.filter((a) => !a.startsWith('fe80:')).join(' ') || '-'}`);
  if (addrs.length) lines.push(`interfaces: ${addrs.join(', ')}`);
  lines.push(
    `modules: ${
      Object.entries(f.modules)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '-'
    }`,
  );
  lines.push(
    `sysctls: ${Object.entries(f.sysctls)
      .map(([k, v]) => `${k}=${v ?? '(absent)'}`)
      .join(' ')}`,
  );
  const pk = Object.entries(f.packages)
    .filter(([, p]) => p.installed)
    .map(([n, p]) => (p.installed ? `${n} ${p.version}${p.held ? ' (held)' : ''}` : n));
  lines.push(`packages (${f.packageManager}): ${pk.join(', ') || 'none of the managed ones'}`);
  const units = Object.entries(f.units)
    .filter(([, u]) => u.exists)
    .map(([n, u]) => `${n} ${u.active ? 'active' : (u.activeState ?? 'inactive')}${u.enabled ? '/enabled' : ''}`);
  lines.push(`units: ${units.join(', ') || 'none of the managed ones'}`);
  const files = Object.entries(f.files)
    .filter(([, x]) => x.exists)
    .map(([p]) => p);
  lines.push(`files present: ${files.join(' ') || '-'}`);
  if (f.kubernetes.present) {
    lines.push(`kubernetes: ${f.kubernetes.confFiles.join(' ') || 'no kubeconfigs'}; manifests ${f.kubernetes.manifests.join(' ') || '-'}`);
  }
  if (f.certificates.length) {
    const soonest = [...f.certificates].filter((c) => c.daysLeft !== undefined).sort((a, b) => a.daysLeft! - b.daysLeft!)[0];
    lines.push(`certificates: ${f.certificates.length}${soonest ? `, first to expire ${soonest.path} in ${soonest.daysLeft} days` : ''}`);
  }
  const ts = f.timeSync;
  lines.push(`time sync: ${ts.synchronized === undefined ? 'unknown' : ts.synchronized ? 'synchronized' : 'NOT synchronized'} (${ts.service})`);
  const ports = [...new Set(f.listeningPorts.map((p) => `${p.proto}/${p.port}${p.process ? `(${p.process})` : ''}`))];
  lines.push(`listening: ${ports.join(' ') || '-'}`);
  if (f.missingTools.length) lines.push(`missing tools: ${f.missingTools.join(' ')}`);
  return lines;
}

export function renderFactsSummary(results: FactsResult[], addresses: Record<string, string>): string {
  const out: string[] = [];
  for (const r of results) {
    const head = `${r.host} (${addresses[r.host] ?? '?'})`;
    if (!r.ok) {
      out.push(`${head}: UNREACHABLE: ${r.reason}`, '');
      continue;
    }
    out.push(`${head}: observed in ${r.durationMs} ms${Math.abs(r.clockSkewSeconds) > 2 ? `, clock skew ${r.clockSkewSeconds} s` : ''}`);
    for (const l of hostLines(r.facts)) out.push(`  ${l}`);
    out.push('');
  }
  const bad = results.filter((r) => !r.ok).length;
  out.push(`${results.length - bad} of ${results.length} hosts observed${bad ? `, ${bad} unreachable` : ''}`);
  return out.join('\n');
}
