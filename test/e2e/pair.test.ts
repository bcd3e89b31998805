// `ralph pair` (issue 18): the supervisor and the engineer in one process, taking turns as
// sync/state.json says, with the same state, logs, summaries, auto-commits and [SYNC …] handoff
// commits as the two-process mode (so tail-logs reads its history); each role its own agent;
// --no-git commits nothing, --commit-dry-run says what it would commit, --sync-via-git pushes each
// handoff. Real git repositories (a bare one as the remote), fake agents.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_CLAUDE } from '../helpers/fake-claude.js';
import { git, remoteRev, runRalph, twoClones, writeAgent } from '../helpers/loops.js';

const FAST = ['--poll-interval', '0.2', '--grace', '1'];
const handoffs = (repo: string, ref = 'HEAD') =>
  git(repo, 'log', '--format=%s', ref)
    .split('\n')
    .filter((s) => s.startsWith('[SYNC') && !s.includes('status=running'))
    .map((s) => s.replace(/ [0-9a-f]{7,}$/, ''))
    .reverse();

describe('ralph pair', () => {
  it('runs supervisor, engineer, supervisor, engineer in one process, each with its own agent, committing as the two-process mode does', async () => {
    const s = await twoClones();
    const run = await runRalph(
      ['pair', '--sync-loops', '4', ...FAST, '--supervisor-cmd', join(s.agents, 'galph.sh'), '--engineer-cmd', join(s.agents, 'ralph.sh')],
      {
        cwd: s.a,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ralph pair: 4 turn(s) done');
    expect(handoffs(s.a)).toEqual([
      '[SYNC i=1] actor=galph → next=ralph status=ok',
      '[SYNC i=2] actor=ralph → next=galph status=ok',
      '[SYNC i=2] actor=galph → next=ralph status=ok',
      '[SYNC i=3] actor=ralph → next=galph status=ok',
    ]);
    // Each role ran its own agent: the supervisor wrote input.md (auto-committed as a doc), the engineer committed its work.
    expect(git(s.a, 'show', 'HEAD:input.md').endsWith('galph iteration 1 on main\ngalph iteration 2 on main')).toBe(true);
    expect(git(s.a, 'show', 'HEAD:work/ralph-2.txt')).toBe('done 2');
    expect(JSON.parse(readFileSync(join(s.a, 'sync', 'state.json'), 'utf8'))).toMatchObject({
      iteration: 3,
      expected_actor: 'galph',
      status: 'complete',
      holder: null,
    });
    expect(git(s.a, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    // Logs and summaries where the two-process mode puts them; tail-logs reads them with their handoffs.
    const tail = await runRalph(['tail-logs', 'main', '--source', 'summaries', '--count', '2', '--no-ls'], { cwd: s.a });
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toContain('[SYNC i=3] actor=ralph → next=galph status=ok');
    expect(tail.stdout).toContain('did step 2');
    // Nothing was pushed: without --sync-via-git the pair works in this clone alone.
    expect(handoffs(s.a, 'origin/main')).toEqual([]);
  });

  it('--sync-via-git pushes each handoff, so another machine can take a role over', async () => {
    const s = await twoClones();
    const run = await runRalph(
      [
        'pair',
        '--sync-via-git',
        '--branch',
        'main',
        '--sync-loops',
        '2',
        ...FAST,
        '--supervisor-cmd',
        join(s.agents, 'galph.sh'),
        '--engineer-cmd',
        join(s.agents, 'ralph.sh'),
      ],
      { cwd: s.a },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(handoffs(s.remote, 'main')).toEqual(['[SYNC i=1] actor=galph → next=ralph status=ok', '[SYNC i=2] actor=ralph → next=galph status=ok']);
    expect(remoteRev(s.remote)).toBe(git(s.a, 'rev-parse', 'HEAD'));
    // The supervisor's role is taken over on machine B.
    const sup = await runRalph(['supervisor', '--sync-via-git', '--branch', 'main', '--sync-loops', '1', ...FAST, '--agent-cmd', join(s.agents, 'galph.sh')], {
      cwd: s.b,
    });
    expect(sup.code, sup.stderr).toBe(0);
    expect(handoffs(s.remote, 'main').at(-1)).toBe('[SYNC i=2] actor=galph → next=ralph status=ok');
  });

  it('--no-git commits nothing; --commit-dry-run says what it would commit', async () => {
    for (const flag of ['--no-git', '--commit-dry-run']) {
      const s = await twoClones();
      const head = git(s.a, 'rev-parse', 'HEAD');
      const run = await runRalph(
        ['pair', flag, '--sync-loops', '2', ...FAST, '--supervisor-cmd', join(s.agents, 'galph.sh'), '--engineer-cmd', join(s.agents, 'ralph.sh')],
        {
          cwd: s.a,
        },
      );
      expect(run.code, `${flag}: ${run.stderr}`).toBe(0);
      // The engineer's agent commits its own work; nothing else is committed: no auto-commit, no handoff.
      expect(handoffs(s.a)).toEqual([]);
      expect(git(s.a, 'log', '--format=%s', `${head}..HEAD`)).toBe('ralph: step 1');
      expect(JSON.parse(readFileSync(join(s.a, 'sync', 'state.json'), 'utf8'))).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete' });
      expect(readFileSync(join(s.a, 'input.md'), 'utf8').endsWith('\ngalph iteration 1 on main\n')).toBe(true);
      expect(git(s.a, 'status', '--porcelain')).toMatch(/^ ?M input\.md$/m);
      expect(existsSync(join(s.a, 'logs', 'main', 'ralph-summaries'))).toBe(true);
      if (flag === '--commit-dry-run') {
        expect(run.stdout).toContain('ralph galph: would auto-commit docs (--commit-dry-run): input.md');
        expect(run.stdout).toContain('ralph ralph: would commit sync/state.json (--commit-dry-run): [SYNC i=2] actor=ralph → next=galph status=ok');
      } else expect(run.stdout).not.toContain('would commit');
    }
  });

  it('--workflow review-cadence: every second iteration both steps run prompts/reviewer.md, and sync/state.json says the next step', async () => {
    const s = await twoClones();
    writeFileSync(join(s.a, 'prompts', 'reviewer.md'), 'Review the last two iterations.\n');
    git(s.a, 'add', 'prompts/reviewer.md');
    git(s.a, 'commit', '--quiet', '-m', 'reviewer prompt');
    // Each agent records which prompt it was given (RALPH_PROMPT_NAME) and its first line.
    const agent = writeAgent(
      s.agents,
      'any.sh',
      'echo "$RALPH_ACTOR $RALPH_ITERATION $RALPH_PROMPT_NAME $(head -n 1)" >> ../steps.txt\necho "FINDINGS: $RALPH_PROMPT_NAME"',
    );
    const run = await runRalph(['pair', '--workflow', 'review-cadence', '--review-every', '2', '--sync-loops', '6', ...FAST, '--agent-cmd', agent], {
      cwd: s.a,
    });
    expect(run.code, run.stderr).toBe(0);
    const steps = readFileSync(join(s.root, 'steps.txt'), 'utf8').trim().split('\n');
    expect(steps.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([
      'galph 1 supervisor',
      'ralph 1 main',
      'galph 2 reviewer',
      'ralph 2 reviewer',
      'galph 3 supervisor',
      'ralph 3 main',
    ]);
    expect(steps[2]).toBe('galph 2 reviewer Review the last two iterations.');
    // The state keeps what older readers read, and says the workflow and what comes next: a review at 4.
    const state = JSON.parse(readFileSync(join(s.a, 'sync', 'state.json'), 'utf8'));
    expect(state).toMatchObject({ iteration: 4, expected_actor: 'galph', status: 'complete' });
    expect(state).toMatchObject({ workflow_name: 'review-cadence', step_index: 6, expected_step: 'reviewer', last_prompt: 'main' });
    // The logs name the prompt each engineer turn ran.
    expect(readdirSync(join(s.a, 'logs', 'main', 'ralph')).map((n) => n.replace(/_\d{8}_\d{6}/, ''))).toEqual([
      'iter-00001_main.log',
      'iter-00002_reviewer.log',
      'iter-00003_main.log',
    ]);
  });

  it('says when the agent has been quiet for a while, and --tolerate-doc-dirty hands off over a dirty file', async () => {
    const s = await twoClones();
    // The engineer thinks silently for 2.5 s, then leaves app.js changed (no policy commits it).
    writeFileSync(join(s.a, 'app.js'), 'let a = 1;\n');
    git(s.a, 'add', 'app.js');
    git(s.a, 'commit', '--quiet', '-m', 'app');
    const engineer = writeAgent(s.agents, 'quiet.sh', 'sleep 2.5\necho "let b = 2;" >> app.js\necho "FINDINGS: edited"');
    const args = [
      'pair',
      '--sync-loops',
      '2',
      ...FAST,
      '--supervisor-cmd',
      join(s.agents, 'galph.sh'),
      '--engineer-cmd',
      engineer,
      '--prompt-heartbeat-secs',
      '1',
    ];
    const refused = await runRalph(args, { cwd: s.a });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('ralph ralph: handoff aborted: dirty tracked file(s) outside every auto-commit policy: app.js');
    expect(refused.stdout).toMatch(/ralph ralph: the agent is still working, quiet for [12]s\n/);
    const log = readdirSync(join(s.a, 'logs', 'main', 'ralph'))[0]!;
    expect(readFileSync(join(s.a, 'logs', 'main', 'ralph', log), 'utf8')).toContain('the agent is still working, quiet for');
    // Again, tolerating it: the turn is resumed and handed off, the file reported and left as it is.
    const tolerated = await runRalph([...args, '--tolerate-doc-dirty'], { cwd: s.a });
    expect(tolerated.code, tolerated.stderr).toBe(0);
    expect(tolerated.stdout).toContain('handed off all the same (--tolerate-doc-dirty): app.js');
    expect(handoffs(s.a)).toContain('[SYNC i=2] actor=ralph → next=galph status=ok');
    expect(git(s.a, 'status', '--porcelain')).toMatch(/^ ?M app\.js$/m);
  });

  it('runs the agent the config file gives a role and the one the command line gives a prompt (claude, a stand-in)', async () => {
    const s = await twoClones();
    writeFileSync(join(s.a, 'prompts', 'reviewer.md'), 'Review.\n');
    writeFileSync(join(s.a, 'ralph.config.json'), JSON.stringify({ agentRole: { engineer: 'claude' } }));
    git(s.a, 'add', '-A');
    git(s.a, 'commit', '--quiet', '-m', 'reviewer prompt, config');
    const claude = writeAgent(s.agents, 'claude', FAKE_CLAUDE);
    const rec = join(s.root, 'claude-runs');
    const plain = writeAgent(s.agents, 'plain.sh', 'echo "$RALPH_ACTOR-$RALPH_ITERATION $RALPH_PROMPT_NAME" >> ../plain-runs\necho "FINDINGS: plain"');
    const run = await runRalph(
      ['pair', '--workflow', 'review-cadence', '--sync-loops', '4', ...FAST, '--agent-cmd', plain, '--agent-prompt', 'reviewer.md=claude'],
      {
        cwd: s.a,
        env: { RALPH_CLAUDE_BIN: claude, REC: rec, MODE: 'ok', COST: '0' },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    // The supervisor's own turn ran the plain command; the engineer's turns and every review ran claude.
    expect(readFileSync(join(s.root, 'plain-runs'), 'utf8')).toBe('galph-1 supervisor\n');
    expect(readFileSync(rec, 'utf8')).toBe('ralph-1\ngalph-2\nralph-2\n');
  });

  it('asks the router before each turn for the prompt, and refuses an answer off the allowlist with the state unchanged', async () => {
    const s = await twoClones();
    writeFileSync(join(s.a, 'prompts', 'router.md'), 'Pick the next prompt.\n');
    writeFileSync(join(s.a, 'prompts', 'debug.md'), 'Debug it.\n');
    git(s.a, 'add', '-A');
    git(s.a, 'commit', '--quiet', '-m', 'router and debug prompts');
    // As the router, it names debug for the engineer and nothing for the supervisor (then ${'$'}ROUTE if set).
    const agent = writeAgent(
      s.agents,
      'routed.sh',
      String.raw`if [ "$RALPH_PROMPT_NAME" = router ]; then
  if [ -n "$ROUTE" ]; then echo "$ROUTE"; elif [ "$RALPH_ACTOR" = ralph ]; then echo "thinking"; echo "debug.md"; fi
  exit 0
fi
echo "$RALPH_ACTOR-$RALPH_ITERATION $RALPH_PROMPT_NAME $(head -n 1)" >> ../routed-runs
echo "FINDINGS: done"`,
    );
    const args = [
      'pair',
      '--sync-loops',
      '2',
      ...FAST,
      '--agent-cmd',
      agent,
      '--router-prompt',
      'prompts/router.md',
      '--router-allowlist',
      'main.md,debug.md,supervisor',
    ];
    const run = await runRalph(args, { cwd: s.a });
    expect(run.code, run.stderr).toBe(0);
    const runs = readFileSync(join(s.root, 'routed-runs'), 'utf8').trim().split('\n');
    expect(runs.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['galph-1 supervisor', 'ralph-1 debug']);
    expect(runs[1]).toBe('ralph-1 debug Debug it.');
    expect(run.stdout).toContain('ralph ralph: the router chose debug');
    expect(JSON.parse(readFileSync(join(s.a, 'sync', 'state.json'), 'utf8'))).toMatchObject({ iteration: 2, last_prompt: 'debug' });
    // A prompt not on the allowlist: the turn does not start, and nothing is committed.
    const head = git(s.a, 'rev-parse', 'HEAD');
    const refused = await runRalph(args, { cwd: s.a, env: { ROUTE: 'main-but-bigger.md' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'the router named main-but-bigger, which is not on --router-allowlist (main, debug, supervisor); the turn did not start and sync/state.json is unchanged.',
    );
    expect(git(s.a, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(s.a, 'status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it("takes the design implementation's orchestration.yaml (found upward; flags win; unknown keys said)", async () => {
    const s = await twoClones();
    mkdirSync(join(s.a, 'agent-prompts'));
    writeFileSync(join(s.a, 'agent-prompts', 'plan.md'), 'Plan the next step.\n');
    writeFileSync(join(s.a, 'agent-prompts', 'work.md'), 'Do the next step.\n');
    writeFileSync(join(s.a, 'agent-prompts', 'review.md'), 'Review.\n');
    // In the directory above the repository: found by searching upward.
    writeFileSync(
      join(s.root, 'orchestration.yaml'),
      [
        'prompts_dir: agent-prompts',
        'supervisor_prompt: plan.md',
        'main_prompt: work.md',
        'reviewer_prompt: review.md',
        'logs_dir: run-logs',
        'workflow:',
        '  name: review-cadence',
        '  review_every_n: 2',
        'telemetry: on',
        '',
      ].join('\n'),
    );
    git(s.a, 'add', '-A');
    git(s.a, 'commit', '--quiet', '-m', 'prompts');
    const agent = writeAgent(s.agents, 'yaml.sh', 'echo "$RALPH_ACTOR-$RALPH_ITERATION $RALPH_PROMPT_NAME $(head -n 1)" >> ../yaml-runs\necho "FINDINGS: ok"');
    const run = await runRalph(['pair', '--sync-loops', '4', ...FAST, '--agent-cmd', agent], { cwd: s.a });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('orchestration.yaml: not used (unknown here): telemetry');
    expect(readFileSync(join(s.root, 'yaml-runs'), 'utf8')).toBe(
      'galph-1 supervisor Plan the next step.\nralph-1 work Do the next step.\ngalph-2 review Review.\nralph-2 review Review.\n',
    );
    expect(readdirSync(join(s.a, 'run-logs', 'main', 'ralph')).map((n) => n.replace(/_\d{8}_\d{6}/, ''))).toEqual([
      'iter-00001_work.log',
      'iter-00002_review.log',
    ]);
    // A flag wins over the file.
    const flagged = await runRalph(['pair', '--sync-loops', '1', ...FAST, '--agent-cmd', agent, '--logdir', 'other-logs'], { cwd: s.a });
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(readdirSync(join(s.a, 'other-logs', 'main'))).toEqual(['galph', 'galph-summaries']);
  });

  it('refuses --no-git with --sync-via-git, in one line', async () => {
    const s = await twoClones();
    const run = await runRalph(['pair', '--no-git', '--sync-via-git', '--branch', 'main', '--agent-cmd', 'true'], { cwd: s.a });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('ralph: --no-git commits nothing: it cannot --sync-via-git.');
  });
});
