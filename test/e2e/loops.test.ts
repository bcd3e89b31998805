import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAST, git, startRalph, twoClones } from '../helpers/loops.js';

const handoffs = (repo: string, ref = 'origin/main') =>
  git(repo, 'log', '--reverse', '--format=%s', ref)
    .split('\n')
    .filter((s) => s.includes('→ next='));

describe('supervisor and loop taking turns through git', () => {
  it('alternate strictly for 3 iterations, with logs, summaries and every change on the remote', async () => {
    const s = await twoClones();
    const sup = startRalph(['supervisor', '--sync-via-git', '--branch', 'main', '--sync-loops', '3', ...FAST, '--agent-cmd', join(s.agents, 'galph.sh')], {
      cwd: s.a,
    });
    const eng = startRalph(['loop', '--sync-via-git', '--branch', 'main', '--sync-loops', '3', ...FAST, '--agent-cmd', join(s.agents, 'ralph.sh')], {
      cwd: s.b,
    });
    const [a, b] = await Promise.all([sup.done, eng.done]);
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(b.code, b.stderr + b.stdout).toBe(0);
    git(s.a, 'fetch', '--quiet', 'origin');
    const subjects = handoffs(s.a).map((x) => x.replace(/ [0-9a-f]{7,}$/, ''));
    expect(subjects).toEqual([
      '[SYNC i=1] actor=galph → next=ralph status=ok',
      '[SYNC i=2] actor=ralph → next=galph status=ok',
      '[SYNC i=2] actor=galph → next=ralph status=ok',
      '[SYNC i=3] actor=ralph → next=galph status=ok',
      '[SYNC i=3] actor=galph → next=ralph status=ok',
      '[SYNC i=4] actor=ralph → next=galph status=ok',
    ]);
    const state = JSON.parse(git(s.a, 'show', 'origin/main:sync/state.json'));
    expect(state).toMatchObject({ iteration: 4, expected_actor: 'galph', status: 'complete' });
    expect(state.ralph_commit).toMatch(/^[0-9a-f]{7,}$/);
    expect(git(s.a, 'show', 'origin/main:input.md')).toContain('galph iteration 3 on main');
    for (const i of [1, 2, 3]) {
      expect(git(s.a, 'show', `origin/main:work/ralph-${i}.txt`)).toBe(`done ${i}`);
      expect(git(s.a, 'show', `origin/main:reports/galph-${i}.md`)).toBe(`report ${i}`);
    }
    const names = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
    const galphLogs = names(join(s.a, 'logs', 'main', 'galph'));
    const ralphLogs = names(join(s.b, 'logs', 'main', 'ralph'));
    expect(galphLogs).toHaveLength(3);
    expect(ralphLogs).toHaveLength(3);
    for (const [i, n] of galphLogs.entries()) expect(n).toMatch(new RegExp(`^iter-0000${i + 1}_\\d{8}_\\d{6}\\.log$`));
    for (const [i, n] of ralphLogs.entries()) expect(n).toMatch(new RegExp(`^iter-0000${i + 1}_\\d{8}_\\d{6}_main\\.log$`));
    const galphSummaries = names(join(s.a, 'logs', 'main', 'galph-summaries'));
    const ralphSummaries = names(join(s.b, 'logs', 'main', 'ralph-summaries'));
    expect(galphSummaries.map((n) => n.replace(/_\d{8}_\d{6}/, ''))).toEqual(['iter-00001-summary.md', 'iter-00002-summary.md', 'iter-00003-summary.md']);
    expect(ralphSummaries).toHaveLength(3);
    const summary = readFileSync(join(s.b, 'logs', 'main', 'ralph-summaries', ralphSummaries[1]!), 'utf8');
    expect(summary).toContain('- actor: ralph');
    expect(summary).toContain('- iteration: 2');
    expect(summary).toContain('ralph: step 2');
    expect(summary).toContain('work/ralph-2.txt');
    expect(summary).toContain('did step 2');
    expect(readFileSync(join(s.b, 'logs', 'main', 'ralph', ralphLogs[0]!), 'utf8')).toContain('FINDINGS: did step 1');
    // logs/ is ignored: never committed.
    expect(git(s.a, 'ls-tree', '-r', '--name-only', 'origin/main')).not.toContain('logs/');
  });
});
