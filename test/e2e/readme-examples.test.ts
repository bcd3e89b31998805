/**
 * The README's worked examples, run as written (each in a fresh directory, `ralph` on PATH as the
 * install section puts it there), whatever git's default branch is.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../helpers/index.js';
import { shellExample } from '../helpers/readme.js';

/** Runs `script` with sh -e in `cwd`: `ralph` on PATH, git configured only by `gitConfig`. */
function runExample(cwd: string, script: string, gitConfig: string) {
  const bin = join(cwd, '.bin');
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'ralph'));
  const global = join(cwd, '.gitconfig');
  writeFileSync(global, `${gitConfig}[user]\n\tname = example\n\temail = example@example.com\n`);
  const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}`, GIT_CONFIG_GLOBAL: global, GIT_CONFIG_NOSYSTEM: '1', npm_lifecycle_event: '' };
  const r = spawnSync('sh', ['-ec', script], { cwd, env, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

describe('the README examples, as written', () => {
  it.each([['master'], ['trunk']])("the --isolate worktree demo works with git's default branch %s", (branch) => {
    const dir = tempDir('ralph-readme-');
    const r = runExample(dir, shellExample('git init', '--isolate worktree'), `[init]\n\tdefaultBranch = ${branch}\n`);
    expect(r.code, r.out).toBe(0);
    const demo = join(dir, 'demo');
    for (const id of ['a', 'b', 'c']) expect(readFileSync(join(demo, `${id}.txt`), 'utf8')).toBe(`done by ${id}\n`);
    expect(r.stdout).toMatch(/ralph: a \(x\)/);
  });
});
