import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, readJson, resultsOf, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { git, gitOk } from '../helpers/git.js';

/** A repository on branch main with seed files f0..f(n-1), the agent scripts committed, and a user identity. */
function repo(seed = 12): string {
  const dir = tempDir('ralph-wt-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'Test');
  for (let i = 0; i < seed; i++) writeFileSync(join(dir, `f${i}.txt`), `seed ${i}\n`);
  writeFileSync(join(dir, 'shared.txt'), 'one line\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'seed');
  return dir;
}

const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  ralph(['run', '--tasks', 'tasks.json', '--isolate', 'worktree', '--json', ...args], { cwd: dir, env });

describe('ralph run --isolate worktree', () => {
  it('1: 4 workers, 12 tasks each changing its own file: main has all 12, each from its own branch; worktrees reused and clean', async () => {
    const dir = repo();
    // Tasks 0-5 add a new file, 6-11 change a seed file; t3 commits by itself, the others leave changes uncommitted.
    script(
      dir,
      'agent.sh',
      String.raw`
n=$(printf '%s' "$RALPH_TASK_DATA" | sed 's/[^0-9]//g')
if [ "$n" -lt 6 ]; then echo "new by $RALPH_TASK_ID" > "new$n.txt"; else echo "changed by $RALPH_TASK_ID" >> "f$n.txt"; fi
if [ "$RALPH_TASK_ID" = t3 ]; then git add -A && git commit -q -m "agent commit for t3"; fi
pwd >> "$RALPH_DIR/../cwds"
echo "FINDINGS: did $RALPH_TASK_ID"`,
    );
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, { tasks: Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, type: 'edit', data: { n: i } })) });
    const r = await run(dir, ['--workers', '4', '--agent-cmd', './agent.sh']);
    expect(r.stderr).not.toMatch(/error|failed:/i);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.git).toMatchObject({ base: 'main', counts: { merged: 12, conflict: 0, skipped: 0 } });

    // The base branch has every change.
    for (let i = 0; i < 6; i++) expect(git(dir, 'show', `main:new${i}.txt`)).toBe(`new by t${i}`);
    for (let i = 6; i < 12; i++) expect(git(dir, 'show', `main:f${i}.txt`)).toBe(`seed ${i}\nchanged by t${i}`);
    // Each change came from its own task branch, which main contains.
    const subjects = git(dir, 'log', '--format=%s', 'main').split('\n');
    const findings = resultsOf(dir).findings;
    expect(findings).toHaveLength(12);
    for (let i = 0; i < 12; i++) {
      const task = queueOf(dir).tasks.find((t: any) => t.id === `t${i}`);
      expect(task).toMatchObject({ status: 'completed', branch: `ralph/t${i}`, merge: 'merged' });
      expect(task.files_changed).toEqual([i < 6 ? `new${i}.txt` : `f${i}.txt`]);
      expect(git(dir, 'rev-parse', `ralph/t${i}`)).toBe(task.commit);
      expect(gitOk(dir, 'merge-base', '--is-ancestor', task.commit, 'main')).toBe(true);
      // The commit that made the change is the task's own commit on its branch.
      expect(git(dir, 'log', '-1', '--format=%s', task.commit)).toBe(i === 3 ? 'agent commit for t3' : `ralph: t${i} (edit)`);
      if (i !== 3) expect(git(dir, 'log', '-1', '--format=%b', task.commit)).toBe(`did t${i}`);
      expect(findings.find((f: any) => f.task_id === `t${i}`)).toMatchObject({ branch: `ralph/t${i}`, commit: task.commit, merge: 'merged' });
    }
    expect(subjects.filter((s) => /^ralph: t\d+ \(edit\)$|^agent commit for t3$/.test(s))).toHaveLength(12);

    // One worktree per worker, reused across its tasks; every agent ran inside one; all clean.
    const worktrees = git(dir, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree '))
      .map((l) => l.slice(9));
    expect(worktrees).toHaveLength(5);
    const cwds = new Set(readFileSync(join(dir, 'cwds'), 'utf8').trim().split('\n'));
    for (const cwd of cwds) expect(cwd).toMatch(/\.ralph\/worktrees\/worker-[1-4]$/);
    expect(cwds.size).toBeLessThan(12);
    const list = await ralph(['worktrees', 'list', '--json'], { cwd: dir });
    expect(list.code).toBe(0);
    const view = JSON.parse(list.stdout);
    expect(view.worktrees).toHaveLength(4);
    for (const w of view.worktrees) expect(w).toMatchObject({ dirty: false, unmerged: 0, state: 'merged' });
    // The user's checkout was clean: it was brought along, and .ralph/ stays out of git.
    expect(git(dir, 'status', '--porcelain')).toBe('?? cwds\n?? tasks.json'.trim());
    expect(readFileSync(join(dir, 'new0.txt'), 'utf8')).toBe('new by t0\n');
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('- Isolation: a git worktree per worker, a branch per task, merged into `main`');
    expect(report).toMatch(/\| t0 \| edit \| completed \| \d \| 1 \| [^|]+ \| `ralph\/t0` \| [0-9a-f]{12} \| merged \| 1 \|/);
  });

  /** Two tasks that both rewrite the one line of shared.txt, started from the same tip (a barrier makes sure). */
  function conflicting(dir: string): void {
    script(
      dir,
      'agent.sh',
      String.raw`
cat > "$RALPH_DIR/../prompt-$RALPH_TASK_ID-$RALPH_ATTEMPT"
touch "$RALPH_DIR/../started-$RALPH_TASK_ID"
i=0; while [ ! -e "$RALPH_DIR/../started-c1" ] || [ ! -e "$RALPH_DIR/../started-c2" ]; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done
echo "line by $RALPH_TASK_ID" > shared.txt
echo "FINDINGS: $RALPH_TASK_ID rewrote the line"`,
    );
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, {
      tasks: [
        { id: 'c1', type: 'edit' },
        { id: 'c2', type: 'edit' },
      ],
    });
  }

  it('2a: two tasks changing the same line: one merges, the other is a conflict with its branch kept and its commit reachable', async () => {
    const dir = repo(0);
    conflicting(dir);
    const r = await run(dir, ['--workers', '2', '--agent-cmd', './agent.sh']);
    expect(r.code).toBe(0);
    const tasks = queueOf(dir).tasks;
    expect(tasks.every((t: any) => t.status === 'completed')).toBe(true);
    const merged = tasks.filter((t: any) => t.merge === 'merged');
    const conflict = tasks.filter((t: any) => t.merge === 'conflict');
    expect(merged).toHaveLength(1);
    expect(conflict).toHaveLength(1);
    const [winner, loser] = [merged[0], conflict[0]];
    expect(git(dir, 'show', 'main:shared.txt')).toBe(`line by ${winner.id}`);
    expect(loser.conflict_paths).toEqual(['shared.txt']);
    expect(loser.branch).toBe(`ralph/${loser.id}`);
    expect(git(dir, 'rev-parse', loser.branch)).toBe(loser.commit);
    expect(git(dir, 'show', `${loser.commit}:shared.txt`)).toBe(`line by ${loser.id}`);
    expect(gitOk(dir, 'merge-base', '--is-ancestor', loser.commit, 'main')).toBe(false);
    const summary = JSON.parse(r.stdout);
    expect(summary.git.conflicts).toEqual([expect.objectContaining({ id: loser.id, branch: loser.branch, conflict_paths: ['shared.txt'] })]);
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('## Merge conflicts');
    expect(report).toContain(`git diff main...${loser.branch}`);
    expect(report).toContain(`git log --oneline main..${loser.branch}`);
    // Pruning keeps the unmerged branch.
    const pruned = await ralph(['worktrees', 'prune'], { cwd: dir });
    expect(pruned.stdout).toContain(`kept    branch ${loser.branch}: 1 commit(s) not in main`);
    expect(git(dir, 'rev-parse', loser.branch)).toBe(loser.commit);
  });

  it('2b: with --on-conflict requeue the conflicting task is redone on the new tip (told why) and merges; its first branch is kept', async () => {
    const dir = repo(0);
    conflicting(dir);
    const r = await run(dir, ['--workers', '2', '--agent-cmd', './agent.sh', '--on-conflict', 'requeue']);
    expect(r.code).toBe(0);
    const tasks = queueOf(dir).tasks;
    expect(tasks.every((t: any) => t.status === 'completed' && t.merge === 'merged')).toBe(true);
    const redone = tasks.find((t: any) => t.conflict_redos === 1);
    expect(redone).toBeDefined();
    const issue = resultsOf(dir).issues.find((i: any) => i.reason === 'merge-conflict');
    expect(issue).toMatchObject({
      task_id: redone.id,
      outcome: 'requeued',
      merge: 'conflict',
      conflict_paths: ['shared.txt'],
      branch: `ralph-conflict/${redone.id}-1`,
    });
    // The redo ran after the other task merged, so main ends with its line; the first try is kept.
    expect(git(dir, 'show', 'main:shared.txt')).toBe(`line by ${redone.id}`);
    expect(git(dir, 'show', `ralph-conflict/${redone.id}-1:shared.txt`)).toBe(`line by ${redone.id}`);
    expect(git(dir, 'rev-parse', `ralph-conflict/${redone.id}-1`)).toBe(issue.commit);
    const prompt = readFileSync(join(dir, `prompt-${redone.id}-2`), 'utf8');
    expect(prompt).toContain(`an earlier run of this task (branch ralph-conflict/${redone.id}-1`);
    expect(prompt).toContain('in: shared.txt');
    expect(existsSync(join(dir, `prompt-${redone.id}-3`))).toBe(false);
  });

  it('3: a worker SIGKILLed after its agent committed: the commit (and what it left uncommitted) survives and is merged after the retry', async () => {
    const dir = repo(0);
    script(
      dir,
      'agent.sh',
      String.raw`
if [ "$RALPH_ATTEMPT" = 1 ]; then
  echo "first attempt" > work.txt
  git add work.txt && git commit -q -m "agent: first part"
  git rev-parse HEAD > "$RALPH_DIR/../first-commit"
  echo "not yet committed" > later.txt
  touch "$RALPH_DIR/../committed"
  sleep 60
fi
[ -f work.txt ] || { echo "the first attempt's work is missing" >&2; exit 3; }
echo "second attempt" >> work.txt
echo "FINDINGS: finished on attempt $RALPH_ATTEMPT"`,
    );
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, { tasks: [{ id: 'k1', type: 'edit' }] });
    const started = startRalph(['run', '--tasks', 'tasks.json', '--isolate', 'worktree', '--workers', '1', '--agent-cmd', './agent.sh', '--json'], {
      cwd: dir,
    });
    await waitFor('the agent to commit', () => existsSync(join(dir, 'committed')));
    const session = readJson(join(dir, '.ralph', 'sessions', 'worker-1.session'));
    process.kill(session.pid, 'SIGKILL');
    const r = await started.done;
    expect(r.code).toBe(0);
    const first = readFileSync(join(dir, 'first-commit'), 'utf8').trim();
    const task = queueOf(dir).tasks[0];
    expect(task).toMatchObject({ status: 'completed', attempts: 2, merge: 'merged', branch: 'ralph/k1' });
    expect(gitOk(dir, 'merge-base', '--is-ancestor', first, 'main')).toBe(true);
    expect(git(dir, 'show', 'main:work.txt')).toBe('first attempt\nsecond attempt');
    expect(git(dir, 'show', 'main:later.txt')).toBe('not yet committed');
    expect(resultsOf(dir).issues[0]).toMatchObject({ task_id: 'k1', reason: 'worker-died' });
    const log = readFileSync(join(dir, '.ralph', 'worker-1.log'), 'utf8');
    expect(log).toMatch(/saved uncommitted work left by a worker that stopped/);
  });

  it('4: worktrees prune removes only the merged, clean worktrees and says why it kept the others', async () => {
    const dir = repo(3);
    script(dir, 'agent.sh', 'echo "by $RALPH_TASK_ID" > "out-$RALPH_TASK_ID.txt"; echo "FINDINGS: ok"');
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, {
      tasks: [
        { id: 'p1', type: 'x' },
        { id: 'p2', type: 'x' },
        { id: 'p3', type: 'x' },
        { id: 'p4', type: 'x' },
      ],
    });
    const r = await run(dir, ['--workers', '4', '--agent-cmd', './agent.sh']);
    expect(r.code).toBe(0);
    const wt = (n: number) => join(dir, '.ralph', 'worktrees', `worker-${n}`);
    // worker-1: dirty; worker-2: an unmerged commit; worker-3: dirty and unmerged; worker-4: merged and clean.
    writeFileSync(join(wt(1), 'scratch.txt'), 'unsaved work\n');
    git(wt(2), 'checkout', '-q', '-b', 'ralph/extra');
    writeFileSync(join(wt(2), 'extra.txt'), 'extra\n');
    git(wt(2), 'add', '-A');
    git(wt(2), 'commit', '-q', '-m', 'unmerged work');
    const unmerged = git(wt(2), 'rev-parse', 'HEAD');
    git(wt(3), 'checkout', '-q', '-b', 'ralph/both');
    writeFileSync(join(wt(3), 'both.txt'), 'both\n');
    git(wt(3), 'add', '-A');
    git(wt(3), 'commit', '-q', '-m', 'more');
    writeFileSync(join(wt(3), 'dirty.txt'), 'dirty\n');

    const list = await ralph(['worktrees', 'list'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/worker-1\s+\(detached\)\s+merged, dirty/);
    expect(list.stdout).toMatch(/worker-2\s+ralph\/extra\s+unmerged \(1 commit\)/);
    expect(list.stdout).toMatch(/worker-3\s+ralph\/both\s+unmerged \(1 commit\), dirty/);
    expect(list.stdout).toMatch(/worker-4\s+\(detached\)\s+merged\s/);

    const pruned = await ralph(['worktrees', 'prune'], { cwd: dir });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`removed ${wt(4)}`);
    expect(pruned.stdout).toContain(`kept    ${wt(1)}: uncommitted changes`);
    expect(pruned.stdout).toContain(`kept    ${wt(2)}: 1 commit(s) not in the base branch`);
    expect(pruned.stdout).toContain(`kept    ${wt(3)}: uncommitted changes; 1 commit(s) not in the base branch`);
    // Merged task branches go; the unmerged ones stay.
    for (const id of ['p1', 'p2', 'p3', 'p4']) expect(pruned.stdout).toContain(`deleted branch ralph/${id} (merged into main)`);
    expect(existsSync(wt(4))).toBe(false);
    expect(readFileSync(join(wt(1), 'scratch.txt'), 'utf8')).toBe('unsaved work\n');
    expect(readFileSync(join(wt(3), 'dirty.txt'), 'utf8')).toBe('dirty\n');
    expect(git(dir, 'rev-parse', 'ralph/extra')).toBe(unmerged);
    expect(gitOk(dir, 'rev-parse', '--verify', '-q', 'ralph/p1')).toBe(false);
    // The main checkout's work (main) still has every task's file.
    for (const id of ['p1', 'p2', 'p3', 'p4']) expect(git(dir, 'show', `main:out-${id}.txt`)).toBe(`by ${id}`);
    // --json says the same.
    const again = JSON.parse((await ralph(['worktrees', 'prune', '--json'], { cwd: dir })).stdout);
    expect(again.removed).toEqual([]);
    expect(again.kept.map((k: any) => k.path).sort()).toEqual([wt(1), wt(2), wt(3)]);
  });

  it("5: uncommitted changes in the user's checkout are untouched; main still gets every change and the run says how to catch up", async () => {
    const dir = repo(5);
    script(dir, 'agent.sh', 'echo "by $RALPH_TASK_ID" > "f$(printf %s "$RALPH_TASK_ID" | tr -dc 0-9).txt"; echo "FINDINGS: ok"');
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, {
      tasks: [
        { id: 'u1', type: 'x' },
        { id: 'u2', type: 'x' },
        { id: 'u3', type: 'x' },
      ],
    });
    // An unstaged change, a staged change, and an untracked file.
    writeFileSync(join(dir, 'f4.txt'), 'my own unsaved edit\n');
    writeFileSync(join(dir, 'f0.txt'), 'staged edit\n');
    git(dir, 'add', 'f0.txt');
    writeFileSync(join(dir, 'notes.txt'), 'untracked notes\n');
    const statusBefore = git(dir, 'status', '--porcelain');
    const stagedBefore = git(dir, 'diff', '--cached');
    const r = await run(dir, ['--workers', '2', '--agent-cmd', './agent.sh']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'f4.txt'), 'utf8')).toBe('my own unsaved edit\n');
    expect(readFileSync(join(dir, 'f0.txt'), 'utf8')).toBe('staged edit\n');
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('untracked notes\n');
    expect(existsSync(join(dir, 'f2.txt')) && readFileSync(join(dir, 'f2.txt'), 'utf8')).toBe('seed 2\n');
    // The index still holds the staged edit, against the commit the checkout shows.
    const behind = readJson(join(dir, '.ralph', 'checkout-behind.json'));
    expect(git(dir, 'diff', '--cached', behind.at)).toBe(stagedBefore);
    expect(statusBefore).toContain(' M f4.txt');
    for (const n of [1, 2, 3]) expect(git(dir, 'show', `main:f${n}.txt`)).toBe(`by u${n}`);
    const summary = JSON.parse(r.stdout);
    expect(summary.git.notes[0]).toContain('has uncommitted changes');
    expect(summary.git.notes[0]).toContain(`read-tree -m -u ${behind.at.slice(0, 12)} main`);
    // Following the advice brings the checkout up to date and keeps the user's changes.
    git(dir, 'read-tree', '-m', '-u', behind.at, 'main');
    expect(readFileSync(join(dir, 'f0.txt'), 'utf8')).toBe('staged edit\n');
    expect(readFileSync(join(dir, 'f2.txt'), 'utf8')).toBe('by u2\n');
    expect(readFileSync(join(dir, 'f4.txt'), 'utf8')).toBe('my own unsaved edit\n');
    expect(git(dir, 'status', '--porcelain').split('\n').sort()).toEqual([' M f4.txt', '?? notes.txt', '?? tasks.json', 'M  f0.txt']);
  });
});

describe('ralph run --isolate worktree: input and environment', () => {
  it('refuses a directory that is not in a git repository, or a repository without a commit, with exit 2 and .ralph/ untouched', async () => {
    const plain = tempDir();
    writeTasks(plain, { tasks: [{ id: 'a', type: 'x' }] });
    const r = await run(plain, ['--agent-cmd', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ is not inside a git repository \(.*\)\. --isolate worktree needs one: run `git init` and commit, or run without --isolate\./);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(plain, '.ralph'))).toBe(false);

    const empty = tempDir();
    git(empty, 'init', '-q', '-b', 'main');
    writeTasks(empty, { tasks: [{ id: 'a', type: 'x' }] });
    const e = await run(empty, ['--agent-cmd', 'true']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/needs a repository with at least one commit/);
    expect(existsSync(join(empty, '.ralph'))).toBe(false);
  });

  it('refuses an unknown --base, and --base without --isolate worktree', async () => {
    const dir = repo(1);
    writeTasks(dir, { tasks: [{ id: 'a', type: 'x' }] });
    const r = await run(dir, ['--agent-cmd', 'true', '--base', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--base nope: there is no local branch of that name');
    const s = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', 'true', '--base', 'main'], { cwd: dir });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--base only applies with --isolate worktree');
  });

  it('runs the agent in its worktree: cwd, RALPH_WORKTREE, RALPH_BRANCH, and no GIT_DIR from the environment; --base and --merge none', async () => {
    const dir = repo(1);
    git(dir, 'branch', 'develop');
    script(
      dir,
      'agent.sh',
      String.raw`
{ echo "pwd=$(pwd)"; echo "wt=$RALPH_WORKTREE"; echo "branch=$RALPH_BRANCH"; echo "gitdir=$(printenv GIT_DIR || echo unset)"; echo "top=$(git rev-parse --show-toplevel)"; echo "head=$(git symbolic-ref --short HEAD)"; } > "$RALPH_DIR/../env-$RALPH_TASK_ID"
echo changed > f0.txt
echo "FINDINGS: ok"`,
    );
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, { tasks: [{ id: 'e 1', type: 'x' }] });
    // develop does not have agent.sh: ./agent.sh means the file where ralph was started, not in the worktree.
    const before = git(dir, 'rev-parse', 'develop');
    const r = await run(dir, ['--workers', '1', '--agent-cmd', './agent.sh', '--base', 'develop', '--merge', 'none'], {
      GIT_DIR: join(dir, '.git'),
      GIT_WORK_TREE: dir,
    });
    expect(r.code).toBe(0);
    const env = Object.fromEntries(
      readFileSync(join(dir, 'env-e 1'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const wt = join(dir, '.ralph', 'worktrees', 'worker-1');
    expect(env.pwd).toBe(wt);
    expect(env.wt).toBe(wt);
    expect(env.gitdir).toBe('unset');
    expect(env.top).toBe(wt);
    expect(env.branch).toMatch(/^ralph\/e-1-[0-9a-f]{8}$/);
    expect(env.head).toBe(env.branch);
    const task = queueOf(dir).tasks[0];
    expect(task).toMatchObject({ status: 'completed', merge: 'skipped', branch: env.branch, files_changed: ['f0.txt'] });
    // --merge none: the branch has the work, the base is untouched.
    expect(git(dir, 'rev-parse', 'develop')).toBe(before);
    expect(git(dir, 'show', `${env.branch}:f0.txt`)).toBe('changed');
    expect(git(dir, 'show', 'main:f0.txt')).toBe('seed 0');
  });

  it('--merge rebase: a task branch behind the base is rebased and fast-forwarded (linear history)', async () => {
    const dir = repo(4);
    script(dir, 'agent.sh', 'sleep 0.3; echo "by $RALPH_TASK_ID" > "f$(printf %s "$RALPH_TASK_ID" | tr -dc 0-9).txt"; echo "FINDINGS: ok"');
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    writeTasks(dir, {
      tasks: [
        { id: 'r1', type: 'x' },
        { id: 'r2', type: 'x' },
        { id: 'r3', type: 'x' },
      ],
    });
    const r = await run(dir, ['--workers', '3', '--agent-cmd', './agent.sh', '--merge', 'rebase']);
    expect(r.code).toBe(0);
    expect(git(dir, 'rev-list', '--merges', '--count', 'main')).toBe('0');
    for (const n of [1, 2, 3]) expect(git(dir, 'show', `main:f${n}.txt`)).toBe(`by r${n}`);
    for (const t of queueOf(dir).tasks) {
      expect(t.merge).toBe('merged');
      expect(git(dir, 'rev-parse', t.branch)).toBe(t.commit);
      expect(gitOk(dir, 'merge-base', '--is-ancestor', t.commit, 'main')).toBe(true);
    }
  });
});

describe('ralph run --isolate worktree: agents that misuse git lose nothing and merge nothing unseen', () => {
  function agentRepo(body: string): string {
    const dir = repo(2);
    script(dir, 'agent.sh', body);
    git(dir, 'add', 'agent.sh');
    git(dir, 'commit', '-q', '-m', 'agent');
    return dir;
  }

  it('an agent that leaves a conflicted merge: nothing is merged, its state is saved, the task fails and the worker goes on', async () => {
    const dir = agentRepo(String.raw`
if [ "$RALPH_TASK_ID" = m1 ]; then
  git checkout -q -b side && echo side > f0.txt && git commit -qam side
  git checkout -q - && echo mine > f0.txt && git commit -qam mine
  git merge side >/dev/null 2>&1
  echo "half-resolved" > notes.txt
else
  echo "by $RALPH_TASK_ID" > "$RALPH_TASK_ID.txt"
fi
echo "FINDINGS: ok"`);
    writeTasks(dir, {
      tasks: [
        { id: 'm1', type: 'x' },
        { id: 'm2', type: 'x' },
      ],
    });
    const r = await run(dir, ['--workers', '1', '--agent-cmd', './agent.sh']);
    expect(r.code).toBe(1);
    const [m1, m2] = queueOf(dir).tasks;
    expect(m1).toMatchObject({ status: 'failed', branch: 'ralph/m1' });
    expect(m1.error).toMatch(/left a merge unfinished .* saved as ralph-saved\/m1-1, nothing was merged/);
    expect(git(dir, 'show', 'main:f0.txt')).toBe('seed 0');
    expect(git(dir, 'show', 'ralph-saved/m1-1:f0.txt')).toContain('<<<<<<<');
    expect(git(dir, 'show', 'ralph-saved/m1-1:notes.txt')).toBe('half-resolved');
    // The worktree was cleaned: the next task ran and merged.
    expect(m2).toMatchObject({ status: 'completed', merge: 'merged' });
    expect(git(dir, 'show', 'main:m2.txt')).toBe('by m2');
    expect(existsSync(join(dir, '.ralph', 'worktrees', 'worker-1', '.git'))).toBe(true);
    expect(git(join(dir, '.ralph', 'worktrees', 'worker-1'), 'status', '--porcelain')).toBe('');
  });

  it('an agent that commits on another branch or a detached HEAD: commits that continue the task branch are merged', async () => {
    const dir = agentRepo(String.raw`
if [ "$RALPH_TASK_ID" = s1 ]; then git checkout -q -b elsewhere; else git checkout -q --detach; fi
echo "by $RALPH_TASK_ID" > "$RALPH_TASK_ID.txt" && git add -A && git commit -qm "agent $RALPH_TASK_ID"
echo "uncommitted $RALPH_TASK_ID" > "$RALPH_TASK_ID-more.txt"
echo "FINDINGS: ok"`);
    writeTasks(dir, {
      tasks: [
        { id: 's1', type: 'x' },
        { id: 's2', type: 'x' },
      ],
    });
    const r = await run(dir, ['--workers', '1', '--agent-cmd', './agent.sh']);
    expect(r.code).toBe(0);
    for (const id of ['s1', 's2']) {
      expect(queueOf(dir).tasks.find((t: any) => t.id === id)).toMatchObject({
        status: 'completed',
        merge: 'merged',
        files_changed: [`${id}-more.txt`, `${id}.txt`],
      });
      expect(git(dir, 'show', `main:${id}.txt`)).toBe(`by ${id}`);
      expect(git(dir, 'show', `main:${id}-more.txt`)).toBe(`uncommitted ${id}`);
    }
  });

  it('an agent whose commits do not continue the task branch: they are saved aside, the task fails, nothing is merged', async () => {
    const dir = agentRepo(String.raw`
git checkout -q --orphan stray && git rm -rqf . && echo stray > stray.txt && git add -A && git commit -qm stray
echo "FINDINGS: ok"`);
    writeTasks(dir, { tasks: [{ id: 'o1', type: 'x' }] });
    const r = await run(dir, ['--workers', '1', '--agent-cmd', './agent.sh']);
    expect(r.code).toBe(1);
    const task = queueOf(dir).tasks[0];
    expect(task.error).toMatch(/left the task branch ralph\/o1 \(HEAD on stray\) with work that does not continue it; that work is saved as ralph-saved\/o1-1/);
    expect(git(dir, 'show', 'ralph-saved/o1-1:stray.txt')).toBe('stray');
    expect(gitOk(dir, 'cat-file', '-e', 'main:stray.txt')).toBe(false);
  });

  it('a new run of a task id whose earlier branch was never merged starts afresh and keeps the old branch as ralph-previous/', async () => {
    const dir = agentRepo('echo "run $RUN" > "$RALPH_TASK_ID.txt"; echo "FINDINGS: ok"');
    writeTasks(dir, { tasks: [{ id: 'p1', type: 'x' }] });
    expect((await run(dir, ['--workers', '1', '--agent-cmd', './agent.sh', '--merge', 'none'], { RUN: '1' })).code).toBe(0);
    const first = git(dir, 'rev-parse', 'ralph/p1');
    const r = await run(dir, ['--workers', '1', '--agent-cmd', './agent.sh', '--reset'], { RUN: '2' });
    expect(r.code).toBe(0);
    expect(git(dir, 'rev-parse', 'ralph-previous/p1-1')).toBe(first);
    expect(git(dir, 'show', 'main:p1.txt')).toBe('run 2');
    expect(git(dir, 'rev-list', '--count', 'main..ralph-previous/p1-1')).toBe('1');
    expect(readFileSync(join(dir, '.ralph', 'worker-1.log'), 'utf8')).toContain('an earlier ralph/p1 with 1 unmerged commit(s) is kept as ralph-previous/p1-1');
    const list = JSON.parse((await ralph(['worktrees', 'list', '--json'], { cwd: dir })).stdout);
    expect(list.branches).toContainEqual(expect.objectContaining({ branch: 'ralph-previous/p1-1', unmerged: 1 }));
  });
});
