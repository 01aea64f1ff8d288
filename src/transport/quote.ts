// POSIX shell quoting. Every spec value that reaches a remote shell goes through here
// (or is validated by the schema to a safe pattern).

/** Quote `s` as one POSIX shell word: single quotes, with each `'` written as `'\''`. */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new Error('shellQuote: NUL bytes cannot be passed through a shell');
  // Words made only of these characters mean the same quoted or not; leave them readable.
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote each argument and join them into one command line. */
export function shellJoin(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
