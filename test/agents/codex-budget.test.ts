// A budget that holds for an agent that reports no cost: `ralph run --agent codex --max-cost-usd`
// with the REAL Codex CLI (pinned, scripts/ensure-codex.mjs) against the local Responses API mock.
// Codex reports tokens only; Ralph estimates each run's cost from them at the model's list price
// (data/prices.json, or "prices" in ralph.config.json) and counts it toward the budget.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, tempDir, writeTasks } from '../helpers/index.js';
import { cleanupCodexHomes, codexBinary, codexEnv, codexSupported } from '../helpers/codex-env.js';
import { startMockResponses } from '../helpers/mock-responses.js';
import type { MockResponses } from '../helpers/mock-responses.js';

// One model turn per task: 100k tokens in (30k of them cache reads, 4k cache writes), 20k out.
const USAGE = { input_tokens: 100_000, cached_tokens: 30_000, cache_write_tokens: 4_000, output_tokens: 20_000, reasoning_tokens: 6_400 };
// At gpt-5-codex's list price ($1.25 in, $0.125 cache reads, $10 out per million tokens; cache writes at
// the input price): $0.29125 a task.
const PER_TASK = (66_000 * 1.25 + 30_000 * 0.125 + 4_000 * 1.25 + 20_000 * 10) / 1e6;

describe.runIf(codexSupported)('--max-cost-usd with the real Codex CLI (no cost reported: estimated from tokens)', () => {
  let bin: string;
  let mock: MockResponses;
  beforeAll(async () => {
    bin = codexBinary();
    mock = await startMockResponses();
    mock.setScript(({ body }) => ({ kind: 'text', text: `FINDINGS: done ${/Task id: (\S+)/.exec(JSON.stringify(body))?.[1] ?? '?'}`, usage: USAGE }));
  }, 15 * 60_000);
  afterAll(async () => {
    await mock?.close();
  });
  afterEach(() => cleanupCodexHomes());

  const run = (dir: string, args: string[], ids = ['a', 'b', 'c', 'd']) => {
    writeTasks(
      dir,
      ids.map((id) => ({ id, type: 'noop' })),
    );
    return ralph(['run', '--tasks', 'tasks.json', '--agent', 'codex', '--agent-bin', bin, '--workers', '1', ...args], { cwd: dir, env: codexEnv(mock.url) });
  };

  it('stops claiming once the estimated costs reach the budget; results and report say they are estimates', async () => {
    const dir = tempDir();
    // Two tasks' worth reaches it: the third is never claimed.
    const r = await run(dir, ['--model', 'gpt-5-codex', '--max-cost-usd', '0.5']);
    expect(r.code, r.stderr).toBe(1);
    const queue = queueOf(dir);
    expect(queue.tasks.map((t: any) => t.status)).toEqual(['completed', 'completed', 'pending', 'pending']);
    expect(queue.run.stopped_by).toBe('budget');
    expect(queue.cost_estimated).toBe(true);
    expect(queue.cost_usd).toBeCloseTo(2 * PER_TASK, 5);
    for (const f of resultsOf(dir).findings) {
      expect(f).toMatchObject({ agent: 'codex', model: 'gpt-5-codex', cost_estimated: true });
      expect(f.cost_usd).toBeCloseTo(PER_TASK, 9);
    }
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain(
      '- Cost: ~$0.58 of a $0.50 budget; tokens: 200000 in, 40000 out, 60000 cache read, 8000 cache write (estimated from tokens at list prices)',
    );
    expect(r.stdout).toContain('Stopped: the budget was reached: ~$0.5825 (estimated in part from tokens) of $0.5 (--max-cost-usd)');
    expect(r.stdout).toContain('Cost: ~$0.58 (estimated from tokens at list prices); tokens: 200000 in, 40000 out, 60000 cache read, 8000 cache write.');
    expect(r.stderr).toContain('no new tasks: recorded cost $0.5825 (estimated in part from tokens) reached --max-cost-usd 0.5');
  }, 60_000);

  it('with the user\'s price from ralph.config.json (passed on to the workers); an unknown model costs "unknown" and does not count', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ralph.config.json'), JSON.stringify({ prices: { 'gpt-5-codex': { input: 10, output: 10 } } }));
    // 100k + 20k tokens at $10 per million: $1.20 a task, over the $1 budget after the first.
    const priced = await run(dir, ['--model', 'gpt-5-codex', '--max-cost-usd', '1']);
    expect(priced.code, priced.stderr).toBe(1);
    expect(queueOf(dir).tasks.map((t: any) => t.status)).toEqual(['completed', 'pending', 'pending', 'pending']);
    expect(resultsOf(dir).findings[0]).toMatchObject({ cost_usd: 1.2, cost_estimated: true });

    const unknown = tempDir();
    const r = await run(unknown, ['--model', 'gpt-private-1', '--max-cost-usd', '0.01'], ['a', 'b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('ralph: --max-cost-usd: codex reports no cost, and model gpt-private-1 is not in the price table');
    expect(queueOf(unknown).tasks.map((t: any) => t.status)).toEqual(['completed', 'completed']);
    expect(queueOf(unknown)).toMatchObject({ cost_unknown: 2 });
    expect(queueOf(unknown).cost_usd ?? 0).toBe(0);
    const report = readFileSync(join(unknown, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).not.toContain('$0.00');
    expect(report).toContain(
      '- Cost: unknown of a $0.01 budget; tokens: 200000 in, 40000 out, 60000 cache read, 8000 cache write (not counted toward --max-cost-usd: model `gpt-private-1` not in the price table (add it under "prices" in ralph.config.json))',
    );
    expect(report.match(/not in the price table/g)).toHaveLength(1);
  }, 60_000);
});
