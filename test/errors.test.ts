import { describe, expect, it } from 'vitest';
import { InputError, StateWriteError, WRITE_ERRNOS, asWriteError } from '../src/errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: failed, write`), { code });

describe('asWriteError', () => {
  it.each([
    ['ENOSPC', 'no space left on device', 'free some space'],
    ['EDQUOT', 'disk quota exceeded', 'raise the quota'],
    ['EFBIG', 'file too large', 'raise the file-size limit'],
    ['EIO', 'I/O error', 'check the disk'],
    ['EROFS', 'read-only file system', 'remount it read-write'],
    ['EACCES', 'permission denied', 'make it writable'],
    ['EPERM', 'operation not permitted', 'make it writable'],
  ])('%s: one line naming the file, what happened and what to do; exit 2', (code, what, fix) => {
    const error = asWriteError(errno(code), '.ralph/work-queue.json');
    expect(error).toBeInstanceOf(StateWriteError);
    const e = error as StateWriteError;
    expect(e.message).toContain(`cannot write .ralph/work-queue.json: ${what} (${code})`);
    expect(e.message).toContain(fix);
    expect(e.message).not.toContain('\n');
    expect(e).toMatchObject({ code: 'RALPH_STATE_WRITE', errno: code, path: '.ralph/work-queue.json', exitCode: 2 });
    expect(e.duringRun()).toMatchObject({ message: e.message, exitCode: 1 });
  });

  it('covers exactly the errnos above', () => {
    expect([...WRITE_ERRNOS].sort()).toEqual(['EACCES', 'EDQUOT', 'EFBIG', 'EIO', 'ENOSPC', 'EPERM', 'EROFS']);
  });

  it('leaves other errors as they are', () => {
    const other = errno('EBADF');
    expect(asWriteError(other, 'x')).toBe(other);
    const ralph = new InputError('bad');
    expect(asWriteError(ralph, 'x')).toBe(ralph);
    expect(asWriteError('text', 'x')).toBe('text');
  });
});
