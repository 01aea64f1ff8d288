// Saved plans: `hactl plan --out plan.json` writes the plan; `hactl apply plan.json` loads it and
// refuses it when the spec or any host has changed since (the plan would no longer describe what
// apply is about to do). Staleness is judged by the spec's sha256 and a digest of each host's facts.

import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { resolve } from 'node:path';
import { PLAN_FORMAT_VERSION, normalizePlan, type Plan } from './model.js';

export const PLAN_SCHEMA_URL = new URL('../../schemas/plan.schema.json', import.meta.url);

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(PLAN_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020Module.default({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormatsModule.default(ajv, ['date-time']);
  validator = ajv.compile(schema);
  return validator;
}

/** Problems with `data` as a plan document, as `path: message` lines; empty when valid. */
export function validatePlanDocument(data: unknown): string[] {
  const validate = compiled();
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'is invalid'}`);
}

export class SavedPlanError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length > 0 ? `${message}:\n  ${problems.join('\n  ')}` : message);
    this.name = 'SavedPlanError';
  }
}

/** Write atomically (temp file, then rename) so an interrupted save never leaves half a plan. */
export async function savePlan(plan: Plan, path: string): Promise<void> {
  const text = JSON.stringify(normalizePlan(plan), null, 2) + '\n';
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

export async function loadSavedPlan(path: string): Promise<Plan> {
  const text = await readFile(path, 'utf8');
  return parseSavedPlan(text, path);
}

export function parseSavedPlan(text: string, source = 'saved plan'): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SavedPlanError(`${source} is not JSON (${(e as Error).message})`);
  }
  // Say "wrong version" plainly rather than listing every schema difference a new format brings.
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof data === 'object' && data !== null && version !== PLAN_FORMAT_VERSION) {
    throw new SavedPlanError(
      `${source} has formatVersion ${JSON.stringify(version)}; this hactl reads formatVersion ${PLAN_FORMAT_VERSION}. Plan again with this hactl`,
    );
  }
  const problems = validatePlanDocument(data);
  if (problems.length > 0) throw new SavedPlanError(`${source} is not a valid hactl plan`, problems);
  return data as Plan;
}

export interface CurrentState {
  specSha256: string;
  /** Facts digest per host name as observed now; undefined for a host that cannot be reached now. */
  factsDigests: Record<string, string | undefined>;
}

/**
 * Why a saved plan cannot be applied with this spec, from the plan file and the spec alone (before
 * any host is contacted): made from another spec (another file, cluster or host list), or from an
 * older version of this one. Empty when the spec is the one the plan was made from.
 */
export function checkSavedAgainstSpec(saved: Plan, spec: { file: string; sha256: string; hosts: readonly string[] }): string[] {
  if (saved.spec.sha256 === spec.sha256) return [];
  const made = `the plan was made at ${saved.createdAt} from ${saved.spec.file} (sha256 ${saved.spec.sha256.slice(0, 12)})`;
  const planHosts = saved.hosts
    .filter((h) => !h.removed)
    .map((h) => h.name)
    .sort();
  const specHosts = [...spec.hosts].sort();
  const other = planHosts.join(',') !== specHosts.join(',');
  if (resolve(saved.spec.file) !== resolve(spec.file)) {
    return [
      `${made}, not from ${spec.file} (sha256 ${spec.sha256.slice(0, 12)}): it is a plan for another spec${other ? ` (its hosts: ${planHosts.join(', ')})` : ''}; apply it with -f ${saved.spec.file}, or run hactl plan -f ${spec.file} again`,
    ];
  }
  const hosts = other ? ` (hosts then: ${planHosts.join(', ')}; now: ${specHosts.join(', ')})` : '';
  return [`${made}; ${spec.file} has changed since (sha256 now ${spec.sha256.slice(0, 12)})${hosts}: the plan is for an older spec; run hactl plan again`];
}

/**
 * Why the saved plan no longer describes what apply would do; empty when it is still current.
 * Any difference counts: apply refuses rather than guessing which changes are harmless.
 */
export function checkStale(saved: Plan, now: CurrentState): string[] {
  const reasons: string[] = [];
  if (saved.spec.sha256 !== now.specSha256) {
    reasons.push(`the spec ${saved.spec.file} changed since the plan was made`);
  }
  const savedHosts = new Map(saved.hosts.map((h) => [h.name, h]));
  const names = [...new Set([...savedHosts.keys(), ...Object.keys(now.factsDigests)])].sort();
  for (const name of names) {
    const then = savedHosts.get(name);
    const inNow = Object.prototype.hasOwnProperty.call(now.factsDigests, name);
    const digest = now.factsDigests[name];
    if (!then) {
      reasons.push(`host ${name} was not part of the plan`);
    } else if (!inNow) {
      reasons.push(`host ${name} is in the plan but no longer part of the cluster`);
    } else if (then.factsDigest === undefined && digest !== undefined) {
      reasons.push(`host ${name} was unreachable when planned and can be observed now`);
    } else if (then.factsDigest !== undefined && digest === undefined) {
      reasons.push(`host ${name} cannot be observed now`);
    } else if (then.factsDigest !== digest) {
      reasons.push(`host ${name} changed since the plan was made (its facts differ)`);
    }
  }
  return reasons;
}

// ---------------------------------------------------------------------------------------------
// Facts digests

/**
 * JSON with object keys sorted at every level and no whitespace: equal data gives equal text
 * whatever order the keys were built in. `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, [], () => false));
}

/** A path through the facts: object keys and array indexes (as strings). */
export type FactsPath = readonly string[];

export interface DigestOptions {
  /**
   * Volatile fields to leave out (uptime, free memory, clock): dotted paths where `*` matches any
   * one key or array index, e.g. `uptimeSeconds`, `memory.availableBytes`, `disks.*.freeBytes`.
   */
  exclude?: readonly string[];
}

function matcher(patterns: readonly string[]): (path: FactsPath) => boolean {
  const split = patterns.map((p) => p.split('.'));
  return (path) => split.some((p) => p.length === path.length && p.every((seg, i) => seg === '*' || seg === path[i]));
}

function sortKeys(value: unknown, path: string[], excluded: (path: FactsPath) => boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return sortKeys((value as { toJSON: () => unknown }).toJSON(), path, excluded);
  }
  if (Array.isArray(value)) {
    // Excluded array elements become null so the other indexes keep their places.
    return value.map((v, i) => (excluded([...path, String(i)]) ? null : sortKeys(v, [...path, String(i)], excluded)));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const child = [...path, key];
    if (excluded(child)) continue;
    out[key] = sortKeys((value as Record<string, unknown>)[key], child, excluded);
  }
  return out;
}

/** sha256 (hex) of the canonical JSON of a host's facts, without the volatile fields named. */
export function factsDigest(facts: unknown, opts: DigestOptions = {}): string {
  // undefined when the facts are (lib.d.ts says string).
  const text = JSON.stringify(sortKeys(facts, [], matcher(opts.exclude ?? []))) as string | undefined;
  return createHash('sha256')
    .update(text ?? 'undefined', 'utf8')
    .digest('hex');
}
