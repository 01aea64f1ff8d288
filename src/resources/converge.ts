// The one engine every data-shaped resource kind goes through: desired primitives (desired.ts)
// against HostFacts gives the plan's attribute and file changes and the ordered operations apply
// runs. Each operation is derived from a difference, and its effect is exactly what removes that
// difference, so after apply the facts equal the desired state and the next diff is empty:
// converging twice changes nothing by construction (test/resources/convergence.test.ts checks it).

import { posix } from 'node:path';
import { attr, fileChange, fileDiff, normalizeContent, sha256, unknown, type AttributeChange, type Diagnostic, type FileChange } from './diff.js';
import type { FileFacts, HostFacts } from '../facts/types.js';
import { shellJoin, shellQuote } from '../transport/quote.js';
import { DISABLED_SUFFIX, versionMatches, type Desired, type DesiredFile, type DesiredPackage } from './desired.js';
import type { CommandOperation, Effect, Operation } from './operation.js';

export type PackageManager = 'apt' | 'dnf';

/** apt or dnf, from os-release first (the family decides the sources format), then the tool found. */
export function packageManagerOf(facts: HostFacts): PackageManager | undefined {
  if (facts.os.family === 'debian') return 'apt';
  if (facts.os.family === 'rhel') return 'dnf';
  if (facts.packageManager === 'dpkg') return 'apt';
  if (facts.packageManager === 'rpm') return 'dnf';
  return undefined;
}

export interface ConvergeResult {
  attributes: AttributeChange[];
  files: FileChange[];
  operations: Operation[];
  diagnostics: Diagnostic[];
}

export const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

// Without Recommends (criu and python3 for runc, nftables for iptables, ...): a node gets what the
// cluster needs, and a big cluster's install costs each host half the CPU.
const APT_INSTALL =
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --allow-downgrades';

export const APT_UPDATE = 'DEBIAN_FRONTEND=noninteractive apt-get update -q';
const DPKG_RECOVER = 'DEBIAN_FRONTEND=noninteractive dpkg --force-confdef --force-confold --configure -a';

interface PackageDecision {
  p: DesiredPackage;
  installedVersion?: string;
  held: boolean;
  install: boolean;
}

/** Compare two versions segment by segment (digits numerically, letters lexically), rpmvercmp-like. */
export function compareVersions(a: string, b: string): number {
  const seg = (v: string) => v.replace(/^\d+:/, '').match(/\d+|[A-Za-z]+/g) ?? [];
  const x = seg(a);
  const y = seg(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d/.test(p);
    const qn = /^\d/.test(q);
    if (pn && qn) {
      const d = Number(p) - Number(q);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (pn !== qn) return pn ? 1 : -1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

function packageOps(pm: PackageManager | undefined, decisions: PackageDecision[], diagnostics: Diagnostic[]): Operation[] {
  const ops: Operation[] = [];
  const install = decisions.filter((d) => d.install);
  const hold = decisions.filter((d) => d.p.hold === true && (d.install || !d.held));
  const unhold = decisions.filter((d) => d.p.hold === false && d.held);
  if (install.length + hold.length + unhold.length === 0) return ops;
  if (pm === undefined) {
    diagnostics.push({ severity: 'error', message: 'no package manager found (neither dpkg nor rpm): packages cannot be installed' });
    return ops;
  }
  const installEffect = (d: PackageDecision): Effect => {
    const e: Effect = { type: 'package', name: d.p.name, held: pm === 'dnf' ? false : d.held };
    if (d.p.version !== undefined) e.version = d.p.version;
    return e;
  };
  const names = (ds: PackageDecision[]) => ds.map((d) => d.p.name);
  if (pm === 'apt') {
    if (install.length > 0) {
      const heldAny = install.some((d) => d.held);
      const args = install.map((d) => (d.p.version !== undefined ? `${d.p.name}=${d.p.version}` : d.p.name));
      const cmd = `${APT_INSTALL}${heldAny ? ' --allow-change-held-packages' : ''} -- ${shellJoin(args)}`;
      ops.push({
        description: `install ${args.join(', ')} (apt)`,
        // Package lists may be missing or stale (images ship without them): refresh once and retry.
        // An install cut short (a dropped connection, a killed dpkg) leaves dpkg "interrupted",
        // which refuses every install until `dpkg --configure -a` has run: it runs first, so that
        // applying again converges.
        command: `${cmd} || { ${DPKG_RECOVER}; ${APT_UPDATE} && ${cmd}; }`,
        effects: install.map(installEffect),
      });
    }
    if (hold.length > 0) {
      ops.push({
        description: `hold ${names(hold).join(', ')} (apt-mark)`,
        command: `apt-mark hold -- ${shellJoin(names(hold))}`,
        effects: hold.map((d) => ({ type: 'package', name: d.p.name, held: true })),
      });
    }
    if (unhold.length > 0) {
      ops.push({
        description: `release the hold on ${names(unhold).join(', ')} (apt-mark)`,
        command: `apt-mark unhold -- ${shellJoin(names(unhold))}`,
        effects: unhold.map((d) => ({ type: 'package', name: d.p.name, held: false })),
      });
    }
    return ops;
  }
  // dnf: a locked package cannot change version, so its lock goes first and comes back after.
  const unlock = decisions.filter((d) => d.held && (d.install || d.p.hold === false));
  if (unlock.length > 0) {
    ops.push({
      description: `remove the version lock on ${names(unlock).join(', ')} (dnf versionlock)`,
      command: `dnf -y versionlock delete -- ${shellJoin(names(unlock))}`,
      effects: unlock.map((d) => ({ type: 'package', name: d.p.name, held: false })),
    });
  }
  const arg = (d: PackageDecision) => (d.p.version !== undefined ? `${d.p.name}-${d.p.version}` : d.p.name);
  // `dnf install` never moves an installed package to another version: upgrades and downgrades are their own verbs.
  const fresh = install.filter((d) => d.installedVersion === undefined);
  const up = install.filter((d) => d.installedVersion !== undefined && compareVersions(d.installedVersion, d.p.version ?? '') < 0);
  const down = install.filter((d) => d.installedVersion !== undefined && compareVersions(d.installedVersion, d.p.version ?? '') >= 0);
  for (const [verb, ds] of [
    ['install', fresh],
    ['upgrade', up],
    ['downgrade', down],
  ] as const) {
    if (ds.length === 0) continue;
    ops.push({
      description: `${verb} ${ds.map(arg).join(', ')} (dnf)`,
      command: `dnf -y -q --setopt=install_weak_deps=False ${verb} -- ${shellJoin(ds.map(arg))}`,
      effects: ds.map(installEffect),
    });
  }
  const lock = decisions.filter((d) => d.p.hold === true && (d.install || !d.held));
  if (lock.length > 0) {
    ops.push({
      description: `lock the versions of ${names(lock).join(', ')} (dnf versionlock)`,
      command: `dnf -y versionlock add -- ${shellJoin(names(lock))}`,
      effects: lock.map((d) => ({ type: 'package', name: d.p.name, held: true })),
    });
  }
  return ops;
}

/** The file's content as observed: a string, null when absent, undefined when it exists but was not read. */
function observedContent(facts: HostFacts, path: string): string | null | undefined {
  const f = facts.files[path];
  if (f === undefined || !f.exists) return null;
  return f.content;
}

function fileOps(f: DesiredFile & { content: string }, exists: boolean, ensuredDirs: Set<string>): Operation[] {
  const ops: Operation[] = [];
  const dir = posix.dirname(f.path);
  const write = { path: f.path, content: f.content, mode: f.mode, ...(f.owner ? { owner: f.owner } : {}), ...(f.group ? { group: f.group } : {}) };
  const effect: Effect = { type: 'file', ...write };
  // A file with a secret inside is a sensitive write even when its diff is shown masked; the check
  // of a candidate may quote the lines it reads, so its output is masked by the file's secret fields.
  const sens = f.sensitive || (f.secretFields?.length ?? 0) > 0 ? { sensitive: true } : {};
  const fields = f.secretFields && f.secretFields.length > 0 ? { secretFields: f.secretFields } : {};
  if (!exists && !ensuredDirs.has(dir)) {
    ensuredDirs.add(dir);
    ops.push({ description: `create directory ${dir}`, command: `install -d -m 0755 -- ${shellQuote(dir)}`, effects: [] });
  }
  if (f.validate !== undefined) {
    const tmp = posix.join(dir, `.${posix.basename(f.path)}.hactl-check`);
    ops.push({ description: `write the candidate ${tmp}`, writeFile: { ...write, path: tmp }, effects: [], ...sens });
    ops.push({
      description: `check the candidate: ${f.validate.replace('{}', tmp)}`,
      command: `${f.validate.split('{}').join(shellQuote(tmp))} || { rm -f -- ${shellQuote(tmp)}; exit 1; }`,
      effects: [],
      ...fields,
    });
    ops.push({
      description: `move it into place as ${f.path} (${octal(f.mode)})`,
      command: `mv -f -- ${shellQuote(tmp)} ${shellQuote(f.path)}`,
      effects: [effect],
    });
  } else {
    ops.push({ description: `write ${f.path} (${octal(f.mode)})`, writeFile: write, effects: [effect], ...sens });
  }
  return ops;
}

/** Line-end damage a normalised comparison cannot see, in plain words (empty: none). */
export function formatDamage(observed: string, wanted: string): string[] {
  const out: string[] = [];
  if (observed.includes('\r') && !wanted.includes('\r')) out.push('has CRLF (Windows) line ends, shown as ^M');
  if (observed !== '' && !observed.endsWith('\n') && wanted.endsWith('\n')) out.push('does not end with a newline');
  return out;
}

/** Why a file hactl must change cannot be written, and what a person does about it. */
function writeBlocked(path: string, f: FileFacts | undefined): string | undefined {
  if (f?.immutable) {
    return `${path} is immutable (chattr +i): hactl does not lift that flag; if the change shown is wanted, run chattr -i -- ${shellQuote(path)} on the host and apply again, otherwise take the change out of the spec`;
  }
  if (f?.readOnlyMount !== undefined) {
    return `${path} is on a read-only mount (${f.readOnlyMount}): remount it read-write (mount -o remount,rw ${shellQuote(f.readOnlyMount)}) or make the change where that filesystem is built, then apply again`;
  }
  return undefined;
}

/** A masked unit can be neither enabled nor started (systemctl refuses) until it is unmasked. */
export function unmaskOperation(unit: string): CommandOperation {
  return {
    description: `unmask ${unit} (it was masked)`,
    command: `systemctl unmask -- ${shellQuote(unit)}`,
    effects: [{ type: 'unit', name: unit, masked: false }],
  };
}

/** Diff desired primitives against facts: plan changes plus the operations that remove them. */
export function converge(desired: Desired, facts: HostFacts): ConvergeResult {
  const attributes: AttributeChange[] = [];
  const files: FileChange[] = [];
  const diagnostics: Diagnostic[] = [];
  const pm = packageManagerOf(facts);

  // Packages.
  const decisions: PackageDecision[] = desired.packages.map((p) => {
    const f = facts.packages[p.name];
    const installed = f !== undefined && f.installed ? f : undefined;
    const ok = installed !== undefined && (p.version === undefined || versionMatches(installed.version, p.version));
    attributes.push(attr(`package.${p.name}.version`, installed?.version, ok ? installed.version : (p.version ?? unknown())));
    if (p.hold !== undefined) attributes.push(attr(`package.${p.name}.held`, installed ? installed.held : undefined, p.hold));
    const d: PackageDecision = { p, held: installed?.held ?? false, install: !ok };
    if (installed) d.installedVersion = installed.version;
    return d;
  });
  const packageChanged = new Set(decisions.filter((d) => d.install).map((d) => d.p.name));
  const packageSteps = packageOps(pm, decisions, diagnostics);
  const operations: Operation[] = desired.packagesAfterFiles ? [] : packageSteps;

  // Files.
  const changedPaths = new Set<string>();
  const ensuredDirs = new Set<string>();
  for (const f of desired.files) {
    const ff = facts.files[f.path];
    const exists = ff?.exists === true;
    const before = observedContent(facts, f.path);
    if (f.content === null) {
      if (!exists) continue;
      const blocked = writeBlocked(f.path, ff);
      if (blocked !== undefined) diagnostics.push({ severity: 'error', message: blocked });
      files.push(
        before === undefined
          ? { path: f.path, action: 'delete', diff: '', ...(ff.sha256 ? { beforeSha256: ff.sha256 } : {}) }
          : fileChange({ path: f.path, before, after: null, sensitive: f.sensitive ?? false }),
      );
      if (blocked !== undefined) continue;
      const aside = f.path + DISABLED_SUFFIX;
      operations.push({
        description: `move ${f.path} aside to ${aside}`,
        command: `mv -f -- ${shellQuote(f.path)} ${shellQuote(aside)}`,
        effects: [{ type: 'file', path: f.path, content: null }],
      });
      changedPaths.add(f.path);
      continue;
    }
    const content = f.content;
    const norm = f.normalize ?? {};
    if (exists && (ff.type === 'directory' || ff.type === 'other')) {
      // Whatever it holds is someone's: a person decides where it goes.
      const what = ff.type === 'directory' ? 'a directory' : 'not a regular file (a device, socket or pipe)';
      diagnostics.push({
        severity: 'error',
        message: `${f.path} is ${what} where hactl manages a file: hactl does not remove it; move it away (mv -- ${shellQuote(f.path)} ${shellQuote(`${f.path}.bak`)}), then apply again`,
      });
      files.push({
        path: f.path,
        action: 'update',
        diff: f.sensitive ? '' : fileDiff(f.path, '', content, { normalize: false }),
        ...(f.sensitive ? { sensitive: true } : {}),
      });
      continue;
    }
    const isLink = exists && ff.type === 'symlink';
    if (isLink) {
      diagnostics.push({
        severity: 'warning',
        message: `${f.path} is a symbolic link${ff.linkTarget ? ` to ${ff.linkTarget}` : ''} where hactl manages a file: apply replaces the link by a regular file${ff.linkTarget ? ` (${ff.linkTarget} itself is left as it is)` : ''}`,
      });
    }
    const damage = isLink || before === undefined || before === null ? [] : formatDamage(before, content);
    for (const d of damage) diagnostics.push({ severity: 'warning', message: `${f.path} ${d}: apply rewrites it` });
    const sameContent =
      !isLink &&
      damage.length === 0 &&
      exists &&
      (before !== undefined && before !== null ? normalizeContent(before, norm) === normalizeContent(content, norm) : ff.sha256 === sha256(content));
    // What hactl writes is root's unless the kind says otherwise (a rewrite leaves it so anyway).
    const ownerDiffers = exists && ff.owner !== undefined && (ff.owner !== (f.owner ?? 'root') || (ff.group !== undefined && ff.group !== (f.group ?? 'root')));
    const sameMeta = exists && ff.mode === f.mode && !ownerDiffers;
    const mode = { ...(exists && ff.mode !== undefined ? { before: octal(ff.mode) } : {}), after: octal(f.mode) };
    const owner =
      f.owner !== undefined || f.group !== undefined || ownerDiffers
        ? { ...(exists && ff.owner !== undefined ? { before: `${ff.owner}:${ff.group ?? ''}` } : {}), after: `${f.owner ?? 'root'}:${f.group ?? 'root'}` }
        : undefined;
    if (isLink) {
      files.push({
        ...fileChange({
          path: f.path,
          before: '',
          after: content,
          mode,
          ...(owner ? { owner } : {}),
          sensitive: f.sensitive ?? false,
          normalize: false,
          ...(f.secretFields?.length ? { secretFields: f.secretFields } : {}),
        }),
        action: 'update',
      });
    } else if (damage.length > 0) {
      // Line ends and the final newline are what changes: the diff shows them (CR as ^M).
      const change = fileChange({
        path: f.path,
        before: before!,
        after: content,
        mode,
        ...(owner ? { owner } : {}),
        sensitive: f.sensitive ?? false,
        ...(f.secretFields?.length ? { secretFields: f.secretFields } : {}),
      });
      const shown = (t: string) => t.replace(/\r/g, '^M');
      const diff = f.sensitive
        ? ''
        : fileDiff(f.path, shown(before!), shown(content), { normalize: false, ...(f.secretFields?.length ? { secretFields: f.secretFields } : {}) });
      files.push({ ...change, action: 'update', diff });
    } else if (exists && before === undefined) {
      // Too large to read: judged by hash, and no diff can be shown.
      files.push({
        path: f.path,
        action: sameContent && sameMeta ? 'no-op' : 'update',
        diff: '',
        ...(f.sensitive ? { sensitive: true } : { ...(ff.sha256 ? { beforeSha256: ff.sha256 } : {}), afterSha256: sha256(content) }),
        mode,
        ...(owner ? { owner } : {}),
      });
    } else {
      files.push(
        fileChange({
          path: f.path,
          before: before ?? null,
          after: content,
          mode,
          ...(owner ? { owner } : {}),
          sensitive: f.sensitive ?? false,
          // Order-insensitive comparison decides; when the file is rewritten anyway, the diff shows it as written.
          normalize: sameContent ? norm : { ...(norm.dropManagedHeader !== undefined ? { dropManagedHeader: norm.dropManagedHeader } : {}) },
          ...(f.secretFields && f.secretFields.length > 0 ? { secretFields: f.secretFields } : {}),
        }),
      );
    }
    if (sameContent && sameMeta) continue;
    const blocked = writeBlocked(f.path, ff);
    if (blocked !== undefined) {
      diagnostics.push({ severity: 'error', message: blocked });
      continue;
    }
    if (!sameContent) changedPaths.add(f.path);
    operations.push(...fileOps({ ...f, content }, exists, ensuredDirs));
  }

  for (const t of desired.triggers) {
    if (t.paths.some((p) => changedPaths.has(p))) operations.push({ description: t.description, command: t.command, effects: [] });
  }
  if (desired.packagesAfterFiles) operations.push(...packageSteps);

  // Kernel: modules before sysctls (net.bridge.* only exists once br_netfilter is in).
  for (const m of desired.modules) {
    const state = facts.modules[m] ?? 'absent';
    attributes.push(attr(`module.${m}`, state, state === 'absent' ? 'loaded' : state));
    if (state === 'absent')
      operations.push({ description: `load kernel module ${m}`, command: `modprobe -- ${shellQuote(m)}`, effects: [{ type: 'module', name: m }] });
  }
  const differing = desired.sysctls.filter((s) => (facts.sysctls[s.key] ?? undefined) !== s.value);
  for (const s of desired.sysctls) attributes.push(attr(`sysctl.${s.key}`, facts.sysctls[s.key] ?? undefined, s.value));
  if (differing.length > 0) {
    const effects: Effect[] = desired.sysctls.map((s) => ({ type: 'sysctl', key: s.key, value: s.value }));
    operations.push(
      desired.sysctlFile !== undefined
        ? {
            description: `apply ${desired.sysctlFile} (${differing.map((s) => s.key).join(', ')})`,
            command: `sysctl -q -p ${shellQuote(desired.sysctlFile)}`,
            effects,
          }
        : {
            description: `set ${differing.map((s) => `${s.key}=${s.value}`).join(', ')}`,
            command: differing.map((s) => `sysctl -q -w ${shellQuote(`${s.key}=${s.value}`)}`).join(' && '),
            effects,
          },
    );
  }
  if (desired.swapOff) {
    const active = facts.swap.activeBytes > 0 || facts.swap.devices.length > 0;
    attributes.push(attr('swap.active', active, false));
    if (active)
      operations.push({ description: `turn swap off (${facts.swap.devices.join(', ') || 'active'})`, command: 'swapoff -a', effects: [{ type: 'swapoff' }] });
  }
  if (desired.hostname !== undefined) {
    attributes.push(attr('hostname', facts.hostname, desired.hostname));
    if (facts.hostname !== desired.hostname) {
      operations.push({
        description: `set the hostname to ${desired.hostname}`,
        command: `hostname ${shellQuote(desired.hostname)}`,
        effects: [{ type: 'hostname', name: desired.hostname }],
      });
    }
  }

  // Services: daemon-reload when packages brought new unit files, then enable, then (re)start.
  if (desired.units.length > 0 && (packageChanged.size > 0 || [...changedPaths].some((p) => p.startsWith('/etc/systemd/')))) {
    operations.push({ description: 'reload systemd unit files', command: 'systemctl daemon-reload', effects: [] });
  }
  for (const u of desired.units) {
    const uf = facts.units[u.name];
    const enabled = uf?.enabled ?? false;
    const active = uf?.active ?? false;
    attributes.push(attr(`service.${u.name}.enabled`, enabled, u.enabled));
    if (uf?.unitFileState === 'masked' && (u.enabled || u.active === true)) {
      attributes.push(attr(`service.${u.name}.masked`, true, false));
      operations.push(unmaskOperation(u.name));
    }
    if (u.enabled !== enabled) {
      const verb = u.enabled ? 'enable' : 'disable';
      operations.push({
        description: `${verb} ${u.name}`,
        command: `systemctl ${verb} -- ${shellQuote(u.name)}`,
        effects: [{ type: 'unit', name: u.name, enabled: u.enabled }],
      });
    }
    if (u.active === true) {
      attributes.push(attr(`service.${u.name}.active`, active, true));
      const because = [
        ...(active ? [] : ['not running']),
        ...(u.restartOn ?? []).filter((p) => changedPaths.has(p)).map((p) => `${p} changed`),
        ...(u.restartOnPackages ?? []).filter((p) => packageChanged.has(p)).map((p) => `package ${p} changed`),
      ];
      if (because.length > 0) {
        operations.push({
          description: `${active ? 'restart' : 'start'} ${u.name} (${because.join(', ')})`,
          command: `systemctl restart -- ${shellQuote(u.name)}`,
          effects: [{ type: 'unit', name: u.name, active: true }],
        });
      }
    } else if (u.active === false) {
      attributes.push(attr(`service.${u.name}.active`, active, false));
      if (active)
        operations.push({
          description: `stop ${u.name}`,
          command: `systemctl stop -- ${shellQuote(u.name)}`,
          effects: [{ type: 'unit', name: u.name, active: false }],
        });
    }
  }

  if (desired.actions) {
    attributes.push(...desired.actions.attributes);
    operations.push(...desired.actions.operations);
  }
  for (const name of desired.unknown) attributes.push(attr(name, undefined, unknown()));
  return { attributes, files, operations, diagnostics };
}
