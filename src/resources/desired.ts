// The small vocabulary most resource kinds are made of: files, packages, units, sysctls, modules.
// A kind says what it wants in these terms; converge.ts diffs them against HostFacts and derives
// the operations apply runs. Kind-specific checks come back as diagnostics.

import type { AttributeChange, Diagnostic, NormalizeOptions } from './diff.js';
import type { SecretField } from '../transport/sensitive.js';
import type { Operation } from './operation.js';

export interface DesiredFile {
  path: string;
  /**
   * Full content hactl leaves. `null`: the file must not exist; an existing one is moved aside to
   * `<path>.hactl-disabled` (kept, never deleted, so an operator can go back).
   */
  content: string | null;
  mode: number;
  owner?: string;
  group?: string;
  /** Content is secret: the plan shows only that it changes. */
  sensitive?: boolean;
  /** Fields of the content that hold secrets: masked in the diff, the hashes and failing checks' output. */
  secretFields?: SecretField[];
  normalize?: NormalizeOptions;
  /**
   * Checks a candidate before it replaces the file: a command with `{}` standing for the
   * candidate's path (e.g. `haproxy -c -f {}`). A failing check leaves the old file in place.
   */
  validate?: string;
}

export interface DesiredPackage {
  name: string;
  /**
   * Version wanted: exact, or a glob where `*` matches anything (`1.30.4-*` matches `1.30.4-1.1`
   * and `1.30.4-150500.1.1`). A `*` right after a digit does not continue the number: `1.7.24*`
   * matches `1.7.24-1` and `1.7.24~ds1-1` but not `1.7.240-1`. Undefined: any installed version.
   */
  version?: string;
  /** Held (apt-mark hold, dnf versionlock) so routine upgrades leave it alone. */
  hold?: boolean;
}

export interface DesiredUnit {
  name: string;
  enabled: boolean;
  /** Undefined: not managed (e.g. kubelet before kubeadm has configured it). */
  active?: boolean;
  /** Paths whose change restarts the unit (when it is meant to be active). */
  restartOn?: string[];
  /** Packages whose install or upgrade restarts the unit. */
  restartOnPackages?: string[];
}

export interface DesiredSysctl {
  key: string;
  value: string;
}

/** A command run after the file writes when one of `paths` changed (e.g. `apt-get update`). */
export interface DesiredTrigger {
  paths: string[];
  description: string;
  command: string;
}

export interface Desired {
  packages: DesiredPackage[];
  files: DesiredFile[];
  units: DesiredUnit[];
  /** Runtime values; the file that persists them is one of `files` (`sysctlFile`). */
  sysctls: DesiredSysctl[];
  /**
   * Install packages only after the files and their triggers: packages that come from the
   * repositories this very resource configures.
   */
  packagesAfterFiles?: boolean;
  /** Loaded with `sysctl -p` when a runtime value differs. */
  sysctlFile?: string;
  /** Kernel modules that must be present now (loaded or built in). */
  modules: string[];
  /** No active swap. */
  swapOff?: boolean;
  /** The running hostname. */
  hostname?: string;
  triggers: DesiredTrigger[];
  diagnostics: Diagnostic[];
  /**
   * Parts of the desired state that cannot be known yet (a secret not in the environment): the
   * plan marks them "(known after apply)" and apply refuses until they are known.
   */
  unknown: string[];
  /**
   * Kind-specific work the primitives cannot say (kubeadm init, a join, kubectl apply), decided by
   * the kind from the facts: its attributes join the plan's and its operations run after all the
   * primitives' operations. Each operation's effects must remove its reason, as for the primitives.
   */
  actions?: DesiredActions;
}

export interface DesiredActions {
  attributes: AttributeChange[];
  operations: Operation[];
  /** Resource ids (any host) whose pending change this resource's outcome depends on. */
  pendingOn?: string[];
  /** The resource does not exist yet (a node to join): planned as `create` rather than `update`. */
  creates?: boolean;
  /**
   * Nothing can be compared yet (the cluster facts this kind reads are absent): planned as `read`
   * with this reason, without operations; attributes and operations are ignored.
   */
  deferred?: string;
}

export function emptyDesired(): Desired {
  return { packages: [], files: [], units: [], sysctls: [], modules: [], triggers: [], diagnostics: [], unknown: [] };
}

/** Does an installed version satisfy a wanted one (see DesiredPackage.version)? Epochs `N:` are ignored. */
export function versionMatches(installed: string, wanted: string): boolean {
  const strip = (v: string) => v.replace(/^\d+:/, '');
  const have = strip(installed);
  const want = strip(wanted);
  if (!want.includes('*')) return have === want;
  let re = '';
  for (let i = 0; i < want.length; i++) {
    const c = want[i]!;
    if (c === '*') re += /[0-9]/.test(want[i - 1] ?? '') ? '(?:[^0-9].*)?' : '.*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(have);
}

export const DISABLED_SUFFIX = '.hactl-disabled';
