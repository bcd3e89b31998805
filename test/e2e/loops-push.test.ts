import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/index.js';
import { FAST, gatedAgent, git, ralphWithin, remoteRev, remoteState, startWatched, twoClones, writeAgent } from '../helpers/loops.js';
import type { Setup } from '../helpers/loops.js';

const SYNC = ['--sync-via-git', '--branch', 'main', ...FAST, '--max-wait-sec', '20'];

/** A `pre-receive` hook on the bare remote that refuses every push, counting the attempts. */
function refuseEveryPush(s: Setup): { attempts: () => number; remove: () => void } {
  const count = join(s.root, 'pre-receive-calls');
  const hook = writeAgent(
    join(s.remote, 'hooks'),
    'pre-receive',
    `
echo call >> '${count}'
echo "push refused by policy: main is frozen" >&2
exit 1`,
  );
  return {
    attempts: () => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0),
    remove: () => rmSync(hook),
  };
}

/** Can this process make a directory read-only for itself? Not root: chmod does. Root: only a read-only bind mount. */
function readOnlyMaker(): ((dir: string) => () => void) | undefined {
  if (process.getuid?.() !== 0) {
    return (dir) => {
      spawnSync('chmod', ['-R', 'a-w', dir]);
      return () => {
        spawnSync('chmod', ['-R', 'u+w', dir]);
      };
    };
  }
  const probe = tempDir('ralph-ro-probe-');
  const target = join(probe, 'ro');
  mkdirSync(target);
  const bound = spawnSync('mount', ['--bind', probe, target]).status === 0;
  const ro = bound && spawnSync('mount', ['-o', 'remount,bind,ro', target]).status === 0;
  if (bound) spawnSync('umount', [target]);
  if (!ro) return undefined;
  return (dir) => {
    spawnSync('mount', ['--bind', dir, dir]);
    spawnSync('mount', ['-o', 'remount,bind,ro', dir]);
    return () => {
      spawnSync('umount', [dir]);
    };
  };
}
const makeReadOnly = readOnlyMaker();

describe("a push the remote refuses for good is reported at once, with git's reason", () => {
  it('stamp-handoff: a pre-receive hook that refuses is tried once, and its message is shown', async () => {
    const s = await twoClones();
    const hook = refuseEveryPush(s);
    const before = remoteRev(s.remote);
    const r = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/git push origin HEAD:main was refused by the remote \(pre-receive hook declined\): push refused by policy: main is frozen\./);
    expect(r.stderr).toContain('Retrying would not help');
    expect(r.stdout + r.stderr).not.toMatch(/pushed first|attempts/);
    expect(hook.attempts()).toBe(1);
    expect(remoteRev(s.remote)).toBe(before);
    // The stamp is kept locally, to push once the remote accepts it.
    expect(git(s.a, 'log', '--format=%s', 'origin/main..HEAD')).toMatch(/^\[SYNC i=1\] actor=galph → next=ralph status=ok/);
  });

  it('a loop stops before its agent when the remote refuses its running state, and names the reason', async () => {
    const s = await twoClones();
    const hook = refuseEveryPush(s);
    const ran = join(s.root, 'agent-ran');
    const agent = writeAgent(s.agents, 'galph-mark.sh', `touch '${ran}'\necho "FINDINGS: ran"`);
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.a });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/refused by the remote \(pre-receive hook declined\): push refused by policy: main is frozen/);
    expect(r.stdout).not.toContain('push rejected');
    expect(hook.attempts()).toBe(1);
    expect(existsSync(ran)).toBe(false);
    expect(remoteState(s.remote)).toMatchObject({ status: 'idle' });
  });

  it('a lease renewal the remote refuses says so (not "the remote kept moving"), and the turn still hands off once it accepts', async () => {
    const s = await twoClones('ralph');
    const { agent, started, release } = gatedAgent(
      s,
      'ralph-wait',
      `
echo "evidence" > evidence.txt
echo "FINDINGS: waited"`,
    );
    const eng = startWatched(['loop', ...SYNC, '--sync-loops', '1', '--lease-sec', '3', '--agent-cmd', agent], { cwd: s.b }, 45_000);
    try {
      await waitFor('the agent to start', () => existsSync(started), 15_000);
      const hook = refuseEveryPush(s);
      await waitFor('a refused renewal in the output', () => /could not renew the lease/.test(eng.output()), 10_000, 50);
      hook.remove();
      writeFileSync(release, '');
      const r = await eng.done;
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.includes('could not renew the lease'))!;
      expect(line).toMatch(/refused by the remote \(pre-receive hook declined\): push refused by policy: main is frozen/);
      expect(r.stdout).not.toContain('kept moving');
    } finally {
      writeFileSync(release, '');
      eng.child.kill('SIGKILL');
      await eng.done;
    }
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, status: 'complete' });
  });

  it.skipIf(makeReadOnly === undefined)('a read-only remote repository is reported as refused, once (as root: a read-only bind mount)', async () => {
    const s = await twoClones();
    const undo = makeReadOnly!(s.remote);
    try {
      const probe = spawnSync('touch', [join(s.remote, 'probe')]);
      expect(probe.status, 'the remote is not read-only for this process').not.toBe(0);
      const r = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/was refused by the remote \(unpacker error\): remote unpack failed: unable to create temporary object directory/);
      expect(r.stdout + r.stderr).not.toMatch(/pushed first|attempts/);
    } finally {
      undo();
    }
  });
});
