// Each package copy carries version.json written by build.sh; the binaries report exactly that.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
let info;
export function versionInfo() {
  if (info) return info;
  const file = path.join(here, '..', 'version.json');
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(j.gitVersion);
  if (!m) throw new Error(`bad version in ${file}`);
  info = {
    major: m[1],
    minor: m[2],
    gitVersion: j.gitVersion,
    gitCommit: j.gitCommit,
    gitTreeState: 'clean',
    buildDate: j.buildDate,
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
  return info;
}
export function parseVersion(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(v));
  if (!m) return null;
  return { major: +m[1], minor: +m[2], patch: +m[3], s: `v${m[1]}.${m[2]}.${m[3]}` };
}
export function cmpVersion(a, b) {
  const x = parseVersion(a),
    y = parseVersion(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}
