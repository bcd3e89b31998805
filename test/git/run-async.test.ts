// git that talks to a remote is given up after its timeout, with everything it started: a real
// process tree (a stand-in for git whose helper keeps the pipes open, as a hung ssh does).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGitAsync } from '../../src/git/run.js';
import { script, tempDir } from '../helpers/index.js';

/** Running: there, and not a zombie waiting for its parent (which may be an init that never reaps). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('runGitAsync', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('answers at the timeout, and kills the helper that still holds its output open', async () => {
    const bin = tempDir('ralph-fake-git-');
    const pids = join(bin, 'pids');
    writeFileSync(pids, '');
    script(bin, 'git', `sleep 60 &\necho $! >> "${pids}"\necho $$ >> "${pids}"\nexec sleep 60`);
    process.env.PATH = `${bin}:${path}`;
    const t0 = Date.now();
    const r = await runGitAsync(bin, ['fetch', 'origin'], 300);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r).toMatchObject({ code: 1, stderr: 'git fetch gave no answer within 0 s' });
    const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(started).toHaveLength(2);
    for (let i = 0; i < 50 && started.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started.filter(alive)).toEqual([]);
  });

  it('gives git its answer when it ends in time', async () => {
    const r = await runGitAsync(tempDir(), ['--version'], 10_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^git version /);
  });
});
