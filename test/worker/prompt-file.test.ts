// The prompt file a worker rewrites in place for each task: the new text replaces the old (also a
// longer one by a shorter one), and a file removed or replaced meanwhile is made anew.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptFile } from '../../src/worker/prompt-file.js';
import { tempDir } from '../helpers/index.js';

describe('PromptFile', () => {
  it('holds exactly the last text written', () => {
    const path = join(tempDir(), 'worker-1.prompt.md');
    const file = new PromptFile(path);
    file.write('a long first prompt — with ünïcode');
    file.write('short');
    expect(readFileSync(path, 'utf8')).toBe('short');
    file.close();
  });

  it('makes the file again when it was removed', () => {
    const path = join(tempDir(), 'worker-1.prompt.md');
    const file = new PromptFile(path);
    file.write('first');
    rmSync(path);
    file.write('second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    file.close();
  });

  it('writes to the file now at its path when the old one was replaced by a rename, leaving the old one alone', () => {
    const dir = tempDir();
    const path = join(dir, 'worker-1.prompt.md');
    const file = new PromptFile(path);
    file.write('first');
    renameSync(path, join(dir, 'kept.md'));
    writeFileSync(join(dir, 'other.md'), 'put here by someone');
    renameSync(join(dir, 'other.md'), path);
    file.write('second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(readFileSync(join(dir, 'kept.md'), 'utf8')).toBe('first');
    file.close();
    expect(existsSync(path)).toBe(true);
  });
});
