// Text that quotes input (a spec, what a host reported) is escaped before it reaches a terminal:
// control characters (C0 but newline and tab where lines are the structure, DEL, C1) and the
// Unicode direction overrides are shown as `\xNN` / `\u{NNNN}`, so an ESC sequence or NUL in a
// value cannot move the cursor, retitle the terminal or hide text.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_AND_LINES = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => {
  const n = c.codePointAt(0)!;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

/**
 * `text` with every non-printable character escaped. `lines: true` keeps newlines and tabs (a
 * diff, a multi-line message); otherwise they are escaped too, so one value stays on one line.
 */
export function printable(text: string, opts: { lines?: boolean } = {}): string {
  return text.replace(opts.lines ? CONTROL : CONTROL_AND_LINES, escape);
}

/** Fields whose text is made of lines (diffs, multi-line messages): their newlines are kept. */
const MULTILINE_KEYS = new Set(['diff', 'message', 'reason', 'unreachable', 'error']);

/** A copy of a plain JSON value (a plan, a report) with every string made printable. */
export function printableDeep<T>(value: T, key?: string): T {
  if (typeof value === 'string') return printable(value, { lines: key !== undefined && MULTILINE_KEYS.has(key) }) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => printableDeep(v, key)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = printableDeep(v, k);
    return out as T;
  }
  return value;
}
