// "Did you mean" for a mistyped command, from the command list alone.
import { describe, expect, it } from 'vitest';
import { notFoundMessage } from '../../src/cli/not-found.js';

const config = {
  bin: 'hactl',
  commandIDs: ['apply', 'plan', 'show', 'reset', 'etcd:snapshot', 'etcd:restore', 'force-unlock'],
  topics: [{ name: 'etcd' }],
} as unknown as Parameters<typeof notFoundMessage>[1];

describe('notFoundMessage', () => {
  it.each([
    ['plna', 'Did you mean hactl plan?'],
    ['shwo', 'Did you mean hactl show?'],
    ['etcd:snapshto', 'hactl etcd snapshto: no such command. Did you mean hactl etcd snapshot?'],
    ['force_unlock', 'Did you mean hactl force-unlock?'],
    ['destroy', 'Did you mean hactl reset?'],
  ])('%s: %s', (id, text) => {
    expect(notFoundMessage(id, config)).toContain(text);
  });

  it('no guess for a word close to nothing', () => {
    expect(notFoundMessage('kubernetes', config)).toBe('hactl kubernetes: no such command. Run hactl help for the list.');
  });
});
