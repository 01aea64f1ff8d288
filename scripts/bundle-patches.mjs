// Mends for start-up costs in dependencies, applied by scripts/bundle.mjs to the bundle only
// (node_modules stays as installed). test/cli/bundle-patches.test.ts checks each still applies.

/** A patch whose text is no longer found (the package changed) is reported at build time and skipped. */
export const PATCHES = [
  {
    // Sorting command ids with localeCompare builds an ICU collator first: 10 to 30 ms at every
    // start, for ids that are lowercase ASCII (same order by code units).
    pkg: '@oclif/core',
    sub: 'lib/config/plugin.js',
    find: '.sort((a, b) => a.id.localeCompare(b.id))',
    replace: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))',
  },
];
