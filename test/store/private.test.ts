import { chmodSync, closeSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/index.js';
import { makePrivateDir, openPrivateAppend } from '../../src/process/private.js';
import { writeFileAtomicSync } from '../../src/store/atomic-write.js';
import { FileLock } from '../../src/store/lock.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('private files under .ralph/', () => {
  // Under the usual umask, so that a mode shows what was asked for and not a strict umask.
  let umask = 0;
  beforeEach(() => {
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
  });

  it('makes the directory 0700, its missing parents as usual, and leaves an existing one as it is', () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    makePrivateDir(join(root, 'a', 'b', '.ralph'));
    expect(mode(join(root, 'a', 'b', '.ralph'))).toBe('700');
    expect(mode(join(root, 'a'))).toBe('755');
    mkdirSync(join(root, 'shared'), { mode: 0o755 });
    chmodSync(join(root, 'shared'), 0o755);
    makePrivateDir(join(root, 'shared'));
    expect(mode(join(root, 'shared'))).toBe('755');
    // A file or a dangling symlink where the directory should be is an error, as with mkdir -p.
    writeFileSync(join(root, 'file'), '');
    expect(() => makePrivateDir(join(root, 'file'))).toThrow(/EEXIST/);
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    expect(() => makePrivateDir(join(root, 'dangling'))).toThrow(/EEXIST/);
  });

  it('creates files 0600, and makes a log an older version left 0644 private when it opens it', () => {
    const dir = tempDir();
    writeFileAtomicSync(join(dir, 'state.json'), '{}');
    expect(mode(join(dir, 'state.json'))).toBe('600');
    closeSync(openPrivateAppend(join(dir, 'new.log')));
    expect(mode(join(dir, 'new.log'))).toBe('600');
    writeFileSync(join(dir, 'old.log'), 'old\n');
    chmodSync(join(dir, 'old.log'), 0o644);
    closeSync(openPrivateAppend(join(dir, 'old.log')));
    expect(mode(join(dir, 'old.log'))).toBe('600');
  });

  it("creates the lock's files 0600", async () => {
    const dir = tempDir();
    const handle = await new FileLock(join(dir, '.lock')).acquire('test');
    try {
      const files = readdirSync(dir);
      expect(files).toContain('.lock');
      expect(files.map((f) => `${f} ${mode(join(dir, f))}`)).toEqual(files.map((f) => `${f} 600`));
    } finally {
      handle.release();
    }
  });
});
