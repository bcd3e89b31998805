import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, script, startRalph, tempDir, writeTasks } from '../helpers/index.js';
import type { Result } from '../helpers/index.js';
import { untilRunActive, usePostgres, withClient } from '../helpers/postgres.js';
import { git, gitOk } from '../helpers/git.js';

// Edits its task's own file, or (type `clash`) the one line of shared.txt after both clashing tasks
// have started (so both start from the same tip). Each start is noted with the machine it ran on.
const AGENT = String.raw`
printf '%s %s\n' "$RALPH_TASK_ID" "$MACHINE" >> "$SHARED/starts"
cat > /dev/null
if [ "$RALPH_TASK_TYPE" = clash ]; then
  touch "$SHARED/started-$RALPH_TASK_ID"
  i=0; while [ ! -e "$SHARED/started-c1" ] || [ ! -e "$SHARED/started-c2" ]; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
  echo "line by $RALPH_TASK_ID" > shared.txt
else
  sleep 0.3
  n=$(printf '%s' "$RALPH_TASK_ID" | sed 's/[^0-9]//g')
  echo "changed by $RALPH_TASK_ID on $MACHINE" >> "f$n.txt"
fi
echo "FINDINGS: did $RALPH_TASK_ID"`;

/** A bare repository (the shared remote) whose main has f0..f11, shared.txt and the agent script. */
function sharedRemote(): { remote: string; seed: string } {
  const work = tempDir('ralph-seed-');
  git(work, 'init', '-q', '-b', 'main');
  for (let i = 0; i < 12; i++) writeFileSync(join(work, `f${i}.txt`), `seed ${i}\n`);
  writeFileSync(join(work, 'shared.txt'), 'one line\n');
  script(work, 'agent.sh', AGENT);
  git(work, 'add', '-A');
  git(work, '-c', 'user.email=seed@example.com', '-c', 'user.name=Seed', 'commit', '-q', '-m', 'seed');
  const remote = join(tempDir('ralph-remote-'), 'project.git');
  git(work, 'clone', '-q', '--bare', work, remote);
  return { remote, seed: git(work, 'rev-parse', 'HEAD') };
}

/** A machine: its own clone of the remote (origin), nothing else shared. */
function machine(remote: string, name: string): string {
  const dir = join(tempDir(`ralph-${name}-`), 'clone');
  git(tempDir(), 'clone', '-q', remote, dir);
  return dir;
}

describe('--isolate worktree with workers on several machines (a queue on PostgreSQL, a shared git remote)', () => {
  const server = usePostgres();

  async function tasksOf(url: string): Promise<Array<Record<string, any>>> {
    return withClient(url, async (c) => (await c.query('SELECT task FROM ralph_tasks ORDER BY seq')).rows.map((r) => r.task));
  }

  it('3 machines × 2 workers, 12 disjoint tasks: every branch pushed and merged onto the remote main, the push race retried, no checkout touched', async () => {
    const url = await server().database();
    const shared = tempDir('ralph-shared-');
    const { remote, seed } = sharedRemote();
    // Someone else pushes to main while the fleet merges: the remote's hook moves main (to a commit
    // made beforehand) just before the first merge's push lands, which is then refused as stale.
    const outside = git(remote, 'commit-tree', `${seed}^{tree}`, '-p', seed, '-m', 'pushed by someone else');
    git(remote, 'update-ref', 'refs/outside', outside);
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh
while read old new ref; do
  if [ "$ref" = refs/heads/main ] && [ ! -e "${shared}/raced" ]; then
    touch "${shared}/raced"
    env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/main ${outside} ${seed}
  fi
done
exit 0
`,
    );
    chmodSync(hook, 0o755);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => machine(remote, n)) as [string, string, string];
    writeTasks(
      a,
      Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, type: 'edit' })),
    );
    const env = (m: string) => ({ RALPH_QUEUE: url, SHARED: shared, MACHINE: m });
    const wt = ['--isolate', 'worktree', '--agent-cmd', './agent.sh'];
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--json', ...wt], { cwd: a, env: env('a') });
    await untilRunActive(url);
    const others = [b, c].map((m, i) => startRalph(['worker', '--workers', '2', ...wt], { cwd: m, env: env(i === 0 ? 'b' : 'c') }).done);
    const ran: Result = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    for (const w of await Promise.all(others)) expect(w.code, w.stderr).toBe(0);

    const tasks = await tasksOf(url);
    expect(tasks.map((t) => [t.id, t.status, t.merge])).toEqual(Array.from({ length: 12 }, (_, i) => [`t${i}`, 'completed', 'merged']));
    const starts = readFileSync(join(shared, 'starts'), 'utf8').trim().split('\n');
    expect(starts.length, 'each task run once').toBe(12);
    expect(new Set(starts.map((line) => line.split(' ')[1])).size, 'machines that ran tasks').toBeGreaterThan(1);
    // The remote's main has every task's change, and the commit pushed meanwhile: nothing was forced over.
    for (let i = 0; i < 12; i++) expect(git(remote, 'show', `main:f${i}.txt`)).toMatch(new RegExp(`^seed ${i}\nchanged by t${i} on [abc]$`));
    expect(gitOk(remote, 'merge-base', '--is-ancestor', outside, 'main')).toBe(true);
    expect(readFileSync(join(shared, 'raced'), 'utf8')).toBe('');
    // Every task's branch is on the remote, its tip in main.
    for (const t of tasks) {
      expect(git(remote, 'rev-parse', `refs/heads/ralph/${t.id}`)).toBe(t.commit);
      expect(gitOk(remote, 'merge-base', '--is-ancestor', t.commit, 'main')).toBe(true);
    }
    // The machines' own checkouts were never touched: still on the seed, clean (but for the test's tasks file).
    for (const m of [a, b, c]) {
      expect(git(m, 'rev-parse', 'main')).toBe(seed);
      expect(git(m, 'status', '--porcelain', '--', '.', ':!tasks.json')).toBe('');
    }
    const summary = JSON.parse(ran.stdout);
    expect(summary.git).toMatchObject({ base: 'main', remote: 'origin', counts: { merged: 12, conflict: 0, skipped: 0 } });
    // Each machine's worktrees are measured against the remote's main: merged, so pruned.
    const listed = await ralph(['worktrees', 'list', '--json'], { cwd: b, env: env('b') });
    expect(listed.code, listed.stderr).toBe(0);
    const view = JSON.parse(listed.stdout);
    expect(view.base).toBe('origin/main');
    expect(view.worktrees.length).toBe(2);
    expect(view.worktrees.every((w: any) => w.state === 'merged')).toBe(true);
    const pruned = await ralph(['worktrees', 'prune'], { cwd: b, env: env('b') });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout.match(/^removed /gm)?.length).toBe(2);
  }, 120_000);

  it('a conflicting pair on two machines: one merges onto the remote main, the other stays on its remote branch and the report says how to fetch it', async () => {
    const url = await server().database();
    const shared = tempDir('ralph-shared-');
    const { remote, seed } = sharedRemote();
    const [a, b] = ['a', 'b'].map((n) => machine(remote, n)) as [string, string];
    writeTasks(a, [
      { id: 'c1', type: 'clash' },
      { id: 'c2', type: 'clash' },
    ]);
    const env = (m: string) => ({ RALPH_QUEUE: url, SHARED: shared, MACHINE: m });
    const wt = ['--isolate', 'worktree', '--agent-cmd', './agent.sh'];
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', ...wt], { cwd: a, env: env('a') });
    await untilRunActive(url);
    const other = startRalph(['worker', ...wt], { cwd: b, env: env('b') }).done;
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    expect((await other).code).toBe(0);

    const tasks = await tasksOf(url);
    expect(tasks.every((t) => t.status === 'completed')).toBe(true);
    const winner = tasks.find((t) => t.merge === 'merged')!;
    const loser = tasks.find((t) => t.merge === 'conflict')!;
    expect(winner && loser).toBeTruthy();
    expect(readFileSync(join(shared, 'starts'), 'utf8')).toMatch(/^c\d a\nc\d b\n$|^c\d b\nc\d a\n$/);
    expect(git(remote, 'show', 'main:shared.txt')).toBe(`line by ${winner.id}`);
    expect(loser.conflict_paths).toEqual(['shared.txt']);
    expect(loser.branch).toBe(`ralph/${loser.id}`);
    // The loser's work is on the remote, not in main.
    expect(git(remote, 'rev-parse', `refs/heads/${loser.branch}`)).toBe(loser.commit);
    expect(git(remote, 'show', `${loser.commit}:shared.txt`)).toBe(`line by ${loser.id}`);
    expect(gitOk(remote, 'merge-base', '--is-ancestor', loser.commit, 'main')).toBe(false);
    expect(loser.note).toBe(`the branch is kept on origin: git fetch origin ${loser.branch}:${loser.branch}`);
    // The report's instructions work from a fresh clone of the remote.
    const report = readFileSync(join(a, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain(
      '- Isolation: a git worktree per worker, a branch per task, merged into `main` on the remote `origin` (each machine in its own clone)',
    );
    expect(report).toContain('## Merge conflicts');
    expect(report).toContain(`git fetch origin main ${loser.branch}`);
    const user = machine(remote, 'user');
    git(user, 'fetch', '-q', 'origin', 'main', loser.branch);
    expect(git(user, 'log', '--format=%H', `origin/main..origin/${loser.branch}`)).toBe(loser.commit);
    for (const m of [a, b]) expect(git(m, 'rev-parse', 'main')).toBe(seed);
  }, 120_000);

  it('refuses in one line before any worker starts when the clone has no such remote, or the remote has no such base branch', async () => {
    const url = await server().database();
    const { remote } = sharedRemote();
    const a = machine(remote, 'a');
    writeTasks(a, [{ id: 't0', type: 'edit' }]);
    const noRemote = await ralph(['run', '--tasks', 'tasks.json', '--isolate', 'worktree', '--remote', 'upstream', '--agent-cmd', './agent.sh'], {
      cwd: a,
      env: { RALPH_QUEUE: url },
    });
    expect(noRemote.code).toBe(2);
    expect(noRemote.stderr.trim().split('\n')).toHaveLength(1);
    expect(noRemote.stderr).toContain('the git remote "upstream"');
    expect((await ralph(['queue', 'init'], { cwd: a, env: { RALPH_QUEUE: url } })).code).toBe(0);
    const noBase = await ralph(['worker', '--isolate', 'worktree', '--base', 'develop', '--agent-cmd', './agent.sh'], { cwd: a, env: { RALPH_QUEUE: url } });
    expect(noBase.code).toBe(2);
    expect(noBase.stderr).toMatch(/^ralph: --base develop: the remote origin has no branch of that name; push it there first\.\n$/);
  }, 60_000);
});
