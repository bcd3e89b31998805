import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONFLICT_REDOS, asideBranchName, conflictPromptNote, conflictRedos, pruneDecision, redoesConflict, worktreeState } from '../../src/queue/isolation.js';
import { taskBranch } from '../../src/queue/branch-name.js';
import type { ConflictPolicy, TaskGitResult, WorktreeFacts } from '../../src/queue/isolation.js';
import { claimTask } from '../../src/queue/claim.js';
import { decideReport, requeueAfterConflict } from '../../src/queue/outcome.js';
import type { ReportContext, RunOutcome } from '../../src/queue/outcome.js';
import type { QueueState, Task } from '../../src/queue/types.js';
import { renderReport } from '../../src/report/markdown.js';
import { buildSummary } from '../../src/report/summary.js';
import { DIR, session, state } from '../helpers/report-fixtures.js';
import { NOW, at, claimed, task } from '../helpers/task-fixtures.js';
import { cells, section } from '../helpers/markdown.js';

const hash8 = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);

/** Whether git itself accepts `refs/heads/<name>` as a ref name. */
function gitAccepts(name: string): boolean {
  const r = spawnSync('git', ['check-ref-format', `refs/heads/${name}`], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r.status === 0;
}

const LONG = 'x'.repeat(250);
const LONG_DOTS = `${'a'.repeat(79)}.${'b'.repeat(150)}`;

/** Ids that each break some rule of git-check-ref-format, and plain ones. */
const IDS: Array<[string, string]> = [
  ['a plain id', 'fix-login'],
  ['spaces', 'fix the login page'],
  ['a leading and trailing space', ' padded '],
  ['slashes', 'feature/login/form'],
  ['a leading slash', '/abs'],
  ['a trailing slash', 'dir/'],
  ['double slashes', 'a//b'],
  ['"//" only', '///'],
  ['".."', 'a..b'],
  ['"..." at the start', '...a'],
  ['only dots', '....'],
  ['a single dot', '.'],
  ['a leading dot', '.hidden'],
  ['a leading dash', '-rf'],
  ['leading dots and dashes', '-.-.x'],
  ['a trailing dot', 'end.'],
  ['trailing dots', 'end...'],
  ['a .lock suffix', 'thing.lock'],
  ['a .lock suffix twice', 'a.lock.lock'],
  ['".lock" only', '.lock'],
  ['a .lock suffix after a slash', 'x/y.lock'],
  ['a trailing dot after .lock', 'thing.lock.'],
  ['unicode letters', 'réparer-lüge'],
  ['CJK only', '日本語'],
  ['an emoji', 'fix 🐛'],
  ['"@{"', 'a@{1}'],
  ['"@" alone', '@'],
  ['"~"', 'a~1'],
  ['"^"', 'a^2'],
  ['":"', 'a:b'],
  ['"?"', 'a?'],
  ['"*"', 'a*'],
  ['"["', 'a[0]'],
  ['a backslash', 'a\\b'],
  ['all of ~^:?*[\\', '~^:?*[\\'],
  ['control characters', 'a\tb\nc\u0000d\u007f'],
  ['an empty id', ''],
  ['a dash only', '-'],
  ['a very long id (250 chars)', LONG],
  ['a very long id with a dot at the cut', LONG_DOTS],
  ['a very long id with a .lock at the cut', `${'a'.repeat(75)}.lock${'z'.repeat(200)}`],
  ['a very long unsafe id', `${'ü '.repeat(150)}`],
  ['a dot-dash run at the cut', `${'a'.repeat(78)}..-${'b'.repeat(150)}`],
];

describe('taskBranch', () => {
  it.each(['a..b', '.x', 'x.', 'x.lock', 'a b', 'a@{1}', 'a~1', 'a:b', 'a*', 'a\\b', ''])('(sanity) git itself rejects refs/heads/%j', (name) => {
    expect(gitAccepts(name)).toBe(false);
  });

  it.each(IDS)('gives a valid git ref name for %s', (_what, id) => {
    const branch = taskBranch(id);
    expect(branch.startsWith('ralph/')).toBe(true);
    expect(gitAccepts(branch)).toBe(true);
  });

  it.each(IDS)('gives a name of at most 100 characters, only [A-Za-z0-9._-] after ralph/, for %s', (_what, id) => {
    const name = taskBranch(id).slice('ralph/'.length);
    expect(name.length).toBeGreaterThan(0);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  });

  it('is deterministic', () => {
    for (const [, id] of IDS) expect(taskBranch(id)).toBe(taskBranch(id));
  });

  it('maps every id of the table to a different branch', () => {
    const ids = IDS.map(([, id]) => id);
    const branches = new Set(ids.map(taskBranch));
    expect(branches.size).toBe(new Set(ids).size);
  });

  it.each<[string, string]>([
    ['fix-login', 'ralph/fix-login'],
    ['a_b', 'ralph/a_b'],
    ['v1.2.3', 'ralph/v1.2.3'],
    ['Task_42-A.b', 'ralph/Task_42-A.b'],
    ['x'.repeat(80), `ralph/${'x'.repeat(80)}`],
  ])('keeps the already-safe id %s as %s', (id, branch) => {
    expect(taskBranch(id)).toBe(branch);
  });

  it.each<[string, string]>([
    ['a b', `ralph/a-b-${hash8('a b')}`],
    ['feature/login', `ralph/feature-login-${hash8('feature/login')}`],
    ['a..b', `ralph/a.b-${hash8('a..b')}`],
    ['.hidden', `ralph/hidden-${hash8('.hidden')}`],
    ['-rf', `ralph/rf-${hash8('-rf')}`],
    ['end...', `ralph/end-${hash8('end...')}`],
    ['thing.lock', `ralph/thing-lock-${hash8('thing.lock')}`],
    ['///', `ralph/task-${hash8('///')}`],
    ['', `ralph/task-${hash8('')}`],
    ['日本語', `ralph/task-${hash8('日本語')}`],
    ['a@{1}', `ralph/a-1--${hash8('a@{1}')}`],
    [LONG, `ralph/${'x'.repeat(80)}-${hash8(LONG)}`],
    [LONG_DOTS, `ralph/${'a'.repeat(79)}-${hash8(LONG_DOTS)}`],
  ])('sanitises %j and adds a hash of the id', (id, branch) => {
    expect(taskBranch(id)).toBe(branch);
  });

  it.each<[string, string[]]>([
    ['space, dash, underscore', ['a b', 'a-b', 'a_b', 'a  b', 'a/b', 'a.b', 'a..b', 'a:b', 'a\tb']],
    ['empty-after-sanitising ids', ['', '/', '//', '///', '.', '..', '-', '日本語', '@', '~', 'ü']],
    ['leading and trailing junk', ['x', '.x', '-x', 'x.', 'x..', '/x', 'x/', ' x', 'x ']],
    ['.lock variants', ['x.lock', 'x-lock', 'x.lock.', 'x lock', 'x/lock']],
    ['long ids sharing the first 80 characters', [LONG, `${LONG}y`, `${'x'.repeat(81)}`, `${'x'.repeat(80)}.`, `${'x'.repeat(80)}-`]],
    ['case', ['Fix', 'fix', 'FIX']],
  ])('never maps two different ids to one branch: %s', (_what, ids) => {
    const branches = ids.map(taskBranch);
    expect(new Set(branches).size).toBe(ids.length);
  });

  // An already-safe id spelled like the hashed name of another id ("a b" -> "ralph/a-b-<hash>")
  // must not take that id's branch (a bug found by this test, fixed).
  it('never maps a safe id onto the hashed branch of a sanitised id', () => {
    const sanitised = taskBranch('a b');
    const lookalike = sanitised.slice('ralph/'.length);
    expect(taskBranch(lookalike)).not.toBe(sanitised);
  });
});

describe('asideBranchName', () => {
  it.each<[string, string[], string]>([
    ['nothing taken', [], 'ralph-conflict/x-1'],
    ['the first taken', ['ralph-conflict/x-1'], 'ralph-conflict/x-2'],
    ['the first two taken', ['ralph-conflict/x-1', 'ralph-conflict/x-2'], 'ralph-conflict/x-3'],
    ['a gap', ['ralph-conflict/x-1', 'ralph-conflict/x-3'], 'ralph-conflict/x-2'],
    ['other names taken', ['ralph/x', 'ralph-conflict/y-1', 'ralph-previous/x-1'], 'ralph-conflict/x-1'],
  ])('picks the first free name with %s', (_what, taken, expected) => {
    const set = new Set(taken);
    expect(asideBranchName('conflict', 'ralph/x', (n) => set.has(n))).toBe(expected);
  });

  it.each(['conflict', 'previous', 'saved'] as const)('keeps %s branches apart from every task branch, whatever the task id', (why) => {
    const aside = asideBranchName(why, taskBranch('x'), () => false);
    expect(aside).toBe(`ralph-${why}/x-1`);
    // No task id can produce a name outside ralph/, so none can take (or clash as a directory with) an aside branch.
    for (const id of ['x-conflict-1', `ralph-${why}/x-1`, '../ralph-saved/x', 'saved', 'saved/x-1']) expect(taskBranch(id).startsWith('ralph/')).toBe(true);
  });

  it('gives a valid ref name for a sanitised branch', () => {
    expect(gitAccepts(asideBranchName('previous', taskBranch('weird id..'), () => false))).toBe(true);
  });
});

describe('conflictRedos and redoesConflict', () => {
  it.each<[string, unknown, number]>([
    ['absent', undefined, 0],
    ['zero', 0, 0],
    ['one', 1, 1],
    ['three', 3, 3],
    ['a string', '1', 0],
    ['null', null, 0],
  ])('reads conflict_redos %s as %d', (_what, value, n) => {
    expect(conflictRedos(task('a', value === undefined ? {} : { conflict_redos: value }))).toBe(n);
  });

  it('allows one redo', () => {
    expect(CONFLICT_REDOS).toBe(1);
  });

  it.each<[ConflictPolicy, number | undefined, boolean]>([
    ['keep', undefined, false],
    ['keep', 0, false],
    ['keep', 1, false],
    ['requeue', undefined, true],
    ['requeue', 0, true],
    ['requeue', 1, false],
    ['requeue', 2, false],
  ])('policy %s with conflict_redos %s: redo %s', (policy, redos, expected) => {
    expect(redoesConflict(task('a', redos === undefined ? {} : { conflict_redos: redos }), policy)).toBe(expected);
  });
});

describe('conflictPromptNote', () => {
  it.each<[string, unknown]>([
    ['absent', undefined],
    ['null', null],
    ['a string', 'ralph/a'],
    ['a number', 3],
    ['an object without a branch', { commit: 'abc', paths: ['x'] }],
    ['an object with a non-string branch', { branch: 7, commit: 'abc', paths: ['x'] }],
  ])('is undefined when the conflict is %s', (_what, conflict) => {
    expect(conflictPromptNote(task('a', conflict === undefined ? {} : { conflict }))).toBeUndefined();
  });

  const sha = '0123456789abcdef0123456789abcdef01234567';
  it.each<[string, unknown, string]>([
    ['paths', { branch: 'ralph/a', commit: sha, paths: ['src/a.ts', 'README.md'] }, 'in: src/a.ts, README.md.'],
    ['one path', { branch: 'ralph/a', commit: sha, paths: ['src/a.ts'] }, 'in: src/a.ts.'],
    ['empty paths', { branch: 'ralph/a', commit: sha, paths: [] }, 'in: unknown files.'],
    ['no paths', { branch: 'ralph/a', commit: sha }, 'in: unknown files.'],
    ['paths not an array', { branch: 'ralph/a', commit: sha, paths: 'src/a.ts' }, 'in: unknown files.'],
  ])('names the branch, the short commit and the files with %s', (_what, conflict, files) => {
    const note = conflictPromptNote(task('a', { conflict }));
    expect(note).toContain('(branch ralph/a, commit 0123456789ab)');
    expect(note).not.toContain(sha);
    expect(note).toContain(files);
    expect(note).toContain('Do the task again on the current code');
  });
});

const facts = (over: Partial<WorktreeFacts>): WorktreeFacts => ({ path: '/w/1', branch: 'ralph/a', head: 'abc', dirty: false, unmerged: 0, ...over });

describe('pruneDecision', () => {
  const USE = 'worker 2 (pid 42)';
  it.each<[boolean, boolean, number, string | null]>([
    [false, false, 0, null],
    [true, false, 0, `in use by ${USE}`],
    [false, true, 0, 'uncommitted changes'],
    [false, false, 1, '1 commit(s) not in the base branch'],
    [false, false, 3, '3 commit(s) not in the base branch'],
    [true, true, 0, `in use by ${USE}; uncommitted changes`],
    [true, false, 2, `in use by ${USE}; 2 commit(s) not in the base branch`],
    [false, true, 2, 'uncommitted changes; 2 commit(s) not in the base branch'],
    [true, true, 2, `in use by ${USE}; uncommitted changes; 2 commit(s) not in the base branch`],
  ])('inUse %s, dirty %s, unmerged %d', (inUse, dirty, unmerged, why) => {
    const d = pruneDecision(facts({ inUse: inUse ? USE : undefined, dirty, unmerged }));
    expect(d).toEqual(why === null ? { remove: true } : { remove: false, why });
  });

  it('removes a detached, clean, merged, unused worktree', () => {
    expect(pruneDecision({ path: '/w/2', head: 'abc', dirty: false, unmerged: 0 })).toEqual({ remove: true });
  });
});

describe('worktreeState', () => {
  it.each<[boolean, number, string]>([
    [false, 0, 'merged'],
    [true, 0, 'merged, dirty'],
    [false, 1, 'unmerged (1 commit)'],
    [false, 2, 'unmerged (2 commits)'],
    [true, 1, 'unmerged (1 commit), dirty'],
    [true, 5, 'unmerged (5 commits), dirty'],
  ])('dirty %s, unmerged %d: %s', (dirty, unmerged, expected) => {
    expect(worktreeState({ dirty, unmerged })).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// outcome.ts

const ctx = (over: Partial<ReportContext> = {}): ReportContext => ({ token: 'tok-1', workerId: 3, now: NOW, retries: 0, backoffMs: () => 1_000, ...over });
const SHA = 'feedfacefeedfacefeedfacefeedfacefeedface';
const conflictGit: TaskGitResult = { branch: 'ralph/a', commit: SHA, merge: 'conflict', files_changed: ['src/a.ts', 'src/b.ts'], conflict_paths: ['src/a.ts'] };
const run = (git?: TaskGitResult, over: Partial<RunOutcome> = {}): RunOutcome => ({
  ok: true,
  finding: 'did it',
  exitCode: 0,
  signal: null,
  durationMs: 2_000,
  ...(git ? { git } : {}),
  ...over,
});
const claimant = { workerId: 3, pid: 4242, host: 'host-b', token: 'tok-1', now: NOW, leaseMs: 60_000 };
/** A task with git fields left by an earlier run, claimed again with token tok-1. */
const reclaimed = (fields: Partial<Task> = {}) =>
  claimTask(
    task('a', {
      attempts: 1,
      branch: 'ralph/a',
      commit: 'old0old0old0',
      merge: 'conflict',
      files_changed: ['old.ts'],
      conflict_paths: ['old.ts'],
      note: 'old note',
      merged_into: 'oldbase',
      data: { x: 1 },
      ...fields,
    }),
    claimant,
  );

describe('requeueAfterConflict refuses', () => {
  it.each<[string, Task | undefined, RunOutcome, string]>([
    ['the claim token does not match', claimed('a'), run(conflictGit), 'tok-other'],
    ['the task is no longer claimed', task('a', { claim_token: 'tok-1' }), run(conflictGit), 'tok-1'],
    ['the task is undefined', undefined, run(conflictGit), 'tok-1'],
    ['the outcome has no git result', claimed('a'), run(), 'tok-1'],
    ['the merge went through', claimed('a'), run({ ...conflictGit, merge: 'merged' }), 'tok-1'],
    ['the merge was skipped', claimed('a'), run({ ...conflictGit, merge: 'skipped' }), 'tok-1'],
    ['the merge is absent', claimed('a'), run({ branch: 'ralph/a' }), 'tok-1'],
  ])('when %s', (_what, t, outcome, token) => {
    expect(requeueAfterConflict(t, outcome, ctx({ token }))).toBeUndefined();
  });
});

describe('requeueAfterConflict', () => {
  const t = reclaimed({ conflict_redos: undefined });
  const result = requeueAfterConflict(t, run(conflictGit, { usage: { agent: 'claude', cost_usd: 0.5 } }), ctx());
  if (!result) throw new Error('expected a requeue');

  it('puts the task back to pending, attempts and data kept', () => {
    expect(result.task).toMatchObject({ id: 'a', status: 'pending', attempts: 2, data: { x: 1 } });
  });

  it.each(['claim_token', 'lease_expires_at', 'worker_pid', 'worker_host', 'claimed_at'])('drops the claim field %s', (field) => {
    expect(t).toHaveProperty(field);
    expect(result.task).not.toHaveProperty(field);
  });

  it.each(['branch', 'commit', 'merge', 'files_changed', 'conflict_paths', 'note', 'merged_into'])('leaves no stale git field %s on the task', (field) => {
    expect(result.task).not.toHaveProperty(field);
  });

  it('notes the conflict for the prompt', () => {
    expect(result.task.conflict).toEqual({ branch: 'ralph/a', commit: SHA, paths: ['src/a.ts'] });
    expect(conflictPromptNote(result.task)).toContain('(branch ralph/a, commit feedfacefeed)');
  });

  it.each<[string, number | undefined, number]>([
    ['absent', undefined, 1],
    ['0', 0, 1],
    ['1', 1, 2],
  ])('increments conflict_redos from %s to %d', (_what, before, after) => {
    const r = requeueAfterConflict(reclaimed(before === undefined ? {} : { conflict_redos: before }), run(conflictGit), ctx());
    expect(r?.task.conflict_redos).toBe(after);
  });

  it('is not redone again under --on-conflict requeue', () => {
    expect(redoesConflict(result.task, 'requeue')).toBe(false);
  });

  it('records an issue for the merge conflict carrying the git fields', () => {
    expect(result.issue).toMatchObject({
      task_id: 'a',
      worker_id: 3,
      reason: 'merge-conflict',
      outcome: 'requeued',
      timestamp: NOW.toISOString(),
      attempt: 2,
      exit_code: 0,
      signal: null,
      duration_ms: 2_000,
      agent: 'claude',
      cost_usd: 0.5,
      branch: 'ralph/a',
      commit: SHA,
      merge: 'conflict',
      files_changed: ['src/a.ts', 'src/b.ts'],
      conflict_paths: ['src/a.ts'],
    });
    expect(result.issue.error).toContain('src/a.ts');
    expect(result.issue.error).toContain('ralph/a');
  });

  it.each<[string, TaskGitResult, { branch: string; commit: string; paths: string[] }, string]>([
    ['no commit and no paths', { branch: 'ralph/a', merge: 'conflict' }, { branch: 'ralph/a', commit: '', paths: [] }, 'merge conflict in unknown files'],
    [
      'empty paths',
      { branch: 'ralph/a', commit: 'c1', merge: 'conflict', conflict_paths: [] },
      { branch: 'ralph/a', commit: 'c1', paths: [] },
      'merge conflict in unknown files',
    ],
    [
      'two paths',
      { branch: 'ralph/a', commit: 'c1', merge: 'conflict', conflict_paths: ['x', 'y'] },
      { branch: 'ralph/a', commit: 'c1', paths: ['x', 'y'] },
      'merge conflict in x, y',
    ],
  ])('copes with %s', (_what, git, conflict, error) => {
    const r = requeueAfterConflict(reclaimed(), run(git), ctx());
    expect(r?.task.conflict).toEqual(conflict);
    expect(r?.issue.error).toContain(error);
  });

  it('does not change the task it was given', () => {
    const before = reclaimed();
    const copy = structuredClone(before);
    requeueAfterConflict(before, run(conflictGit), ctx());
    expect(before).toEqual(copy);
  });
});

describe('decideReport with a git result', () => {
  const mergedGit: TaskGitResult = { branch: 'ralph/a', commit: SHA, merge: 'merged', merged_into: 'base123', files_changed: ['src/a.ts'] };

  it.each<[string, TaskGitResult]>([
    ['merged', mergedGit],
    ['skipped (--merge none)', { branch: 'ralph/a', commit: SHA, merge: 'skipped', files_changed: ['src/a.ts'] }],
    ['conflict (--on-conflict keep)', conflictGit],
  ])('puts branch, commit, merge and files_changed on the task and the finding when %s', (_what, git) => {
    const d = decideReport(claimTask(task('a'), claimant), run(git), ctx());
    if (d.kind !== 'completed') throw new Error(d.kind);
    for (const field of ['branch', 'commit', 'merge', 'files_changed'] as const) {
      expect(d.task[field]).toEqual(git[field]);
      expect(d.finding[field]).toEqual(git[field]);
    }
    expect(d.task.status).toBe('completed');
  });

  it('replaces every git field left on the task by an earlier run', () => {
    const d = decideReport(reclaimed(), run(mergedGit), ctx());
    if (d.kind !== 'completed') throw new Error(d.kind);
    expect(d.task).toMatchObject({ branch: 'ralph/a', commit: SHA, merge: 'merged', merged_into: 'base123', files_changed: ['src/a.ts'] });
    expect(d.task).not.toHaveProperty('conflict_paths');
    expect(d.task).not.toHaveProperty('note');
  });

  it('drops old git fields when the new run has none', () => {
    const d = decideReport(reclaimed(), run(), ctx());
    if (d.kind !== 'completed') throw new Error(d.kind);
    for (const field of ['branch', 'commit', 'merge', 'files_changed', 'conflict_paths', 'note', 'merged_into']) expect(d.task).not.toHaveProperty(field);
  });

  it('completes a redone task cleanly after a requeue for a conflict', () => {
    const requeued = requeueAfterConflict(reclaimed(), run(conflictGit), ctx());
    if (!requeued) throw new Error('expected a requeue');
    const d = decideReport(claimTask(requeued.task, claimant), run({ ...mergedGit, commit: 'new1new1' }), ctx());
    if (d.kind !== 'completed') throw new Error(d.kind);
    expect(d.task).toMatchObject({ status: 'completed', merge: 'merged', commit: 'new1new1', conflict_redos: 1 });
    expect(d.task).not.toHaveProperty('conflict_paths');
  });

  it('carries the git result on the issue and the requeued task of a failed run, old fields replaced', () => {
    const git: TaskGitResult = { branch: 'ralph/a', commit: SHA, files_changed: ['f.ts'] };
    const d = decideReport(reclaimed(), run(git, { ok: false, exitCode: 1, error: 'boom' }), ctx({ retries: 3 }));
    if (d.kind !== 'requeued') throw new Error(d.kind);
    expect(d.issue).toMatchObject(git);
    expect(d.task).toMatchObject({ status: 'pending', ...git });
    for (const field of ['merge', 'conflict_paths', 'note', 'merged_into']) expect(d.task).not.toHaveProperty(field);
  });
});

// ---------------------------------------------------------------------------------------------
// summary.ts and markdown.ts

const where = { dir: DIR, report: `${DIR}/R.md` };
const isolatedRun = {
  started_at: at(-10_000),
  ended_at: NOW.toISOString(),
  workers: 2,
  stopped_by: 'completed',
  isolate: 'worktree' as const,
  base: 'main',
  merge: 'merge',
  on_conflict: 'keep',
};
const isolated = (tasks: Task[]): QueueState => state(tasks, { meta: { active: false, worker_count: 2, run: isolatedRun } });
const done = (id: string, fields: Partial<Task> = {}) =>
  task(id, { status: 'completed', worker_id: 1, attempts: 1, duration_ms: 1_000, finding: 'ok', ...fields });

const gitTasks = (): Task[] => [
  done('m1', { branch: 'ralph/m1', commit: 'aaaaaaaaaaaaaaaa1', merge: 'merged', files_changed: ['a.ts'], completed_at: at(-3_000), note: 'older note' }),
  done('m2', {
    branch: 'ralph/m2',
    commit: 'bbbbbbbbbbbbbbbb2',
    merge: 'merged',
    files_changed: ['b.ts', 'c.ts'],
    completed_at: at(-1_000),
    note: 'latest note',
  }),
  done('m0', { branch: 'ralph/m0', commit: 'dddddddddddddddd0', merge: 'merged', files_changed: [], completed_at: at(-5_000), note: 'oldest note' }),
  done('c1', {
    branch: 'ralph/c1',
    commit: 'cccccccccccccccc3',
    merge: 'conflict',
    files_changed: ['x.ts', 'y.ts'],
    conflict_paths: ['x.ts'],
    completed_at: at(-2_000),
  }),
  done('s1', { branch: 'ralph/s1', commit: 'eeeeeeeeeeeeeeee4', merge: 'skipped', files_changed: ['s.ts'], completed_at: at(-4_000) }),
  task('f1', { status: 'failed', worker_id: 2, attempts: 1, error: 'boom', branch: 'ralph/f1', commit: 'ffffffffffffffff5' }),
  done('plain', { completed_at: at(-500) }),
];

describe('buildSummary git', () => {
  const s = buildSummary(isolated(gitTasks()), [], where);

  it('is null without git fields and without run.isolate', () => {
    expect(buildSummary(state([done('a'), task('b')]), [], where).git).toBeNull();
  });

  it('is present with run.isolate even without any task branch', () => {
    expect(buildSummary(isolated([done('a')]), [], where).git).toEqual({
      base: 'main',
      remote: null,
      merge_mode: 'merge',
      on_conflict: 'keep',
      counts: { merged: 0, conflict: 0, skipped: 0 },
      tasks: [],
      conflicts: [],
      notes: [],
    });
  });

  it('is present with task branches even without run.isolate', () => {
    const g = buildSummary(state([done('a', { branch: 'ralph/a', merge: 'merged' })]), [], where).git;
    expect(g).toMatchObject({ base: null, merge_mode: null, on_conflict: null, counts: { merged: 1, conflict: 0, skipped: 0 } });
  });

  it('takes base, merge mode and conflict policy from the run', () => {
    expect(s.git).toMatchObject({ base: 'main', merge_mode: 'merge', on_conflict: 'keep' });
  });

  it('counts merge outcomes', () => {
    expect(s.git?.counts).toEqual({ merged: 3, conflict: 1, skipped: 1 });
  });

  it('lists only tasks with a branch', () => {
    expect(s.git?.tasks.map((t) => t.id)).toEqual(['m1', 'm2', 'm0', 'c1', 's1', 'f1']);
    expect(s.git?.tasks.find((t) => t.id === 'f1')).toEqual({
      id: 'f1',
      status: 'failed',
      branch: 'ralph/f1',
      commit: 'ffffffffffffffff5',
      merge: null,
      files_changed: [],
    });
  });

  it('lists the conflicts', () => {
    expect(s.git?.conflicts).toEqual([
      {
        id: 'c1',
        status: 'completed',
        branch: 'ralph/c1',
        commit: 'cccccccccccccccc3',
        merge: 'conflict',
        files_changed: ['x.ts', 'y.ts'],
        conflict_paths: ['x.ts'],
      },
    ]);
  });

  it('keeps only the note of the latest merged task', () => {
    expect(s.git?.notes).toEqual(['latest note']);
  });

  it.each<[string, Task[], string[]]>([
    [
      'no note on the latest merged task (older notes are stale)',
      [
        done('a', { branch: 'ralph/a', merge: 'merged', completed_at: at(-2_000), note: 'stale' }),
        done('b', { branch: 'ralph/b', merge: 'merged', completed_at: at(-1_000) }),
      ],
      [],
    ],
    [
      'a note on a later conflicting task only',
      [
        done('a', { branch: 'ralph/a', merge: 'merged', completed_at: at(-2_000), note: 'merged note' }),
        done('b', { branch: 'ralph/b', merge: 'conflict', completed_at: at(-1_000), note: 'conflict note' }),
      ],
      ['merged note'],
    ],
    [
      'a merged task without completed_at',
      [
        done('a', { branch: 'ralph/a', merge: 'merged', completed_at: at(-2_000), note: 'dated' }),
        done('b', { branch: 'ralph/b', merge: 'merged', note: 'undated' }),
      ],
      ['dated'],
    ],
    ['no merged task', [done('a', { branch: 'ralph/a', merge: 'skipped', completed_at: at(-1), note: 'n' })], []],
  ])('notes with %s', (_what, tasks, notes) => {
    expect(buildSummary(isolated(tasks), [], where).git?.notes).toEqual(notes);
  });
});

function report(st: QueueState): string {
  return renderReport(st, buildSummary(st, [session(1, 'idle', NOW.toISOString())], where));
}

describe('renderReport with isolation', () => {
  const md = report(isolated(gitTasks()));
  const tasks = section(md, 'Tasks');
  const header = tasks.find((l) => l.startsWith('| id '))!;
  const row = (id: string) => tasks.find((l) => l.startsWith(`| ${id} |`))!;
  const col = (id: string, name: string) => cells(row(id))[cells(header).indexOf(name)];

  it('has the isolation line', () => {
    expect(md.split('\n')).toContain(
      '- Isolation: a git worktree per worker, a branch per task, merged into `main` (--merge merge, --on-conflict keep): 3 merged, 1 conflict(s), 1 not merged (--merge none)',
    );
  });

  it('has branch, commit, merge and files changed columns', () => {
    expect(cells(header)).toEqual(['id', 'type', 'status', 'worker', 'attempts', 'duration', 'branch', 'commit', 'merge', 'files changed', 'finding or cause']);
    expect(tasks.find((l) => l.startsWith('| ---'))!.split('|').length).toBe(header.split('|').length);
  });

  it.each<[string, string, string, string, string]>([
    ['m2', '`ralph/m2`', 'bbbbbbbbbbbb', 'merged', '2'],
    ['c1', '`ralph/c1`', 'cccccccccccc', 'conflict', '2'],
    ['s1', '`ralph/s1`', 'eeeeeeeeeeee', 'skipped', '1'],
    ['m0', '`ralph/m0`', 'dddddddddddd', 'merged', '0'],
    ['f1', '`ralph/f1`', 'ffffffffffff', '', ''],
    ['plain', '', '', '', ''],
  ])('shows the git cells of %s', (id, branch, commit, merge, files) => {
    expect([col(id, 'branch'), col(id, 'commit'), col(id, 'merge'), col(id, 'files changed')]).toEqual([branch, commit, merge, files]);
  });

  it('has a merge conflicts section with the commands to inspect the branch', () => {
    const lines = section(md, 'Merge conflicts');
    const text = lines.join('\n');
    expect(lines).toContain('### `c1` on `ralph/c1`');
    expect(text).toContain('Conflicting files: `x.ts`; commit `cccccccccccc`.');
    expect(text).toContain('git log --oneline main..ralph/c1');
    expect(text).toContain('git diff main...ralph/c1');
    expect(text).toContain('git merge ralph/c1');
    expect(text).not.toContain('ralph/m2');
  });

  it('lists the latest note under Git notes', () => {
    expect(section(md, 'Git notes').filter((l) => l.startsWith('- '))).toEqual(['- latest note']);
  });

  it('has no merge conflicts section without a conflict', () => {
    const clean = report(isolated([done('a', { branch: 'ralph/a', merge: 'merged', commit: 'abc' })]));
    expect(clean).not.toContain('## Merge conflicts');
    expect(clean).not.toContain('## Git notes');
    expect(clean).toContain('- Isolation:');
  });

  it('uses BASE in the commands when the base is unknown', () => {
    const st = state([done('a', { branch: 'ralph/a', merge: 'conflict', commit: 'abc', conflict_paths: [] })]);
    const text = section(report(st), 'Merge conflicts').join('\n');
    expect(text).toContain('git log --oneline BASE..ralph/a');
    expect(text).toContain('git diff BASE...ralph/a');
    expect(text).toContain('Conflicting files: unknown; commit `abc`.');
  });
});

describe('renderReport without isolation', () => {
  const md = report(state([done('a'), task('b', { status: 'failed', error: 'x' })]));

  it.each<[string, string]>([
    ['isolation line', '- Isolation:'],
    ['branch column', '| branch |'],
    ['branch column header', ' branch '],
    ['merge conflicts section', '## Merge conflicts'],
    ['git notes section', '## Git notes'],
  ])('has no %s', (_what, text) => {
    expect(md).not.toContain(text);
  });

  it('keeps the plain task table', () => {
    expect(cells(section(md, 'Tasks').find((l) => l.startsWith('| id '))!)).toEqual([
      'id',
      'type',
      'status',
      'worker',
      'attempts',
      'duration',
      'finding or cause',
    ]);
  });
});
