// JSON Schema validation of the loaded YAML data, and the translation of ajv's errors into plain
// messages with a path the positions module can place.

import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
// Precompiled from the schema (scripts/gen-schema-validator.mjs): compiling it at run time cost
// every invocation a few hundred milliseconds. test/spec/schema-validator.test.ts keeps it fresh.
import validateGenerated from './schema-validator.generated.js';
import { closest } from './suggest.js';
import type { Path, PathSegment } from './positions.js';

export const SCHEMA_URL = new URL('../../schemas/cluster.schema.json', import.meta.url);

export interface SchemaProblem {
  path: Path;
  /** Point at the key of the last path segment rather than its value (unknown keys). */
  atKey: boolean;
  message: string;
  /** For a misspelled key: the path of the key it was probably meant to be. */
  suggests?: Path;
}

type JsonSchema = Record<string, unknown>;

interface GeneratedValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const validate = validateGenerated as unknown as GeneratedValidator;
let cachedSchema: JsonSchema | undefined;

/** The schema itself: messages need its allowed keys and descriptions. */
export function clusterSchema(): JsonSchema {
  cachedSchema ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as JsonSchema;
  return cachedSchema;
}

/** Validates `data` (and fills in schema defaults in place); returns problems in plain words. */
export function validateSchema(data: unknown): SchemaProblem[] {
  if (validate(data)) return [];
  return translate(validate.errors ?? [], data, clusterSchema());
}

function toPath(instancePath: string, root: unknown): PathSegment[] {
  if (instancePath === '') return [];
  const out: PathSegment[] = [];
  let cur: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only scalars are left (numbers, booleans)
  return String(v);
}

function typeName(t: string): string {
  switch (t) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    default:
      return t;
  }
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only scalars are left (strings)
  return `the string '${String(v).slice(0, 60)}'`;
}

const SECRET_KEY = /pass(word|phrase)?$|secret|token|api[-_]?key|credential/i;

function allowedKeys(parentSchema: JsonSchema): string[] {
  return Object.keys((parentSchema.properties as JsonSchema | undefined) ?? {});
}

function unknownKeyMessage(key: string, parentSchema: JsonSchema): string {
  const allowed = allowedKeys(parentSchema);
  if (SECRET_KEY.test(key)) {
    const envKeys = allowed.filter((k) => k.endsWith('Env'));
    const envKey = allowed.includes(`${key}Env`) ? `${key}Env` : (closest(`${key}Env`, envKeys) ?? envKeys[0]);
    return envKey !== undefined
      ? `secrets are never written in the spec: set '${envKey}' to the name of an environment variable that holds it`
      : `secrets are never written in the spec, and '${key}' is not a setting here`;
  }
  const suggestion = closest(key, allowed);
  return suggestion !== undefined ? `unknown key '${key}', did you mean '${suggestion}'?` : `unknown key '${key}' (allowed: ${allowed.join(', ')})`;
}

/** Reads the JSON pointer fragment of an ajv schemaPath ("#/properties/cni/if") inside `schema`. */
function schemaAt(schema: JsonSchema, schemaPath: string): unknown {
  let cur: unknown = schema;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue;
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** "when type is 'kube-vip'" for the `if` guarding a `then` whose requirement failed. */
function conditionText(schema: JsonSchema, schemaPath: string): string {
  const m = /^(.*)\/then\/required$/.exec(schemaPath);
  if (!m) return '';
  const cond = schemaAt(schema, `${m[1]}/if`) as JsonSchema | undefined;
  const props = (cond?.properties as Record<string, JsonSchema> | undefined) ?? {};
  const parts = Object.entries(props).map(([k, s]) => {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the schema's `if` conditions compare scalars
    if (s.const !== undefined) return `${k} is '${String(s.const)}'`;
    if (Array.isArray(s.enum)) return `${k} is ${s.enum.map((e) => `'${String(e)}'`).join(' or ')}`;
    return k;
  });
  return parts.length > 0 ? ` (needed when ${parts.join(' and ')})` : '';
}

function translate(errors: ErrorObject[], data: unknown, schema: JsonSchema): SchemaProblem[] {
  // anyOf/oneOf report one error per failed branch plus their own; keep only their own, worded
  // from the schema's x-message. Indexed by instance path so this stays linear in the errors.
  const alternatives = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  const inAlternative = (e: ErrorObject): boolean => {
    if (alternatives.size === 0 || e.keyword === 'anyOf' || e.keyword === 'oneOf') return false;
    // A type error beside anyOf (`type: string` with alternative formats) is the value's own; one
    // inside a branch (an integer-or-percentage) is only that branch failing.
    if (e.keyword === 'type' && !/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)) return false;
    for (let p = e.instancePath; ; p = p.slice(0, p.lastIndexOf('/'))) {
      if (alternatives.has(p)) return true;
      if (p === '') return false;
    }
  };

  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  const push = (p: SchemaProblem): void => {
    const key = `${p.path.join('\u0000')}|${p.atKey}|${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(p);
  };

  for (const e of errors) {
    // `if` failing is not a problem in itself; its `then` reports what is missing.
    if (e.keyword === 'if' || e.keyword === 'propertyNames' || inAlternative(e)) continue;
    const path = toPath(e.instancePath, data);
    const parentSchema = (e.parentSchema ?? {}) as JsonSchema;
    const params = e.params as Record<string, unknown>;
    // Errors about a property *name* (propertyNames) carry it here; point at that key.
    const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
    if (propertyName !== undefined) {
      const what = typeof parentSchema['x-pattern-message'] === 'string' ? parentSchema['x-pattern-message'] : 'a valid key';
      push({ path: [...path, propertyName], atKey: true, message: `key '${propertyName}' must be ${what}` });
      continue;
    }
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(params.additionalProperty);
        const meant = SECRET_KEY.test(key) ? undefined : closest(key, allowedKeys(parentSchema));
        const problem: SchemaProblem = { path: [...path, key], atKey: true, message: unknownKeyMessage(key, parentSchema) };
        if (meant !== undefined) problem.suggests = [...path, meant];
        push(problem);
        break;
      }
      case 'required': {
        const key = String(params.missingProperty);
        push({ path: [...path, key], atKey: false, message: `missing required key '${key}'${conditionText(schema, e.schemaPath)}` });
        break;
      }
      case 'type': {
        const t = Array.isArray(params.type) ? (params.type as string[]) : [String(params.type)];
        const hint = t.includes('string') && (typeof e.data === 'number' || typeof e.data === 'boolean') ? ' (quote it)' : '';
        push({ path, atKey: false, message: `must be ${t.map(typeName).join(' or ')}, got ${kindOf(e.data)}${hint}` });
        break;
      }
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        const suggestion = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
        const mean = suggestion !== undefined ? `, did you mean '${suggestion}'?` : '';
        push({ path, atKey: false, message: `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describeValue(e.data)}${mean}` });
        break;
      }
      case 'const':
        push({ path, atKey: false, message: `must be '${String(params.allowedValue)}', got ${describeValue(e.data)}` });
        break;
      case 'pattern': {
        const what = parentSchema['x-pattern-message'];
        push({
          path,
          atKey: false,
          message: typeof what === 'string' ? `must be ${what}, got ${describeValue(e.data)}` : `${describeValue(e.data)} is not allowed here`,
        });
        break;
      }
      case 'anyOf':
      case 'oneOf': {
        const what = parentSchema['x-message'];
        push({ path, atKey: false, message: `must be ${typeof what === 'string' ? what : 'one of the allowed forms'}, got ${describeValue(e.data)}` });
        break;
      }
      case 'format':
        push({ path, atKey: false, message: `must be an ${String(params.format)} address, got ${describeValue(e.data)}` });
        break;
      case 'minimum':
      case 'maximum':
        push({
          path,
          atKey: false,
          message: `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, got ${describeValue(e.data)}`,
        });
        break;
      case 'minItems':
        push({
          path,
          atKey: false,
          message: Number(params.limit) === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} entries`,
        });
        break;
      case 'maxItems':
        push({ path, atKey: false, message: `must have at most ${String(params.limit)} entries` });
        break;
      case 'minLength':
      case 'maxLength':
        push({
          path,
          atKey: false,
          message: `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${String(params.limit)} characters long`,
        });
        break;
      case 'uniqueItems': {
        const i = Number(params.i);
        const j = Number(params.j);
        const items = e.data as unknown[];
        push({ path: [...path, i], atKey: false, message: `${describeValue(items[i])} is listed twice (also at [${j}])` });
        break;
      }
      default:
        push({ path, atKey: false, message: e.message ?? `is not valid (${e.keyword})` });
    }
  }
  // A required key that is only missing because it was misspelled needs no second message.
  const meant = new Set(out.flatMap((p) => (p.suggests ? [p.suggests.join('\u0000')] : [])));
  if (meant.size === 0) return out;
  return out.filter((p) => !(p.message.startsWith('missing required key') && meant.has(p.path.join('\u0000'))));
}
