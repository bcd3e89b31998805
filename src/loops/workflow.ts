import { join } from 'node:path';
import type { Actor, SyncState } from './sync-state.js';

/**
 * The loops' workflows: `standard` (the supervisor's prompt, then the engineer's, each iteration)
 * and `review-cadence` (every N-th iteration both steps run the reviewer's prompt instead: with N = 2,
 * supervisor, main, reviewer, reviewer, supervisor, main, …). Pure.
 */
export const WORKFLOWS = ['standard', 'review-cadence'] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

export interface Workflow {
  name: WorkflowName;
  /** review-cadence: every this many iterations (at least 1). */
  reviewEvery: number;
  /** The reviewer's prompt name (default `reviewer`: prompts/reviewer.md). */
  reviewer?: string;
}

export const REVIEWER_PROMPT = 'reviewer';

/** The prompt name of `actor`'s turn at `iteration`: its own (`own`), or the reviewer's on a review iteration. */
export function stepPrompt(workflow: Workflow, actor: Actor, iteration: number, own: Record<Actor, string>): string {
  return workflow.name === 'review-cadence' && iteration % workflow.reviewEvery === 0 ? (workflow.reviewer ?? REVIEWER_PROMPT) : own[actor];
}

/** The 0-based place of `actor`'s turn at `iteration` in the sequence (galph, ralph, galph, …). */
export function stepIndex(actor: Actor, iteration: number): number {
  return Math.max(0, (iteration - 1) * 2 + (actor === 'ralph' ? 1 : 0));
}

/** `state` with what the workflow expects next: its name, the next step's place and prompt (`last_prompt`: the one just run). */
export function annotate(state: SyncState, workflow: Workflow, own: Record<Actor, string>, lastPrompt?: string): SyncState {
  return {
    ...state,
    workflow_name: workflow.name,
    step_index: stepIndex(state.expected_actor, state.iteration),
    expected_step: stepPrompt(workflow, state.expected_actor, state.iteration, own),
    ...(lastPrompt ? { last_prompt: lastPrompt } : {}),
  };
}

/** The directory of the loops' prompts (`--prompts-dir`, default `prompts/` of the repository). */
export function promptsDirOf(ctx: { cwd: string; promptsDir?: string }): string {
  return ctx.promptsDir ?? join(ctx.cwd, 'prompts');
}

/** The reviewer's prompt file. */
export function reviewerPromptPath(ctx: { cwd: string; promptsDir?: string; workflow?: Workflow }): string {
  return join(promptsDirOf(ctx), `${ctx.workflow?.reviewer ?? REVIEWER_PROMPT}.md`);
}

/** The prompt of a turn, where the workflow says another than the actor's own: its path and name. */
export function turnPrompt<T extends { promptPath: string; promptName: string; cwd: string; promptsDir?: string; actor: Actor; workflow?: Workflow }>(
  ctx: T,
  iteration: number,
  own: Record<Actor, string>,
): T {
  const reviewer = ctx.workflow?.reviewer ?? REVIEWER_PROMPT;
  if (!ctx.workflow || stepPrompt(ctx.workflow, ctx.actor, iteration, own) !== reviewer) return ctx;
  return { ...ctx, promptPath: reviewerPromptPath(ctx), promptName: reviewer };
}
