// Server-side field validation as upstream's handlers do it (the `fieldValidation` query
// parameter of create, update and patch; its absence means Warn):
// - Strict: the request fails. A create or update body is refused as undecodable (400
//   BadRequest, `<Kind> in version "v1" cannot be handled as a <Kind>: strict decoding error:
//   unknown field "spec.foo"`); a patch whose result has unknown fields is Invalid (422, on the
//   field `patch`);
// - Warn: the unknown fields are dropped and each one named in a `Warning: 299 - "..."` header;
// - Ignore: they are dropped silently.
// Unknown means not in the kind's schema (schemas.js); a kind without a schema is not checked.
import { pruneUnknown, typeOfKind, unknownFields } from './schemas.js';

export class FieldValidationError extends Error {
  constructor(code, reason, message, details) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

const DIRECTIVES = ['Ignore', 'Strict', 'Warn'];

/** The request's directive; `options` names the options kind for the error (CreateOptions...). */
export function directiveOf(query, options) {
  const v = query.get('fieldValidation') ?? '';
  if (v === '') return 'Warn';
  if (DIRECTIVES.includes(v)) return v;
  const detail = `Unsupported value: "${v}": supported values: "", ${DIRECTIVES.map((d) => `"${d}"`).join(', ')}`;
  throw new FieldValidationError(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: fieldValidation: ${detail}`, {
    group: 'meta.k8s.io',
    kind: options,
    causes: [{ reason: 'FieldValueNotSupported', message: detail, field: 'fieldValidation' }],
  });
}

const strictText = (fields) => `strict decoding error: ${fields.map((f) => `unknown field "${f}"`).join(', ')}`;

// Go's %+v of a decoded JSON value, as upstream quotes a strategic merge patch in its error.
function goFormat(v) {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFormat(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

/**
 * Checks `obj`, an object of `res`'s kind, against the schema under `directive`. `patch` (the
 * request's patch document and type) says the object is a patch's result. Returns the object to
 * store (unknown fields dropped) and the warnings to send; throws a FieldValidationError under
 * Strict.
 */
export function checkFields(res, obj, directive, patch) {
  const type = typeOfKind(res.group, res.version, res.kind);
  const unknown = type ? unknownFields(type, obj) : [];
  if (!unknown.length) return { obj, warnings: [] };
  if (directive === 'Strict') {
    if (!patch)
      throw new FieldValidationError(400, 'BadRequest', `${res.kind} in version "${res.version}" cannot be handled as a ${res.kind}: ${strictText(unknown)}`);
    const value = patch.type === 'application/strategic-merge-patch+json' ? goFormat(patch.body) : JSON.stringify(obj);
    const detail = `Invalid value: ${JSON.stringify(value)}: ${strictText(unknown)}`;
    throw new FieldValidationError(422, 'Invalid', ` "" is invalid: patch: ${detail}`, {
      causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }],
    });
  }
  return { obj: pruneUnknown(type, obj), warnings: directive === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [] };
}

/** A `Warning` response header's value for one warning text (299, agent "-", quoted text). */
export function warningHeader(text) {
  return `299 - ${JSON.stringify(text)}`;
}
