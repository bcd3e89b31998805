import { describe, expect, it } from 'vitest';
import { withoutOptions } from '../../src/orchestrator/worker-group.js';

describe('withoutOptions (what the workers of `ralph worker --workers N` are started with)', () => {
  it.each([
    [
      ['--workers', '4', '--agent', 'claude'],
      ['--agent', 'claude'],
    ],
    [
      ['--workers=4', '--queue', 'postgres://u:p@h/d', '--model', 'x'],
      ['--model', 'x'],
    ],
    [
      ['--queue=postgres://u:p@h/d', '--id', '3', '--dir', '.ralph'],
      ['--dir', '.ralph'],
    ],
    [
      ['--agent-cmd', './a.sh --workers 2'],
      ['--agent-cmd', './a.sh --workers 2'],
    ],
    [[], []],
  ])('%j → %j', (argv, expected) => {
    expect(withoutOptions(argv, ['--workers', '--queue', '--id'])).toEqual(expected);
  });
});
