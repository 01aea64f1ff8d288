// Validation of a FactRequest: every value ends up in the probe script, so each must match a
// safe pattern (and is shell-quoted as well).
import type { FactRequest } from './types.js';

const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const UNIT = /^[A-Za-z0-9][A-Za-z0-9@_.:\\-]*$/;
const SYSCTL = /^[a-z0-9_][a-z0-9_.-]*$/i;
const MODULE = /^[a-z0-9_-]+$/i;
const PATH = /^\/[^\0\n]*$/;

export class FactRequestError extends Error {}

export function validateRequest(req: FactRequest): void {
  const check = (what: string, values: readonly string[] | undefined, re: RegExp) => {
    for (const v of values ?? []) if (!re.test(v) || v.length > 512) throw new FactRequestError(`invalid ${what} in fact request: ${JSON.stringify(v)}`);
  };
  check('package name', req.packages, PACKAGE);
  check('unit name', req.units, UNIT);
  check('sysctl key', req.sysctls, SYSCTL);
  check('module name', req.modules, MODULE);
  check('file path', req.files, PATH);
  check('certificate directory', req.certDirs, PATH);
  check('package name', req.candidates, PACKAGE);
}

/** Unit names as systemd shows them: `.service` added when no type suffix is given. */
export function unitName(u: string): string {
  return /\.(service|socket|timer|mount|target|path|slice|scope)$/.test(u) ? u : `${u}.service`;
}

/** The union of several requests (e.g. one per resource), duplicates removed, order kept. */
export function mergeRequests(...reqs: FactRequest[]): FactRequest {
  const u = (xs: (readonly string[] | undefined)[]) => [...new Set(xs.flatMap((x) => x ?? []))];
  return {
    packages: u(reqs.map((r) => r.packages)),
    units: u(reqs.map((r) => r.units)),
    files: u(reqs.map((r) => r.files)),
    sysctls: u(reqs.map((r) => r.sysctls)),
    modules: u(reqs.map((r) => r.modules)),
    certDirs: u(reqs.map((r) => r.certDirs)),
    candidates: u(reqs.map((r) => r.candidates)),
  };
}
