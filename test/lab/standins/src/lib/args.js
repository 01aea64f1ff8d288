// Flag parsing shared by the stand-ins: --a=b, --a b, -o b, booleans declared per command.
export function parseArgs(argv, booleans = []) {
  const bools = new Set(booleans);
  const flags = {};
  const pos = [];
  const add = (k, v) => {
    if (k in flags) flags[k] = [].concat(flags[k], v);
    else flags[k] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      pos.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') || (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a))) {
      const body = a.replace(/^--?/, '');
      const eq = body.indexOf('=');
      if (eq >= 0) {
        add(body.slice(0, eq), body.slice(eq + 1));
        continue;
      }
      if (bools.has(body)) {
        add(body, 'true');
        continue;
      }
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next.length > 1)) {
        add(body, 'true');
        continue;
      }
      add(body, next);
      i++;
    } else pos.push(a);
  }
  return { flags, pos };
}

export const one = (v) => (Array.isArray(v) ? v[v.length - 1] : v);
export const all = (v) => (v === undefined ? [] : [].concat(v));
export const truthy = (v) => v !== undefined && one(v) !== 'false';

// The command line of a static pod (kubeadm style: --flag=value) as a map.
export function flagMap(args) {
  const m = {};
  for (const a of args) {
    const x = /^--([^=]+)(?:=(.*))?$/s.exec(a);
    if (x) m[x[1]] = x[2] ?? 'true';
  }
  return m;
}

export function die(msg, code = 1) {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
  process.exit(code);
}

/** A Go duration (`24h0m0s`, `10s`, `500ms`) in milliseconds; undefined when `d` is not one. */
export function durationMs(d) {
  if (typeof d !== 'string' || !/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(d)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of d.matchAll(/(\d+(\.\d+)?)(h|ms|m|s)/g)) ms += Number(n) * { h: 3600000, m: 60000, s: 1000, ms: 1 }[unit];
  return ms;
}
