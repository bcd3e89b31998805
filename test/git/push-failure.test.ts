import { describe, expect, it } from 'vitest';
import { PushRefusedError, classifyPushFailure } from '../../src/git/push-failure.js';
import type { PushFailure } from '../../src/git/push-failure.js';

// git's stderr as it is (LC_ALL=C); the first four were captured from git 2.x against a bare remote on disk.
const HINTS = `hint: Updates were rejected because the remote contains work that you do
hint: not have locally. This is usually caused by another repository pushing
hint: to the same ref. You may want to first integrate the remote changes
hint: (e.g., 'git pull ...') before pushing again.
hint: See the 'Note about fast-forwards' in 'git push --help' for details.`;

describe('classifyPushFailure', () => {
  it.each<[string, string, PushFailure]>([
    [
      'a pre-receive hook that says no',
      `remote: push refused by policy: main is frozen        \nTo /tmp/r.git\n ! [remote rejected] HEAD -> main (pre-receive hook declined)\nerror: failed to push some refs to '/tmp/r.git'\n`,
      { kind: 'refused', reason: 'pre-receive hook declined', said: 'push refused by policy: main is frozen' },
    ],
    [
      'a read-only remote repository',
      `error: remote unpack failed: unable to create temporary object directory\nTo ../ro\n ! [remote rejected] HEAD -> main (unpacker error)\nerror: failed to push some refs to '../ro'\n`,
      { kind: 'refused', reason: 'unpacker error', said: 'remote unpack failed: unable to create temporary object directory' },
    ],
    [
      'someone pushed first (fetch first)',
      `To /tmp/r.git\n ! [rejected]        HEAD -> main (fetch first)\nerror: failed to push some refs to '/tmp/r.git'\n${HINTS}\n`,
      { kind: 'behind' },
    ],
    [
      'a local branch behind (non-fast-forward)',
      `To /tmp/r.git\n ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs to '/tmp/r.git'\n`,
      { kind: 'behind' },
    ],
    [
      'another push moved the branch while the remote took mine (a race, seen in loops-git c)',
      `remote: error: cannot lock ref 'refs/heads/main': is at 974c0a9efdb91a5f8991382b6f70e4b40c8c3721 but expected 7607422cd4e733c25b340ca2e7de25aae2399a7c        \n` +
        `To /tmp/r.git\n ! [remote rejected] HEAD -> main (failed to update ref)\nerror: failed to push some refs to '/tmp/r.git'\n`,
      { kind: 'behind' },
    ],
    [
      'two pushes creating the same branch at once',
      `remote: error: cannot lock ref 'refs/heads/new': reference already exists        \nTo /tmp/r.git\n ! [remote rejected] HEAD -> new (failed to update ref)\n`,
      { kind: 'behind' },
    ],
    [
      'a ref that cannot be written (no permission on refs/)',
      `remote: error: cannot lock ref 'refs/heads/main': Unable to create '/tmp/r.git/refs/heads/main.lock': Permission denied        \n` +
        `To /tmp/r.git\n ! [remote rejected] HEAD -> main (failed to update ref)\nerror: failed to push some refs to '/tmp/r.git'\n`,
      {
        kind: 'refused',
        reason: 'failed to update ref',
        said: `cannot lock ref 'refs/heads/main': Unable to create '/tmp/r.git/refs/heads/main.lock': Permission denied`,
      },
    ],
    [
      'a protected branch (GitHub)',
      'remote: error: GH006: Protected branch update failed for refs/heads/main.\nremote: error: Changes must be made through a pull request.\nTo github.com:o/r.git\n' +
        ` ! [remote rejected] main -> main (protected branch hook declined)\nerror: failed to push some refs to 'github.com:o/r.git'\n`,
      {
        kind: 'refused',
        reason: 'protected branch hook declined',
        said: 'GH006: Protected branch update failed for refs/heads/main. Changes must be made through a pull request.',
      },
    ],
    [
      'a protected branch (GitLab)',
      `remote: GitLab: You are not allowed to push code to protected branches on this project.\nTo gitlab.com:o/r.git\n ! [remote rejected] main -> main (pre-receive hook declined)\nerror: failed to push some refs to 'gitlab.com:o/r.git'\n`,
      { kind: 'refused', reason: 'pre-receive hook declined', said: 'GitLab: You are not allowed to push code to protected branches on this project.' },
    ],
    [
      'no permission over HTTPS',
      `remote: Permission to o/r.git denied to someone.\nfatal: unable to access 'https://github.com/o/r.git/': The requested URL returned error: 403\n`,
      {
        kind: 'failed',
        said: `Permission to o/r.git denied to someone. unable to access 'https://github.com/o/r.git/': The requested URL returned error: 403`,
      },
    ],
    [
      'no permission over SSH',
      'ERROR: Permission to o/r.git denied to deploy key\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n',
      {
        kind: 'failed',
        said: 'Permission to o/r.git denied to deploy key Could not read from remote repository. Please make sure you have the correct access rights and the repository exists.',
      },
    ],
    [
      'a rejection that a rebase cannot mend (stale info)',
      ` ! [rejected]        main -> main (stale info)\nerror: failed to push some refs to '/tmp/r.git'\n`,
      { kind: 'failed', said: '! [rejected]        main -> main (stale info)' },
    ],
    ['nothing said', '', { kind: 'failed', said: 'git gave no reason' }],
  ])('%s', (_what, stderr, expected) => {
    expect(classifyPushFailure(stderr)).toEqual(expected);
  });
});

describe('PushRefusedError', () => {
  it("is one line with the command, git's reason and what to do; exit 1", () => {
    const error = new PushRefusedError(
      'git push origin HEAD:main',
      { kind: 'refused', reason: 'pre-receive hook declined', said: 'main is frozen.' },
      'Then rerun.',
    );
    expect(error.message).toBe(
      'git push origin HEAD:main was refused by the remote (pre-receive hook declined): main is frozen. ' +
        "Retrying would not help: this is the remote's answer (a hook, a protected branch, permissions or a read-only repository), not someone pushing first. Then rerun.",
    );
    expect(error.code).toBe('RALPH_PUSH_REFUSED');
    expect(error.exitCode).toBe(1);
  });

  it('without anything said by the remote, names the reason alone', () => {
    expect(new PushRefusedError('git push', { kind: 'refused', reason: 'shallow update not allowed', said: '' }, '').message).toMatch(
      /^git push was refused by the remote \(shallow update not allowed\)\. Retrying/,
    );
  });
});
