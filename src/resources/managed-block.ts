// A marked block hactl owns inside a file that is otherwise someone else's (/etc/hosts): read
// tolerantly, whatever happened to it, and written back as exactly one intact block, with every
// line outside it kept as it was. What was found broken is described in plain words for the plan.
//
// Tolerance rules:
// - a marker is recognised whatever its case and spacing (`#  begin HACTL`), and rewritten exactly;
// - a begin marker without an end (or an end without a begin) claims only the lines next to it that
//   are lines of the block hactl writes now; any other line is the user's and stays;
// - of duplicated blocks the first is rewritten in place and the others are removed;
// - line ends are read as LF whether CRLF or LF, and the result ends with a newline.

export interface BlockMarkers {
  begin: string;
  end: string;
}

export interface MergedBlock {
  /** The file with exactly one intact block. */
  content: string;
  /** What was found broken, one plain sentence each (empty when the block was intact or absent). */
  damage: string[];
}

const squash = (s: string): string => s.replace(/\s+/g, '').toLowerCase();

/** Lines of `text` as LF-separated lines, without the empty string a final newline leaves. */
export function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Does `text` hold either of hactl's markers, recognised as tolerantly as the merge does? */
export function holdsMarker(text: string, markers: BlockMarkers): boolean {
  const wanted = new Set([squash(markers.begin), squash(markers.end)]);
  return splitLines(text).some((l) => wanted.has(squash(l)));
}

/**
 * `observed` with its block replaced by `begin`, `body`, `end`; without a block, the block is
 * appended (to `fresh` when the file is absent). Only lines hactl would write are ever dropped.
 */
export function mergeManagedBlock(path: string, observed: string | null, markers: BlockMarkers, body: string[], fresh: string[] = []): MergedBlock {
  const block = [markers.begin, ...body, markers.end];
  if (observed === null) return { content: [...fresh, ...block].join('\n') + '\n', damage: [] };
  const lines = splitLines(observed);
  const damage: string[] = [];
  const begin = squash(markers.begin);
  const end = squash(markers.end);
  const kind = (l: string): 'begin' | 'end' | undefined => (squash(l) === begin ? 'begin' : squash(l) === end ? 'end' : undefined);
  const ours = new Set(body.map(squash));
  const at = (i: number) => `line ${i + 1}`;

  for (let i = 0; i < lines.length; i++) {
    const k = kind(lines[i]!);
    if (k !== undefined && lines[i] !== markers[k]) {
      damage.push(
        `${path} ${at(i)} has hactl's ${k} marker with other case or spacing (${JSON.stringify(lines[i])} instead of ${JSON.stringify(markers[k])}): it is rewritten exactly`,
      );
    }
  }

  // Pair the markers in order; what cannot be paired is extended over the block lines next to it.
  const spans: [number, number][] = [];
  let open: number | undefined;
  const unterminated = (b: number, limit: number) => {
    let e = b;
    while (e + 1 < limit && ours.has(squash(lines[e + 1]!))) e++;
    const rest = limit - (e + 1);
    damage.push(
      `${path} has hactl's begin marker (${at(b)}) without an end marker: ` +
        (e > b ? `the block's own lines after it (to ${at(e)}) are taken as the block` : 'no line after it is one of the block') +
        (rest > 0 ? `; the ${rest === 1 ? 'line' : `${rest} lines`} after that ${rest === 1 ? 'is' : 'are'} kept as written` : ''),
    );
    spans.push([b, e]);
  };
  for (let i = 0; i < lines.length; i++) {
    const k = kind(lines[i]!);
    if (k === 'begin') {
      if (open !== undefined) unterminated(open, i);
      open = i;
    } else if (k === 'end') {
      if (open !== undefined) {
        spans.push([open, i]);
        open = undefined;
      } else {
        let b = i;
        const floor = spans.length > 0 ? spans[spans.length - 1]![1] + 1 : 0;
        while (b - 1 >= floor && ours.has(squash(lines[b - 1]!))) b--;
        damage.push(
          `${path} has hactl's end marker (${at(i)}) without a begin marker: ` +
            (b < i ? `the block's own lines before it (from ${at(b)}) are taken as the block` : 'no line before it is one of the block'),
        );
        spans.push([b, i]);
      }
    }
  }
  if (open !== undefined) unterminated(open, lines.length);
  spans.sort((a, b) => a[0] - b[0]);

  if (spans.length === 0) return { content: [...lines, ...block].join('\n') + '\n', damage };
  const complete = spans.filter(([b, e]) => kind(lines[b]!) === 'begin' && kind(lines[e]!) === 'end').length;
  if (complete > 1) damage.push(`${path} has hactl's block ${complete} times: the first is rewritten and the others removed`);
  else if (spans.length > 1) damage.push(`${path} has parts of hactl's block in ${spans.length} places: they are joined into one block where the first was`);
  const out: string[] = [];
  let next = 0;
  spans.forEach(([b, e], n) => {
    out.push(...lines.slice(next, b));
    if (n === 0) out.push(...block);
    next = e + 1;
  });
  out.push(...lines.slice(next));
  return { content: out.join('\n') + '\n', damage };
}
