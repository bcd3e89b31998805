import { describe, expect, it } from 'vitest';
import { initialState } from '../../src/loops/sync-state.js';
import { annotate, stepIndex, stepPrompt } from '../../src/loops/workflow.js';

const own = { galph: 'supervisor', ralph: 'debug' } as const;

describe('the loops workflows', () => {
  it.each([
    [{ name: 'standard', reviewEvery: 2 }, ['supervisor', 'debug', 'supervisor', 'debug', 'supervisor', 'debug']],
    [{ name: 'review-cadence', reviewEvery: 2 }, ['supervisor', 'debug', 'reviewer', 'reviewer', 'supervisor', 'debug']],
    [{ name: 'review-cadence', reviewEvery: 3 }, ['supervisor', 'debug', 'supervisor', 'debug', 'reviewer', 'reviewer']],
    [{ name: 'review-cadence', reviewEvery: 1 }, ['reviewer', 'reviewer', 'reviewer', 'reviewer', 'reviewer', 'reviewer']],
  ] as const)('%j runs %j over three iterations', (workflow, prompts) => {
    const steps = [1, 2, 3].flatMap((i) => [stepPrompt(workflow, 'galph', i, own), stepPrompt(workflow, 'ralph', i, own)]);
    expect(steps).toEqual(prompts);
  });

  it('numbers the steps galph, ralph, galph, … from 0', () => {
    expect([stepIndex('galph', 1), stepIndex('ralph', 1), stepIndex('galph', 2), stepIndex('ralph', 7)]).toEqual([0, 1, 2, 13]);
  });

  it('adds the workflow, the next step and the prompt just run to a state, keeping the rest', () => {
    const state = { ...initialState('ralph', new Date('2026-01-01T00:00:00Z')), iteration: 2 };
    expect(annotate(state, { name: 'review-cadence', reviewEvery: 2 }, own, 'supervisor')).toEqual({
      ...state,
      workflow_name: 'review-cadence',
      step_index: 3,
      expected_step: 'reviewer',
      last_prompt: 'supervisor',
    });
  });
});
