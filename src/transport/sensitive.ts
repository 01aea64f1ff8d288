// Secrets are marked where they enter hactl, never found again by searching text. A spec secret
// (a VRRP or registry password) enters a file's content, and the file says which of its fields hold
// one (`SecretField`): plans show those fields as the mask, whatever the secret's length or
// spelling. A secret that enters at run time (a join token printed by a step) is held as a
// `Sensitive`; only the host output that comes after it is masked, and only by those values.

import { inspect } from 'node:util';

/** What stands in for a secret wherever one would be shown. */
export const SENSITIVE_MASK = '(sensitive value)';

/** A secret value: its text and JSON forms are the mask, so it cannot be printed by accident. */
export class Sensitive {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The secret itself: only for the host that needs it (a command's input, a file's content). */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return SENSITIVE_MASK;
  }
  toJSON(): string {
    return SENSITIVE_MASK;
  }
  [inspect.custom](): string {
    return SENSITIVE_MASK;
  }
}

/**
 * A field of a file format that holds a secret: `pattern` (global, multiline) matches the field
 * with its value, and group 1 is the part before the value, which stays visible. Masking a field
 * replaces what follows group 1 in the match, so a file is masked by its syntax, never by a value.
 */
export interface SecretField {
  pattern: RegExp;
}

/**
 * The one masking function. Secret fields are masked by syntax; `Sensitive` values by their exact
 * spelling, in one pass (the mask is never searched again, so output grows at most by the masks).
 */
export function maskSecrets(text: string, secrets: { fields?: readonly SecretField[]; values?: readonly Sensitive[] }): string {
  let out = text;
  for (const f of secrets.fields ?? []) out = out.replace(f.pattern, (_m, pre: string) => `${pre}${SENSITIVE_MASK}`);
  const values = [...new Set((secrets.values ?? []).map((v) => v.reveal()).filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return out;
  const re = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return out.replace(re, SENSITIVE_MASK);
}

/**
 * A command line with secret parts: `text` is what the host runs, `shown` what logs and errors
 * say. Built with the `command` template tag, which masks every `Sensitive` part in `shown`.
 */
export interface CommandLine {
  readonly text: string;
  readonly shown: string;
}

export function command(strings: TemplateStringsArray, ...parts: (string | Sensitive)[]): CommandLine {
  let text = strings[0]!;
  let shown = strings[0]!;
  parts.forEach((p, i) => {
    text += (p instanceof Sensitive ? p.reveal() : p) + strings[i + 1]!;
    shown += (p instanceof Sensitive ? SENSITIVE_MASK : p) + strings[i + 1]!;
  });
  return { text, shown };
}
