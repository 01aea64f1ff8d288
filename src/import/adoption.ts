// Adoption changes: what the first plan of an imported spec shows, read from that plan (the real
// planner on the observed facts), each with what it does and how to avoid it. Changes that would
// replace, restart or remove anything of the control plane or etcd are not adoption changes: they
// make import refuse, so that the first apply cannot disturb a running control plane.

import type { Plan } from '../plan/model.js';
import type { ResourceChange } from '../resources/diff.js';
import type { ResourceKind } from '../resources/index.js';

export interface AdoptionChange {
  /** The resource id, e.g. `containerd@cp1`. */
  id: string;
  kind: string;
  host: string;
  action: string;
  /** What apply will do, as the plan says it (its steps and the files it writes). */
  does: string[];
  /** Its effect on the running cluster, in a sentence. */
  effect: string;
  /** How to avoid or postpone it. */
  avoid: string;
}

export interface Adoption {
  changes: AdoptionChange[];
  /** Why the first plan is not safe to apply on a running control plane (import refuses). */
  disruptive: string[];
  /** The plan's errors (import refuses: its first plan would fail). */
  errors: string[];
  warnings: string[];
}

/** Kinds whose changes touch the control plane or etcd themselves. */
const CONTROL_PLANE_KINDS: ReadonlySet<string> = new Set<ResourceKind | 'host-removal'>([
  'kubeadm-init',
  'join-control-plane',
  'upgrade-control-plane',
  'etcd',
  'etcd-pki',
  'certificate-renewal',
  'host-removal',
]);

/** Units whose restart on a control-plane host would restart (or stop) the control plane or etcd. */
const CONTROL_PLANE_UNITS = /\b(restart|stop)\s+(kubelet|etcd|kube-apiserver|kube-controller-manager|kube-scheduler)\b/;
/** Steps that rebuild a node or the cluster. */
const REBUILDS = /\bkubeadm (init|join|reset|upgrade)\b|\/etc\/kubernetes\/(manifests|pki)\//;

/** kubeadm-init's one harmless change on a running cluster: hactl's record of the kubeadm config. */
const KUBEADM_CONFIG_RECORD = '/etc/kubernetes/kubeadm-config.yaml';

function does(c: ResourceChange): string[] {
  return [...c.files.filter((f) => f.action !== 'no-op').map((f) => `${f.action} ${f.path}`), ...c.steps];
}

interface Advice {
  effect: string;
  avoid: string;
}

const TARGET = (c: ResourceChange) =>
  `to postpone it, apply the other resources first with \`hactl apply -f FILE --target <id>\` and leave ${c.id} for a quiet moment`;

/** What a change means for a running cluster, by kind (the words of the plan say the details). */
function advice(c: ResourceChange, steps: string[]): Advice {
  const restarts = steps.filter((s) => /^restart /.test(s)).map((s) => s.split(' ')[1]);
  switch (c.kind) {
    case 'node-config':
      return {
        effect:
          'annotates the Node with the labels and taints hactl manages (hactl.io/managed-labels, hactl.io/managed-taints), so that it never removes a label or taint someone else set; labels and taints the spec names are set',
        avoid:
          'cannot be avoided: it is how hactl keeps track of what it owns; it changes no scheduling (annotations only) unless the spec names new labels or taints',
      };
    case 'package-sources':
      return {
        effect:
          "writes hactl's package sources and signing keys and refreshes the package lists (apt-get update); a list of the same Kubernetes repository under another key (the install guide's kubernetes.list) is moved aside, since apt refuses two; nothing is installed or upgraded by it",
        avoid: 'to keep a source file of your own, list that source in packages.apt (or packages.dnf) instead; the files hactl writes carry its managed header',
      };
    case 'os-prep':
      return {
        effect:
          "writes the kernel settings Kubernetes needs into hactl's own files (sysctl.d, modules-load.d) and applies them; values already in force stay as they are",
        avoid: 'cannot be avoided: hactl keeps these settings in its own files so that a reboot keeps them',
      };
    case 'containerd':
      return {
        effect: restarts.includes('containerd')
          ? "rewrites containerd's configuration in hactl's form and restarts containerd once: running containers (the control plane's static pods too) keep running, since their shims are not restarted; image pulls pause for a moment"
          : "writes containerd's configuration in hactl's form; containerd is not restarted",
        avoid: `set containerd.* in the spec to what the host runs (import did); the restart itself happens once, when the file takes hactl's form: ${TARGET(c)}`,
      };
    case 'kube-packages':
      return {
        effect: 'holds kubeadm, kubelet and kubectl at the installed version (apt-mark hold / versionlock), so that an unattended upgrade cannot move them',
        avoid: 'cannot be avoided: hactl upgrades Kubernetes packages itself, through kubernetes.version',
      };
    case 'kubeadm-init':
      return {
        effect: `writes ${KUBEADM_CONFIG_RECORD}, hactl's record of the cluster's kubeadm configuration; kubeadm reads it only for an upgrade, nothing is re-initialised or restarted`,
        avoid: 'cannot be avoided: hactl upgrades the control plane from this file',
      };
    case 'cni':
      return {
        effect: 'applies the CNI manifest of the recognised plugin and version with kubectl; unchanged objects stay as they are, changed ones are updated',
        avoid: 'set cni.plugin: unmanaged to leave the pod network alone',
      };
    case 'lb-haproxy':
    case 'lb-nginx':
    case 'lb-keepalived':
    case 'kube-vip':
      return {
        effect: `rewrites the load balancer's configuration in hactl's form${restarts.length > 0 ? ` and restarts ${restarts.join(', ')}: clients through the endpoint may see it move or pause for a few seconds` : ''}`,
        avoid: 'import without --manage-load-balancer: the load balancer is then left alone (type external to hactl)',
      };
    default:
      return { effect: restarts.length > 0 ? `restarts ${restarts.join(', ')}` : 'changes what the plan shows', avoid: TARGET(c) };
  }
}

/** Why a change may not be part of an adoption, or undefined when it may. */
function disruption(c: ResourceChange, controlPlaneHosts: ReadonlySet<string>): string | undefined {
  const steps = does(c);
  if (c.action === 'replace' || c.action === 'delete') return `${c.id} would be ${c.action === 'replace' ? 'replaced' : 'removed'}`;
  if (c.kind === 'kubeadm-init') {
    const benign = (s: string) => !REBUILDS.test(s) && (s.includes(KUBEADM_CONFIG_RECORD) || s === 'create directory /etc/kubernetes');
    const other = steps.filter((s) => !benign(s));
    return other.length > 0 ? `${c.id} would ${other.join('; ')}` : undefined;
  }
  if (CONTROL_PLANE_KINDS.has(c.kind)) return `${c.id} would ${steps.join('; ') || c.action}`;
  const rebuild = steps.find((s) => REBUILDS.test(s));
  if (rebuild !== undefined) return `${c.id} would ${rebuild}`;
  if (controlPlaneHosts.has(c.host)) {
    const restart = steps.find((s) => CONTROL_PLANE_UNITS.test(s));
    if (restart !== undefined) return `${c.id} would ${restart} on control-plane host ${c.host}`;
  }
  return undefined;
}

/** The adoption changes of a plan made from an imported spec. */
export function adoptionChanges(plan: Plan, controlPlaneHosts: readonly string[]): Adoption {
  const cp = new Set(controlPlaneHosts);
  const out: Adoption = { changes: [], disruptive: [], errors: [], warnings: [] };
  for (const d of plan.diagnostics) {
    const where = d.resource ?? d.host;
    const text = `${where !== undefined ? `${where}: ` : ''}${d.message}`;
    if (d.severity === 'error') out.errors.push(text);
    else if (d.severity === 'warning') out.warnings.push(text);
  }
  for (const c of plan.changes) {
    if (c.action === 'no-op' || c.action === 'read') continue;
    const why = disruption(c, cp);
    if (why !== undefined) {
      out.disruptive.push(why);
      continue;
    }
    const steps = does(c);
    out.changes.push({ id: c.id, kind: c.kind, host: c.host, action: c.action, does: steps, ...advice(c, c.steps) });
  }
  return out;
}

/** The changes for a terminal: one block per kind, the hosts it touches, what it does, how to avoid it. */
export function renderAdoption(a: Adoption): string {
  if (a.changes.length === 0) return 'Adoption changes: none; the first plan shows no changes.\n';
  const byKind = new Map<string, AdoptionChange[]>();
  for (const c of a.changes) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  const lines = [`Adoption changes (what the first plan will show, ${a.changes.length} resource${a.changes.length === 1 ? '' : 's'}):`];
  for (const [kind, cs] of byKind) {
    lines.push(`  ${kind} on ${cs.map((c) => c.host).join(', ')}`);
    const steps = [...new Set(cs.flatMap((c) => c.does.map((s) => s.replaceAll(c.host, '<host>'))))];
    for (const s of steps.slice(0, 6)) lines.push(`    - ${s}`);
    if (steps.length > 6) lines.push(`    - … ${steps.length - 6} more`);
    lines.push(`    what it does: ${cs[0]!.effect}`);
    lines.push(`    to avoid it: ${cs[0]!.avoid}`);
  }
  return lines.join('\n') + '\n';
}
