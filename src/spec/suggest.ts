// "Did you mean" for misspelled keys and enum values.

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

const squash = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

// Words people bring from other tools, mapped to ours.
const ALIASES: Record<string, string> = {
  master: 'control-plane',
  controlplane: 'control-plane',
  node: 'worker',
  loadbalancer: 'lb',
  keepalived: 'keepalived-haproxy',
  haproxy: 'keepalived-haproxy',
  nginx: 'keepalived-nginx',
  kubevip: 'kube-vip',
};

/** The closest candidate, or undefined when nothing is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const alias = ALIASES[squash(word)];
  if (alias !== undefined && candidates.includes(alias)) return alias;
  // snake_case, kebab-case or wrong capitals of an allowed key.
  const exact = candidates.find((c) => squash(c) === squash(word));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
