import { describe, expect, it } from 'vitest';
import { verifyError, verifyPromptNote } from '../../src/queue/verify.js';
import type { VerifyRecord } from '../../src/queue/verify.js';
import { task } from '../helpers/task-fixtures.js';

const record = (fields: Partial<VerifyRecord>): VerifyRecord => ({
  command: 'npm test',
  ok: false,
  exit_code: 1,
  signal: null,
  duration_ms: 5,
  output: '',
  ...fields,
});

describe('a failed check, in words', () => {
  it.each([
    [{ exit_code: 3, output: 'a\n2 failing\n' }, 'verify failed: `npm test` exit 3: 2 failing'],
    [{ exit_code: null, signal: 'SIGKILL', timed_out: true }, 'verify failed: `npm test` timed out (--verify-timeout)'],
    [{ exit_code: null, signal: 'SIGTERM' }, 'verify failed: `npm test` killed by SIGTERM'],
  ])('%j → %s', (fields, error) => {
    expect(verifyError(record(fields))).toBe(error);
  });

  it('tells a retry what the check said; nothing after a check that passed, or none', () => {
    expect(verifyPromptNote(task('a', { verify: record({ exit_code: 3, output: 'x\ny\n' }) }))).toBe(
      "Note: the previous attempt's work did not pass the check `npm test` (exit 3). Its last output:\n\nx\ny\n\nMake it pass.",
    );
    expect(verifyPromptNote(task('a', { verify: record({ exit_code: 3 }) }))).toBe(
      "Note: the previous attempt's work did not pass the check `npm test` (exit 3).\nMake it pass.",
    );
    expect(verifyPromptNote(task('a', { verify: record({ ok: true, exit_code: 0 }) }))).toBeUndefined();
    expect(verifyPromptNote(task('a', { verify: 'garbled' }))).toBeUndefined();
    expect(verifyPromptNote(task('a'))).toBeUndefined();
  });
});
