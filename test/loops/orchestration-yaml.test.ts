import { describe, expect, it } from 'vitest';
import { mapOrchestration } from '../../src/loops/orchestration-yaml.js';

describe("the design implementation's orchestration.yaml", () => {
  it('maps each key it knows onto a loop setting, and names those it does not', () => {
    const mapped = mapOrchestration({
      prompts_dir: 'agent-prompts',
      supervisor_prompt: 'plan.md',
      main_prompt: 'work.md',
      reviewer_prompt: 'review.md',
      state_file: 'sync/state.json',
      doc_whitelist: ['docs/**', 'input.md'],
      tracked_output_globs: 'out/**',
      logs_dir: 'run-logs',
      router: { prompt: 'route.md', mode: 'first', allowlist: ['work.md', 'debug.md'], extra: 1 },
      agent: { default: 'claude', roles: { engineer: 'codex' }, prompts: { 'review.md': 'gemini' }, budget: 3 },
      workflow: { name: 'review-cadence', review_every_n: 3 },
      telemetry: true,
    });
    expect(mapped.values).toEqual({
      promptsDir: 'agent-prompts',
      promptFile: 'agent-prompts/plan.md',
      prompt: 'work',
      reviewerPrompt: 'review',
      autocommitWhitelist: 'docs/**,input.md',
      trackedOutputGlobs: 'out/**',
      logdir: 'run-logs',
      routerPrompt: 'agent-prompts/route.md',
      routerMode: 'first',
      routerAllowlist: 'work.md,debug.md',
      agent: 'claude',
      agentRole: { engineer: 'codex' },
      agentPrompt: { 'review.md': 'gemini' },
      workflow: 'review-cadence',
      reviewEvery: 3,
    });
    expect(mapped.unknown).toEqual(['router.extra', 'agent.budget', 'telemetry']);
  });

  it.each([
    [{ state_file: 'state/turn.json' }, "state_file: Ralph keeps the loops' state in sync/state.json, not state/turn.json"],
    [{ workflow: { review_every_n: 0 } }, 'workflow.review_every_n: expected a whole number of at least 1'],
    [{ doc_whitelist: [1] }, 'doc_whitelist: expected a list of strings or one string'],
    [['a'], 'expected a mapping of settings at the top'],
  ])('refuses %j', (doc, message) => {
    expect(() => mapOrchestration(doc)).toThrow(message);
  });

  it('takes an empty file as no settings', () => {
    expect(mapOrchestration(null)).toEqual({ values: {}, unknown: [] });
  });
});
