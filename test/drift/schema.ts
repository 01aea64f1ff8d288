// Validates documents against schemas/drift-report.schema.json (which refers to plan.schema.json).
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

const ajv = new Ajv2020Module.default({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormatsModule.default(ajv, ['date-time']);
ajv.addSchema(load('plan.schema.json'));
const validate = ajv.compile(load('drift-report.schema.json'));

/** Problems as `path: message`; empty when valid. */
export function driftReportProblems(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'is invalid'}`);
}
