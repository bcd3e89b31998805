import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/index.js';
import { FAST, cloneAs, gatedAgent, git, handoffSubjects, pushState, ralphWithin, remoteState, startWatched, twoClones, writeAgent } from '../helpers/loops.js';
import type { Setup } from '../helpers/loops.js';

const SYNC = ['--sync-via-git', '--branch', 'main', ...FAST, '--max-wait-sec', '20'];
const sha = / [0-9a-f]{7,}$/;

/** An engineer whose agent works until `release` exists (at most 30 s), then commits its step. */
const slowAgent = (s: Setup) =>
  gatedAgent(
    s,
    'ralph-slow',
    `
mkdir -p work && echo "done $RALPH_ITERATION" > "work/ralph-$RALPH_ITERATION.txt"
git add work && git commit --quiet -m "ralph: step $RALPH_ITERATION"
echo "FINDINGS: did step $RALPH_ITERATION"`,
  );

/** An agent that only leaves a mark that it ran. */
function markingAgent(s: Setup, name: string): { agent: string; ran: string } {
  const ran = join(s.root, `${name}-ran`);
  return { agent: writeAgent(s.agents, `${name}.sh`, `touch '${ran}'\necho "FINDINGS: ${name} ran"`), ran };
}

/** Starts the first engineer in B and waits until its agent runs in its pushed running-ralph turn. */
async function firstEngineer(s: Setup, leaseSec = 30) {
  const slow = slowAgent(s);
  const first = startWatched(['loop', ...SYNC, '--sync-loops', '1', '--lease-sec', String(leaseSec), '--agent-cmd', slow.agent], { cwd: s.b }, 45_000);
  await waitFor('the first agent to start', () => existsSync(slow.started), 15_000);
  await waitFor('running-ralph on the remote', () => remoteState(s.remote).status === 'running-ralph', 10_000, 100);
  return { ...slow, first };
}

const foreignHolder = (leaseMs: number) => {
  const now = Date.now();
  return {
    iteration: 1,
    expected_actor: 'ralph',
    status: 'running-ralph',
    last_update: new Date(now - 60_000).toISOString(),
    lease_expires_at: new Date(now + leaseMs).toISOString(),
    galph_commit: null,
    ralph_commit: null,
    holder: { host: 'other-machine.example', pid: 4242, token: 'the-other-machines-token', since: new Date(now - 60_000).toISOString() },
  };
};

describe('one turn, one holder: sync/state.json names who runs it', () => {
  it('a second engineer in another clone refuses (exit 2, naming the holder) while the first one runs its turn, and runs no agent', async () => {
    const s = await twoClones('ralph');
    const c = cloneAs(s, 'c', 'ralph-2');
    const { first, release } = await firstEngineer(s);
    try {
      const second = markingAgent(s, 'second');
      const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', second.agent], { cwd: c });
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(`pid ${first.child.pid} on host ${hostname()} (this host)`);
      expect(r.stderr).toMatch(/ralph's turn \(iteration 1\) is held by another `ralph loop`: pid \d+ on host .* since \d{4}-\d\d-\d\dT[\d:.]+Z/);
      expect(r.stderr).toMatch(/Wait for it to hand off, or stop it/);
      expect(r.stdout).not.toContain('resuming my own turn');
      expect(existsSync(second.ran), "the second engineer ran an agent in the first one's turn").toBe(false);
      writeFileSync(release, '');
      const a = await first.done;
      expect(a.code, a.stdout + a.stderr).toBe(0);
    } finally {
      writeFileSync(release, '');
      first.child.kill('SIGKILL');
      await first.done;
    }
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete', holder: null });
    expect(handoffSubjects(s.remote).map((x) => x.replace(sha, ''))).toEqual(['[SYNC i=2] actor=ralph → next=galph status=ok']);
  });

  it('a second engineer in the same clone refuses (exit 2) naming the running one', async () => {
    const s = await twoClones('ralph');
    const { first, release } = await firstEngineer(s);
    try {
      const second = markingAgent(s, 'second');
      const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', second.agent], { cwd: s.b });
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(`pid ${first.child.pid}`);
      expect(existsSync(second.ran)).toBe(false);
      writeFileSync(release, '');
      expect((await first.done).code).toBe(0);
    } finally {
      writeFileSync(release, '');
      first.child.kill('SIGKILL');
      await first.done;
    }
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, status: 'complete' });
  });

  it('a turn held on another host with a live lease is refused, naming that host, its pid and its lease', async () => {
    const s = await twoClones('ralph');
    const state = foreignHolder(120_000);
    pushState(s.a, state, '[SYNC i=1] actor=ralph status=running lease=x');
    const mine = markingAgent(s, 'mine');
    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', mine.agent], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`pid 4242 on host other-machine.example, since ${state.holder.since}; its lease runs until ${state.lease_expires_at}`);
    expect(r.stderr).toContain('`ralph stamp-handoff ralph fail`');
    expect(existsSync(mine.ran)).toBe(false);
    expect(remoteState(s.remote)).toEqual(state);
  });

  it('a turn held on another host whose lease lapsed is taken over, and fenced: the old holder can no longer hand it off', async () => {
    const s = await twoClones('ralph');
    pushState(s.a, foreignHolder(-1_000), '[SYNC i=1] actor=ralph status=running lease=x');
    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'ralph.sh')], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ralph ralph: taking over ralph's turn of iteration 1 from pid 4242 on host other-machine\.example, whose lease expired at /);
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete', holder: null });
  });

  it('an engineer whose turn was taken over meanwhile does not stamp over the new holder', async () => {
    const s = await twoClones('ralph');
    const { first, release } = await firstEngineer(s);
    try {
      // Another machine takes the turn over (as after a lapsed lease), while the first agent still works.
      pushState(s.a, foreignHolder(120_000), '[SYNC i=1] actor=ralph status=running lease=x');
      writeFileSync(release, '');
      const a = await first.done;
      expect(a.code, a.stdout + a.stderr).toBe(1);
      expect(a.stderr).toMatch(
        /not stamping the handoff: the remote sync\/state\.json changed during my turn \(now: .*held by pid 4242 on host other-machine\.example/,
      );
    } finally {
      writeFileSync(release, '');
      first.child.kill('SIGKILL');
      await first.done;
    }
    expect(remoteState(s.remote)).toMatchObject({ status: 'running-ralph', holder: { host: 'other-machine.example', pid: 4242 } });
    expect(handoffSubjects(s.remote)).toEqual([]);
  });

  it('an engineer whose turn is taken over while its agent works stops the agent at its next renewal (exit 1), publishing nothing', async () => {
    const s = await twoClones('ralph');
    const { first, release, finished } = await firstEngineer(s, 3);
    try {
      pushState(s.a, foreignHolder(120_000), '[SYNC i=1] actor=ralph status=running lease=x');
      // The agent is never released: only the loop can end it.
      const a = await first.done;
      expect(a.code, a.stdout + a.stderr).toBe(1);
      expect(a.stdout).toMatch(/ralph ralph: my turn is no longer mine: .*held by pid 4242 on host other-machine\.example.*; stopping the agent/);
      expect(a.stderr).toMatch(/my turn was taken from me while the agent worked: .*I stopped the agent/);
      expect(existsSync(finished), 'the agent worked on to the end of a turn that was no longer its own').toBe(false);
    } finally {
      writeFileSync(release, '');
      first.child.kill('SIGKILL');
      await first.done;
    }
    expect(remoteState(s.remote)).toMatchObject({ status: 'running-ralph', holder: { host: 'other-machine.example' } });
    expect(handoffSubjects(s.remote)).toEqual([]);
  });

  it('two engineers in one clone, both waiting for the handoff: exactly one takes the turn, the other refuses (exit 2)', async () => {
    const s = await twoClones('galph');
    const one = markingAgent(s, 'one');
    const two = markingAgent(s, 'two');
    const loops = [one, two].map((m) => startWatched(['loop', ...SYNC, '--verbose', '--sync-loops', '1', '--agent-cmd', m.agent], { cwd: s.b }));
    await waitFor('both engineers to wait for galph', () => loops.every((l) => l.output().includes('waiting for galph')), 15_000, 50);
    const stamp = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
    expect(stamp.code, stamp.stderr).toBe(0);
    const results = await Promise.all(loops.map((l) => l.done));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stdout + r.stderr).join('\n---\n')).toEqual([0, 2]);
    expect([one, two].filter((m) => existsSync(m.ran))).toHaveLength(1);
    expect(results.find((r) => r.code === 2)!.stderr).toMatch(/ralph's turn \(iteration 1\) is held by another `ralph loop`|another `ralph loop` \(pid \d+/);
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete' });
    expect(handoffSubjects(s.remote).map((x) => x.replace(sha, ''))).toEqual([
      '[SYNC i=1] actor=galph → next=ralph status=ok',
      '[SYNC i=2] actor=ralph → next=galph status=ok',
    ]);
  });

  it('an engineer that loses the race for the turn to another host refuses (exit 2) and takes its own running commit back', async () => {
    const s = await twoClones('ralph');
    // Right before B's push of its running state, another machine takes the turn (a pre-push hook in B, once).
    const marker = join(s.root, 'raced');
    const theirs = join(s.root, 'their-state.json');
    writeFileSync(theirs, `${JSON.stringify(foreignHolder(120_000), null, 2)}\n`);
    writeAgent(
      join(s.b, '.git', 'hooks'),
      'pre-push',
      `
[ -e '${marker}' ] && exit 0
touch '${marker}'
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
cd '${s.a}'
git pull --quiet --rebase origin main
cp '${theirs}' sync/state.json
git commit --quiet -m "[SYNC i=1] actor=ralph status=running lease=x" -- sync/state.json
git push --quiet origin HEAD:main`,
    );
    const mine = markingAgent(s, 'mine');
    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', mine.agent], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('is held by another `ralph loop`: pid 4242 on host other-machine.example');
    expect(existsSync(mine.ran)).toBe(false);
    expect(remoteState(s.remote)).toMatchObject({ holder: { host: 'other-machine.example' } });
    // Nothing of mine is left to publish: a restart does not push a stale running state over theirs.
    git(s.b, 'fetch', '--quiet', 'origin');
    expect(git(s.b, 'log', '--format=%s', 'origin/main..HEAD')).toBe('');
    expect(git(s.b, 'status', '--porcelain')).toBe('');
    const again = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', mine.agent], { cwd: s.b });
    expect(again.code, again.stdout + again.stderr).toBe(2);
    expect(again.stdout).not.toContain('unpushed');
    expect(JSON.parse(readFileSync(join(s.b, 'sync', 'state.json'), 'utf8'))).toMatchObject({ holder: { host: 'other-machine.example' } });
  });
});
