// A worker's worktree with its base on a shared remote (workers on several machines): real clones of
// a bare repository on disk, real git. What a retry on another machine takes over, and what an
// attempt whose claim was taken over can no longer do.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RemoteBase } from '../../src/git/remote.js';
import { Repo } from '../../src/git/repo.js';
import { ignoreStateDir } from '../../src/git/isolation.js';
import { worktreeGitLock } from '../../src/git/lock.js';
import { WorkerWorktree } from '../../src/git/worktree.js';
import { tempDir } from '../helpers/index.js';
import { git, gitOk } from '../helpers/git.js';

function sharedRemote(): string {
  const work = tempDir('ralph-seed-');
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(join(work, 'a.txt'), 'seed\n');
  git(work, 'add', '-A');
  git(work, '-c', 'user.email=s@example.com', '-c', 'user.name=S', 'commit', '-q', '-m', 'seed');
  const remote = join(tempDir('ralph-remote-'), 'project.git');
  git(work, 'clone', '-q', '--bare', work, remote);
  return remote;
}

/** A machine's clone and one worker's worktree in it, on the remote's main. */
async function workerOn(remote: string, workerId: number): Promise<WorkerWorktree> {
  const dir = join(tempDir('ralph-machine-'), 'clone');
  git(tempDir(), 'clone', '-q', remote, dir);
  const repo = Repo.open(dir);
  const state = join(dir, '.ralph');
  ignoreStateDir(repo, state);
  const tree = new WorkerWorktree(
    repo,
    state,
    workerId,
    'main',
    worktreeGitLock(state),
    { info: () => undefined },
    { remote: new RemoteBase(repo, 'origin', 'main') },
  );
  await tree.ensure();
  return tree;
}

const finish = (
  tree: WorkerWorktree,
  ended: 'ok' | 'interrupted',
  more: { claimLost?: boolean; merge?: 'merge' | 'rebase'; setAsideOnConflict?: boolean } = {},
) =>
  tree.finish({
    taskId: 't1',
    type: 'edit',
    ended,
    finding: '',
    merge: more.merge ?? 'merge',
    setAsideOnConflict: more.setAsideOnConflict ?? false,
    ...(more.claimLost ? { claimLost: true } : {}),
  });

describe('WorkerWorktree on a shared remote', () => {
  it('an interrupted attempt publishes its work; the retry on another machine resumes it and merges it onto the remote main', async () => {
    const remote = sharedRemote();
    const [a, b] = [await workerOn(remote, 1), await workerOn(remote, 2)];
    expect((await a.begin('t1', false)).kept).toBe(0);
    appendFileSync(join(a.path, 'a.txt'), 'first attempt\n');
    const first = await finish(a, 'interrupted');
    expect(first.merge).toBeUndefined();
    expect(git(remote, 'rev-parse', 'ralph/t1')).toBe(first.commit);

    const resumed = await b.begin('t1', true);
    expect(resumed).toMatchObject({ branch: 'ralph/t1', kept: 1 });
    expect(resumed.note).toContain('resumed ralph/t1 from origin with 1 commit(s)');
    appendFileSync(join(b.path, 'a.txt'), 'second attempt\n');
    const second = await finish(b, 'ok');
    expect(second.merge).toBe('merged');
    expect(git(remote, 'show', 'main:a.txt')).toBe('seed\nfirst attempt\nsecond attempt');
    expect(git(remote, 'rev-parse', 'ralph/t1')).toBe(second.commit);
  });

  it('an attempt whose task was taken over by another machine cannot overwrite the branch the other published', async () => {
    const remote = sharedRemote();
    const [a, b] = [await workerOn(remote, 1), await workerOn(remote, 2)];
    await a.begin('t1', false);
    appendFileSync(join(a.path, 'a.txt'), 'stale attempt\n');
    // Meanwhile A's claim expired; B's attempt 2 began (nothing published yet, so afresh) and published.
    await b.begin('t1', true);
    appendFileSync(join(b.path, 'a.txt'), 'attempt 2\n');
    const taken = await finish(b, 'interrupted');
    await expect(finish(a, 'ok')).rejects.toThrow(/ralph\/t1 on origin moved meanwhile/);
    expect(git(remote, 'rev-parse', 'ralph/t1')).toBe(taken.commit);
    expect(git(remote, 'show', 'main:a.txt')).toBe('seed');
  });

  it('an attempt stopped because its claim was taken over publishes its work aside, even before the new attempt publishes', async () => {
    const remote = sharedRemote();
    const [a, b] = [await workerOn(remote, 1), await workerOn(remote, 2)];
    await a.begin('t1', false);
    await b.begin('t1', true);
    appendFileSync(join(a.path, 'a.txt'), 'stale attempt\n');
    const stale = await finish(a, 'interrupted', { claimLost: true });
    expect(stale.branch).toBe('ralph-saved/t1-1');
    expect(git(remote, 'show', 'ralph-saved/t1-1:a.txt')).toBe('seed\nstale attempt');
    expect(spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/ralph/t1'], { cwd: remote }).status).not.toBe(0);
    // The attempt that holds the claim publishes and merges as if the other had never run.
    appendFileSync(join(b.path, 'a.txt'), 'attempt 2\n');
    expect((await finish(b, 'ok')).merge).toBe('merged');
    expect(git(remote, 'show', 'main:a.txt')).toBe('seed\nattempt 2');
  });

  it('--merge rebase: when the base moves under a rebased branch and then conflicts, the branch kept aside is the one the remote has', async () => {
    const remote = sharedRemote();
    const seed = git(remote, 'rev-parse', 'main');
    // Someone else's commit, rewriting the line the task changes, lands on main just as the first merge is pushed.
    const work = join(tempDir('ralph-other-'), 'clone');
    git(tempDir(), 'clone', '-q', remote, work);
    writeFileSync(join(work, 'a.txt'), 'rewritten by someone else\n');
    git(work, '-c', 'user.email=o@example.com', '-c', 'user.name=O', 'commit', '-q', '-am', 'other');
    const other = git(work, 'rev-parse', 'HEAD');
    git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/other');
    const flag = join(tempDir(), 'raced');
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = refs/heads/main ] && [ ! -e "${flag}" ]; then touch "${flag}"; env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/main ${other} ${seed}; fi\ndone\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    const a = await workerOn(remote, 1);
    await a.begin('t1', false);
    appendFileSync(join(a.path, 'a.txt'), 'by the task\n');
    const result = await finish(a, 'ok', { merge: 'rebase', setAsideOnConflict: true });
    expect(result).toMatchObject({ merge: 'conflict', conflict_paths: ['a.txt'], branch: 'ralph-conflict/t1-1' });
    expect(git(remote, 'rev-parse', 'main')).toBe(other);
    expect(git(remote, 'show', 'ralph-conflict/t1-1:a.txt')).toBe('seed\nby the task');
    expect(git(remote, 'rev-parse', 'ralph-conflict/t1-1')).toBe(result.commit);
  });

  it('a merge lock that cannot be had still leaves the work committed and published, and the worktree free', async () => {
    const remote = sharedRemote();
    const dir = join(tempDir('ralph-machine-'), 'clone');
    git(tempDir(), 'clone', '-q', remote, dir);
    const repo = Repo.open(dir);
    const state = join(dir, '.ralph');
    ignoreStateDir(repo, state);
    const lock = { acquire: () => Promise.reject(new Error('lost the queue while waiting for the merge lock')) };
    const tree = new WorkerWorktree(
      repo,
      state,
      1,
      'main',
      worktreeGitLock(state),
      { info: () => undefined },
      { remote: new RemoteBase(repo, 'origin', 'main'), lock },
    );
    await tree.ensure();
    await tree.begin('t1', false);
    appendFileSync(join(tree.path, 'a.txt'), 'work\n');
    await expect(finish(tree, 'ok')).rejects.toThrow(/merge lock/);
    expect(git(remote, 'show', 'ralph/t1:a.txt')).toBe('seed\nwork');
    expect(git(remote, 'show', 'main:a.txt')).toBe('seed');
    expect(gitOk(tree.path, 'symbolic-ref', '-q', 'HEAD')).toBe(false);
  });

  it('a taken-over attempt that made no commit of its own leaves no branch behind', async () => {
    const remote = sharedRemote();
    const a = await workerOn(remote, 1);
    await a.begin('t1', false);
    expect(await finish(a, 'interrupted', { claimLost: true })).toEqual({ branch: 'ralph/t1' });
    expect(git(remote, 'for-each-ref', '--format=%(refname)', 'refs/heads/ralph-saved', 'refs/heads/ralph')).toBe('');
  });

  it("a new task of an earlier run's id keeps that run's unmerged remote branch under ralph-previous/ and starts afresh", async () => {
    const remote = sharedRemote();
    const [a, b] = [await workerOn(remote, 1), await workerOn(remote, 2)];
    await a.begin('t1', false);
    appendFileSync(join(a.path, 'a.txt'), 'earlier run\n');
    const earlier = await finish(a, 'interrupted');
    const begun = await b.begin('t1', false);
    expect(begun.kept).toBe(0);
    expect(begun.note).toContain('kept there as ralph-previous/t1-1');
    expect(git(remote, 'rev-parse', 'ralph-previous/t1-1')).toBe(earlier.commit);
    expect(spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/ralph/t1'], { cwd: remote }).status).not.toBe(0);
    appendFileSync(join(b.path, 'a.txt'), 'this run\n');
    expect((await finish(b, 'ok')).merge).toBe('merged');
    expect(git(remote, 'show', 'main:a.txt')).toBe('seed\nthis run');
  });
});
