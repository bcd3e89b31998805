import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/index.js';
import { FAST, gatedAgent, git, handoffSubjects, ralphWithin, remoteState, startWatched, twoClones } from '../helpers/loops.js';

const SYNC = ['--sync-via-git', '--branch', 'main', ...FAST, '--max-wait-sec', '20'];
const CORRUPT = '{"iteration": 1, "expected_actor": "ra';

/** The command between backticks in `message` that starts with `ralph stamp-handoff`, as arguments after `ralph`. */
function advisedCommand(message: string): string[] {
  const m = /`ralph (stamp-handoff[^`]*)`/.exec(message);
  expect(m, `no \`ralph stamp-handoff …\` advice in: ${message}`).not.toBe(null);
  return m![1]!.trim().split(/\s+/);
}

/** Commits a corrupt sync/state.json in `clone` (and pushes it unless told not to). */
function corrupt(clone: string, push = true): void {
  writeFileSync(join(clone, 'sync', 'state.json'), CORRUPT);
  git(clone, 'commit', '--quiet', '-m', 'a bad hand edit', '--', 'sync/state.json');
  if (push) git(clone, 'push', '--quiet', 'origin', 'HEAD:main');
}

describe('a corrupt sync/state.json: the advice given is a command that repairs it', () => {
  it('a loop refuses a corrupt state (exit 2); the advised command restores its last valid version, keeping the bad one; the loop then proceeds', async () => {
    const s = await twoClones('ralph');
    corrupt(s.a);
    const refused = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'ralph.sh')], { cwd: s.b });
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/sync\/state\.json is not a valid sync state \(not JSON/);

    const args = advisedCommand(refused.stderr);
    const repair = await ralphWithin(args, { cwd: s.b });
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    const kept = /kept in (\S+\.json)/.exec(repair.stdout)?.[1];
    expect(kept, repair.stdout).toBeDefined();
    expect(readFileSync(kept!, 'utf8')).toBe(CORRUPT);
    expect(remoteState(s.remote)).toMatchObject({ iteration: 1, expected_actor: 'ralph', status: 'idle' });
    expect(git(s.remote, 'log', '-1', '--format=%s', 'main')).toMatch(/^\[SYNC i=1\] repair: sync\/state\.json restored from [0-9a-f]{7,}/);

    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'ralph.sh')], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete' });
    expect(handoffSubjects(s.remote)).toHaveLength(1);
  });

  it('a state corrupted on the remote during my turn: the handoff is refused with the advice, which restores my running turn; a rerun resumes it', async () => {
    const s = await twoClones('ralph');
    const { agent, started, release } = gatedAgent(
      s,
      'ralph-once',
      `
echo "run" >> work.txt
git add work.txt && git commit --quiet -m "ralph: work"
echo "FINDINGS: worked"`,
    );
    const first = startWatched(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.b });
    try {
      await waitFor('the agent to start', () => existsSync(started), 15_000);
      await waitFor('running-ralph on the remote', () => remoteState(s.remote).status === 'running-ralph', 10_000, 100);
      git(s.a, 'pull', '--quiet', '--rebase', 'origin', 'main');
      corrupt(s.a);
      writeFileSync(release, '');
      const r = await first.done;
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/the remote sync\/state\.json is not a valid sync state/);
      const repair = await ralphWithin(advisedCommand(r.stderr), { cwd: s.b });
      expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    } finally {
      writeFileSync(release, '');
      first.child.kill('SIGKILL');
      await first.done;
    }
    expect(remoteState(s.remote)).toMatchObject({ iteration: 1, status: 'running-ralph' });
    const again = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.b });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('resuming my own turn of iteration 1');
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete' });
    expect(git(s.remote, 'show', 'main:work.txt')).toBe('run\nrun');
  });

  it('stamp-handoff refuses a corrupt state with advice that works, and then stamps', async () => {
    const s = await twoClones('galph');
    corrupt(s.a, false);
    const refused = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    const repair = await ralphWithin(advisedCommand(refused.stderr), { cwd: s.a });
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    const stamp = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
    expect(stamp.code, stamp.stdout + stamp.stderr).toBe(0);
    expect(remoteState(s.remote)).toMatchObject({ iteration: 1, expected_actor: 'ralph', status: 'waiting-ralph' });
  });

  it('an uncommitted bad edit is kept aside and the committed state checked out; nothing is committed', async () => {
    const s = await twoClones('galph');
    writeFileSync(join(s.b, 'sync', 'state.json'), 'not json at all');
    const head = git(s.b, 'rev-parse', 'HEAD');
    const repair = await ralphWithin(['stamp-handoff', '--repair'], { cwd: s.b });
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/is valid as committed .*nothing to commit/);
    const kept = /kept in (\S+\.json)/.exec(repair.stdout)![1]!;
    expect(readFileSync(kept, 'utf8')).toBe('not json at all');
    expect(git(s.b, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(s.b, 'status', '--porcelain')).toBe('');
  });

  it('--repair with a valid state changes nothing; actor and result are required without it', async () => {
    const s = await twoClones();
    const head = git(s.a, 'rev-parse', 'HEAD');
    const r = await ralphWithin(['stamp-handoff', '--repair'], { cwd: s.a });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sync\/state\.json is valid as committed/);
    expect(git(s.a, 'rev-parse', 'HEAD')).toBe(head);
    const bare = await ralphWithin(['stamp-handoff'], { cwd: s.a });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/needs <actor> and <result>.*or --repair/);
    const both = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--repair'], { cwd: s.a });
    expect(both.code).toBe(2);
  });
});
