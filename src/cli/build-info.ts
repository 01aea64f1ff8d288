// What `hactl version` says about the build: scripts/bundle.mjs defines HACTL_BUILD (the git commit
// the bundle was made from, and whether tracked files differed from it); code run from the
// TypeScript sources (tests, tsx) has none.

declare const HACTL_BUILD: { commit: string | null; modified: boolean } | undefined;

export interface BuildInfo {
  /** Run from dist/hactl.cjs rather than from the sources. */
  bundled: boolean;
  /** Full commit id; absent when unknown (not built from a git checkout, or not bundled). */
  commit?: string;
  /** Tracked files differed from the commit when the bundle was built. */
  modified?: boolean;
}

export function buildInfo(): BuildInfo {
  if (typeof HACTL_BUILD === 'undefined') return { bundled: false };
  return { bundled: true, ...(HACTL_BUILD.commit !== null ? { commit: HACTL_BUILD.commit, modified: HACTL_BUILD.modified } : {}) };
}
