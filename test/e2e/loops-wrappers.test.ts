/**
 * The supervisor.sh/loop.sh that `ralph init --loops` writes are committed and pushed, so they must
 * run on whichever machine clones the repository: they carry no path of the machine that wrote them
 * and find Ralph where they run (RALPH_BIN, the repository's node_modules/.bin, PATH, npx), or say
 * what to install. Run here from clones in other directories (a bare remote on disk).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from '../helpers/index.js';
import { FAST, cloneAs, git, remoteRev, remoteState, twoClones } from '../helpers/loops.js';

const SYNC = ['--sync-via-git', '--branch', 'main', ...FAST, '--max-wait-sec', '20', '--sync-loops', '1'];

/** PATH without any directory that holds a `ralph` (so only what a test adds is found). */
function pathWithoutRalph(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, 'ralph'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

/**
 * Runs a committed wrapper (`./supervisor.sh …`) in `cwd` as a real process: no RALPH_BIN unless
 * given, no `ralph` on PATH unless `extraPath` has one, npm's global prefix an empty directory.
 */
function wrapper(cwd: string, name: string, args: string[], options: { ralphBin?: string; extraPath?: string } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithoutRalph(), npm_config_prefix: tempDir('ralph-npm-prefix-') };
  delete env.RALPH_BIN;
  if (options.ralphBin !== undefined) env.RALPH_BIN = options.ralphBin;
  if (options.extraPath) env.PATH = `${options.extraPath}${delimiter}${env.PATH}`;
  const r = spawnSync(`./${name}`, args, { cwd, env, encoding: 'utf8', timeout: 40_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
}

/** `node_modules/.bin/ralph` as npm makes it: a symbolic link to the package's bin. */
function installBin(dir: string): void {
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(CLI, join(dir, 'node_modules', '.bin', 'ralph'));
}

describe('supervisor.sh and loop.sh, committed and run from another clone', () => {
  it('carry no path of the machine that wrote them, and run a turn each with Ralph found via RALPH_BIN and via node_modules/.bin', async () => {
    const s = await twoClones();
    for (const name of ['supervisor.sh', 'loop.sh']) {
      const committed = git(s.b, 'show', `HEAD:${name}`);
      expect(committed).not.toContain(ROOT);
      expect(committed).not.toContain(process.execPath);
      expect(committed).not.toContain(s.a);
    }

    // A: the supervisor's turn, Ralph given by RALPH_BIN.
    const sup = wrapper(s.a, 'supervisor.sh', [...SYNC, '--agent-cmd', join(s.agents, 'galph.sh')], { ralphBin: CLI });
    expect(sup.code, sup.out).toBe(0);
    expect(remoteState(s.remote)).toMatchObject({ expected_actor: 'ralph', iteration: 1 });

    // B: the engineer's turn, Ralph installed in the repository (node_modules/ ignored, as projects do).
    installBin(s.b);
    appendFileSync(join(s.b, '.git', 'info', 'exclude'), 'node_modules/\n');
    const loop = wrapper(s.b, 'loop.sh', [...SYNC, '--prompt', 'main', '--agent-cmd', join(s.agents, 'ralph.sh')]);
    expect(loop.code, loop.out).toBe(0);
    expect(remoteState(s.remote)).toMatchObject({ expected_actor: 'galph' });
    expect(git(s.remote, 'show', 'main:work/ralph-1.txt')).toBe('done 1');
  });

  it('find ralph on PATH, and ralph-orchestrator installed in a parent directory through npx', async () => {
    const s = await twoClones();
    const bin = tempDir('ralph-path-');
    symlinkSync(CLI, join(bin, 'ralph'));
    const viaPath = wrapper(s.b, 'loop.sh', ['--help'], { extraPath: bin });
    expect(viaPath.code, viaPath.out).toBe(0);
    expect(viaPath.stdout).toMatch(/Usage: ralph loop/);

    // The package installed one level up (a workspace), where npx finds it but node_modules/.bin here does not exist.
    const parent = join(s.root, 'workspace');
    mkdirSync(join(parent, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(parent, 'node_modules', 'ralph-orchestrator'));
    installBin(parent);
    const clone = join(parent, 'repo');
    git(s.root, 'clone', '--quiet', '-b', 'main', s.remote, clone);
    const viaNpx = wrapper(clone, 'supervisor.sh', ['--help']);
    expect(viaNpx.code, viaNpx.out).toBe(0);
    expect(viaNpx.stdout).toMatch(/Usage: ralph supervisor/);
  });

  it('say in one line what to install when no Ralph is found, or when RALPH_BIN is wrong, and touch nothing', async () => {
    const s = await twoClones();
    const c = cloneAs(s, 'c', 'ralph');
    const head = remoteRev(s.remote);
    for (const name of ['loop.sh', 'supervisor.sh']) {
      const missing = wrapper(c, name, [...SYNC, '--agent-cmd', join(s.agents, 'ralph.sh')]);
      expect(missing.code, missing.out).toBe(2);
      expect(missing.stdout).toBe('');
      expect(missing.stderr.trim().split('\n'), missing.stderr).toHaveLength(1);
      expect(missing.stderr).toMatch(new RegExp(`^${name.replace('.', '\\.')}: `));
      expect(missing.stderr).toContain('npm install --save-dev');
      expect(missing.stderr).toContain('RALPH_BIN');
    }
    const wrong = wrapper(c, 'loop.sh', ['--help'], { ralphBin: join(s.root, 'no-such-ralph') });
    expect(wrong.code, wrong.out).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toContain(`RALPH_BIN=${join(s.root, 'no-such-ralph')}`);
    const notExecutable = wrapper(c, 'loop.sh', ['--help'], { ralphBin: join(c, 'input.md') });
    expect(notExecutable.code, notExecutable.out).toBe(2);
    expect(remoteRev(s.remote)).toBe(head);
    expect(git(c, 'status', '--porcelain')).toBe('');
  });
});
