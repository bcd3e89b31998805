// The loops' last iterations as the dashboard lists them (src/loops/recent.ts): real loops on two
// clones of a bare remote hand the turn over twice; the clone that pulled lists each actor's
// summary (result, prompt, finding) with the [SYNC …] commit that handed the turn over after it.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSummary, renderSummary } from '../../src/loops/logs.js';
import { recentIterations } from '../../src/loops/recent.js';
import { FAST, git, startRalph, twoClones } from '../helpers/loops.js';
import { tempDir } from '../helpers/index.js';

describe("the loops' last iterations", () => {
  it('reads back what renderSummary wrote', () => {
    const text = renderSummary({
      actor: 'ralph',
      iteration: 7,
      branch: 'main',
      mode: 'sync',
      prompt: 'main',
      startedAt: new Date('2026-01-02T03:04:05Z'),
      endedAt: new Date('2026-01-02T03:04:17Z'),
      exitCode: 1,
      signal: null,
      timedOut: false,
      ok: false,
      error: 'exit 1\nmore',
      commits: ['abc1234 work'],
      filesChanged: ['a.txt'],
      finding: 'did half of it\nthe rest is blocked',
      log: 'logs/main/ralph/iter-00007.log',
      agent: 'claude (model m), $0.0123',
    });
    expect(parseSummary(text)).toEqual({
      prompt: 'main',
      started: '2026-01-02T03:04:05.000Z',
      duration: '12.0s',
      result: 'fail (exit 1)',
      agent: 'claude (model m), $0.0123',
      finding: 'did half of it\nthe rest is blocked',
    });
    expect(parseSummary('# not a summary')).toEqual({});
    // A finding that holds a field's line does not stand for the field.
    const spoofed = text.replace('did half of it', 'did half of it\n- result: ok');
    expect(parseSummary(spoofed).result).toBe('fail (exit 1)');
  });

  it("lists each actor's iterations, newest first, with the commit that handed the turn over", async () => {
    const s = await twoClones();
    const sup = startRalph(['supervisor', '--sync-via-git', '--branch', 'main', '--sync-loops', '2', ...FAST, '--agent-cmd', `${s.agents}/galph.sh`], {
      cwd: s.a,
    });
    const eng = startRalph(['loop', '--sync-via-git', '--branch', 'main', '--sync-loops', '2', ...FAST, '--agent-cmd', `${s.agents}/ralph.sh`], { cwd: s.b });
    const [a, b] = await Promise.all([sup.done, eng.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // Each machine keeps its own logs; the history (the [SYNC] commits) is on both once pulled.
    git(s.a, 'pull', '--quiet', '--rebase', 'origin', 'main');
    git(s.b, 'pull', '--quiet', '--rebase', 'origin', 'main');
    const [onA, onB] = await Promise.all([s.a, s.b].map((clone) => recentIterations(clone, { logdir: 'logs', branch: 'main', count: 5 })));
    expect(onA!.map((it) => `${it.iteration} ${it.actor}`)).toEqual(['2 galph', '1 galph']);
    expect(onB!.map((it) => `${it.iteration} ${it.actor}`)).toEqual(['2 ralph', '1 ralph']);
    for (const it of [...onA!, ...onB!]) {
      expect(it.result, it.file).toBe('ok');
      expect(it.prompt).toBe(it.actor === 'galph' ? 'supervisor' : 'main');
      expect(it.finding).toBe(it.actor === 'galph' ? `asked for step ${it.iteration}` : `did step ${it.iteration}`);
      expect(it.file).toMatch(new RegExp(`^logs/main/${it.actor}-summaries/iter-0000${it.iteration}_`));
      // The handoff after galph's i names ralph next, at i; ralph's i hands over to galph at i + 1.
      const next =
        it.actor === 'galph'
          ? `[SYNC i=${it.iteration}] actor=galph → next=ralph status=ok`
          : `[SYNC i=${it.iteration + 1}] actor=ralph → next=galph status=ok`;
      expect(it.commit?.subject).toContain(next);
      expect(git(s.a, 'log', '-1', '--format=%s', it.commit!.sha)).toBe(it.commit!.subject);
    }
    // Both actors' summaries in one repository (the two loops on one machine): an iteration's engineer first.
    cpSync(join(s.b, 'logs', 'main', 'ralph-summaries'), join(s.a, 'logs', 'main', 'ralph-summaries'), { recursive: true });
    expect((await recentIterations(s.a, { logdir: 'logs', branch: 'main', count: 1 })).map((it) => `${it.iteration} ${it.actor}`)).toEqual([
      '2 ralph',
      '2 galph',
    ]);
    expect(await recentIterations(tempDir('ralph-no-loops-'), { logdir: 'logs', branch: 'main', count: 5 })).toEqual([]);
  });
});
