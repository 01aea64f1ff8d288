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
  {
    // After authentication OpenSSH announces its host keys (hostkeys-00@openssh.com), and ssh2
    // answers every announcement by asking the server to prove each key: one signature per host
    // key on the host, and their checks here, for a 'hostkeys' event hactl never listens to
    // (OpenSSH's own client asks only with UpdateHostKeys). Against an sshd with the usual RSA,
    // ECDSA and ed25519 host keys, about 7 ms of the host's CPU per connection (out of about 50).
    // Asked only when someone listens.
    pkg: 'ssh2',
    sub: 'lib/client.js',
    find: "            case 'hostkeys-00@openssh.com':\n              // Automatically verify keys before passing to end user\n",
    replace:
      "            case 'hostkeys-00@openssh.com':\n              if (this.listenerCount('hostkeys') === 0) {\n                if (wantReply) proto.requestSuccess();\n                break;\n              }\n              // Automatically verify keys before passing to end user\n",
  },
];
