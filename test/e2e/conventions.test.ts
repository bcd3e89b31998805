import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, readJson, script, tempDir, writeTasks } from '../helpers/index.js';
import { git } from '../helpers/git.js';

/** A git repository on main with one commit and a user identity. */
function repo(): string {
  const dir = tempDir('ralph-conv-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'Test');
  writeFileSync(join(dir, 'README.md'), '# project\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'start');
  return dir;
}

/** A PATH with git, sh and node but no agent CLI. */
const BARE_PATH = ['/usr/bin', '/bin', join(process.execPath, '..')].join(':');

describe('exit codes', () => {
  it.each<[string, string[]]>([
    ['worktrees list', ['worktrees', 'list']],
    ['worktrees prune', ['worktrees', 'prune']],
    ['tail-logs', ['tail-logs', 'main']],
    ['loop', ['loop', '--agent-cmd', 'true']],
    ['supervisor', ['supervisor', '--agent-cmd', 'true']],
    ['stamp-handoff', ['stamp-handoff', 'galph', 'ok']],
    ['run --isolate worktree', ['run', '--tasks', 'tasks.json', '--agent-cmd', 'true', '--isolate', 'worktree']],
    ['init --loops', ['init', '--loops']],
  ])('outside a git repository, %s exits 2 with one line that says so', async (_name, args) => {
    const dir = tempDir();
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const r = await ralph(args, { cwd: dir, env: { GIT_CEILING_DIRECTORIES: join(dir, '..') } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^ralph: .*${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not inside a git repository`));
    expect(existsSync(join(dir, '.ralph'))).toBe(false);
    expect(existsSync(join(dir, 'supervisor.sh'))).toBe(false);
  });
});

describe('hints', () => {
  it('says how to install a missing agent CLI once, in run, doctor and agents', async () => {
    const dir = tempDir();
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const env = { PATH: BARE_PATH, RALPH_CLAUDE_BIN: '' };
    const run = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'claude'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'ralph: agent claude (Claude Code): claude not found on PATH; install it (npm install -g @anthropic-ai/claude-code) or point --agent-bin or RALPH_CLAUDE_BIN at the binary.',
    );
    const doctor = await ralph(['doctor', '--agent', 'claude'], { cwd: dir, env });
    const agentLines = doctor.stdout.split('\n').filter((l) => /agent|install/i.test(l));
    expect(agentLines.join('\n').match(/install it/g)).toHaveLength(1);
    expect(agentLines.join('\n').match(/RALPH_CLAUDE_BIN/g)).toHaveLength(1);
    const agents = await ralph(['agents'], { cwd: dir, env });
    const claude = agents.stdout.split('\n').find((l) => l.startsWith('claude'))!;
    expect(claude).toMatch(/install: npm install -g @anthropic-ai\/claude-code$/);
  });
});

describe('help and list lines', () => {
  it.each(['loop', 'supervisor'])('ralph %s --help says each default once', async (command) => {
    const help = (await ralph([command, '--help'], { cwd: tempDir() })).stdout;
    expect(help).not.toMatch(/\(default\)\s*\(default/);
    expect(help.replace(/\s+/g, ' ')).not.toMatch(/\(default:[^)]*\)\)? \(default:/);
    expect(help.replace(/\s+/g, ' ')).toMatch(/--auto-commit-reports commit new or changed report files after my turn \(default: true\)/);
  });

  it.each(['run', 'worker', 'loop'])('ralph %s --help says "none", not "[]", for a repeatable option given no value', async (command) => {
    const help = (await ralph([command, '--help'], { cwd: tempDir() })).stdout.replace(/\s+/g, ' ');
    expect(help).not.toContain('(default: [])');
    expect(help).toMatch(/--redact <name> .*? \(default: none\)/);
  });

  it('ralph queue list prints one aligned row per task: status, id, type, attempts, and the worker only where it means something', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', '[ "$RALPH_TASK_ID" != broken ] || { echo "it broke" >&2; exit 3; }\necho "FINDINGS: ok"');
    writeTasks(dir, [
      { id: 'done', type: 'review' },
      { id: 'broken', type: 'analysis' },
    ]);
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(1);
    writeTasks(dir, [{ id: 'waiting-a-long-id', type: 'x' }], 'more.json');
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    const list = (await ralph(['queue', 'list'], { cwd: dir })).stdout.trimEnd().split('\n');
    expect(list).toEqual([
      'completed  done               review    1 attempt      worker 1',
      'failed     broken             analysis  1 attempt      worker 1  agent exited with code 3: it broke',
      'pending    waiting-a-long-id  x         not tried yet',
    ]);
  });
});

describe('ralph init', () => {
  it('writes .ralph/.gitignore so that git ignores the state directory', async () => {
    const dir = repo();
    const r = await ralph(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, '.ralph', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(r.stdout).toContain('.ralph/.gitignore');
    expect(r.stdout).not.toMatch(/Add `?\.ralph\/`? to your \.gitignore/);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe('?? my-agent.sh\n?? tasks.json');
    // Run again: nothing is overwritten.
    writeFileSync(join(dir, '.ralph', '.gitignore'), '*\n# mine\n');
    expect((await ralph(['init'], { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, '.ralph', '.gitignore'), 'utf8')).toBe('*\n# mine\n');
  });
});

describe('ralph worktrees prune --dry-run', () => {
  it('says what it would remove and delete, and changes nothing', async () => {
    const dir = repo();
    script(dir, 'agent.sh', 'echo "by $RALPH_TASK_ID" > "out-$RALPH_TASK_ID.txt"; echo "FINDINGS: ok"');
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, [
      { id: 'p1', type: 'x' },
      { id: 'p2', type: 'x' },
    ]);
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--isolate', 'worktree'], { cwd: dir })).code).toBe(0);
    const wt = (n: number) => join(dir, '.ralph', 'worktrees', `worker-${n}`);
    writeFileSync(join(wt(1), 'scratch.txt'), 'unsaved\n');
    const before = git(dir, 'for-each-ref', '--format=%(refname)');
    const dry = await ralph(['worktrees', 'prune', '--dry-run'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would remove ${wt(2)}`);
    expect(dry.stdout).toContain(`kept         ${wt(1)}: uncommitted changes`);
    expect(dry.stdout).toContain('would delete branch ralph/p1 (merged into main)');
    expect(dry.stdout).toContain('dry run: nothing was removed');
    expect(existsSync(wt(2))).toBe(true);
    expect(git(dir, 'for-each-ref', '--format=%(refname)')).toBe(before);
    const json = JSON.parse((await ralph(['worktrees', 'prune', '--dry-run', '--json'], { cwd: dir })).stdout);
    expect(json).toMatchObject({ dry_run: true, removed: [{ path: wt(2) }], deletedBranches: ['ralph/p1', 'ralph/p2'] });
    // The real prune does what the dry run said.
    const real = await ralph(['worktrees', 'prune'], { cwd: dir });
    expect(real.stdout).toContain(`removed ${wt(2)}`);
    expect(existsSync(wt(2))).toBe(false);
  });
});

describe('loops: stamp-handoff, status and doctor', () => {
  async function loopsRepo(): Promise<string> {
    const dir = repo();
    expect((await ralph(['init', '--loops', '--start', 'galph'], { cwd: dir })).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'loops');
    return dir;
  }

  it("stamp-handoff warns when it hands over a turn that is not that actor's, and stamps anyway", async () => {
    const dir = await loopsRepo();
    const theirs = await ralph(['stamp-handoff', 'ralph', 'ok', '--no-pull', '--no-push'], { cwd: dir });
    expect(theirs.code).toBe(0);
    expect(theirs.stderr.trim()).toBe("ralph: warning: it was galph's turn (iteration 1, status idle), not ralph's; stamped as asked");
    expect(readJson(join(dir, 'sync', 'state.json'))).toMatchObject({ expected_actor: 'galph', iteration: 2 });
    const mine = await ralph(['stamp-handoff', 'galph', 'ok', '--no-pull', '--no-push'], { cwd: dir });
    expect(mine.code).toBe(0);
    expect(mine.stderr).toBe('');
  });

  it("status and doctor describe the loops' state where there is no queue, only sync/state.json", async () => {
    const dir = await loopsRepo();
    const status = await ralph(['status'], { cwd: dir });
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(/No queue/);
    expect(status.stdout).toMatch(/^Loops \(sync\/state\.json on main\): iteration 1, galph's turn \(idle\), last update .+/m);
    const json = JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout);
    expect(json).toMatchObject({ loops: { state: { iteration: 1, expected_actor: 'galph', status: 'idle' }, branch: 'main' } });
    const doctor = await ralph(['doctor'], { cwd: dir });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).not.toMatch(/ERROR|no queue/);
    expect(doctor.stdout).toMatch(/^ok {4}loops: sync\/state\.json is valid: iteration 1, galph's turn \(idle\)/m);
    // A lapsed lease of a running turn is a warning, with what to do.
    writeFileSync(
      join(dir, 'sync', 'state.json'),
      JSON.stringify({
        iteration: 3,
        expected_actor: 'ralph',
        status: 'running-ralph',
        last_update: '2026-01-01T00:00:00Z',
        lease_expires_at: '2026-01-01T00:05:00Z',
        holder: { host: 'elsewhere', pid: 42, token: 't', since: '2026-01-01T00:00:00Z' },
      }),
    );
    const lapsed = await ralph(['doctor'], { cwd: dir });
    expect(lapsed.stdout).toMatch(/^WARN {2}loops: ralph's turn \(iteration 3\) .*lease expired at 2026-01-01T00:05:00Z/m);
    expect(lapsed.stdout).toContain('ralph stamp-handoff ralph fail');
    writeFileSync(join(dir, 'sync', 'state.json'), '{ not json');
    const broken = await ralph(['doctor'], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^ERROR loops: sync\/state\.json is not a valid sync state/m);
    expect(broken.stdout).toContain('ralph stamp-handoff --repair');
  });
});
