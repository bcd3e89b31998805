import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent } from '../agents/run-agent.js';
import { RalphError } from '../errors.js';
import { newToken } from '../store/token.js';
import type { LoopContext } from './options.js';
import { REVIEWER_PROMPT, promptsDirOf } from './workflow.js';
import type { RouterMode } from './router-options.js';

export { ROUTER_MODES } from './router-options.js';
export type { RouterMode, RouterOptions } from './router-options.js';

/** What a router's answer means: the prompt to run, or why the turn cannot go on. */
export type Route = { prompt: string; routed: boolean } | { error: string };

/** `main`, `main.md` or `prompts/main.md` → `main`. Pure. */
export function promptNameOf(text: string): string {
  return text.trim().replace(/^.*\//, '').replace(/\.md$/, '');
}

/**
 * The router's contract. It is asked before a turn (modes `first` and `only` always; `default` not
 * on a review step of the workflow, which stands), and answers with one line: the prompt to run (its
 * last non-empty line counts). `default` and `first`: an empty answer leaves the workflow's choice;
 * `only`: an empty answer aborts the turn. A prompt not on the allowlist, or whose file does not
 * exist, aborts it in any mode. Pure (`exists` tells whether a prompt's file is there).
 */
export function routeDecision(
  mode: RouterMode,
  answer: string,
  workflowChoice: string,
  allowlist: readonly string[] | undefined,
  exists: (name: string) => boolean,
): Route {
  const line = answer
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
  if (!line)
    return mode === 'only' ? { error: 'the router answered nothing (--router-mode only needs a prompt named)' } : { prompt: workflowChoice, routed: false };
  const name = promptNameOf(line.replace(/^FINDINGS:\s*/, ''));
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return { error: `the router's answer is not a prompt's name: ${JSON.stringify(line.slice(0, 80))}` };
  if (allowlist && !allowlist.includes(name)) return { error: `the router named ${name}, which is not on --router-allowlist (${allowlist.join(', ')})` };
  if (!exists(name)) return { error: `the router named ${name}, but prompts/${name}.md does not exist` };
  return { prompt: name, routed: true };
}

/** Whether the router is asked before this turn: always, but (mode default) not over a review step. Pure. */
export function routerAsked(mode: RouterMode, workflowChoice: string, reviewer = REVIEWER_PROMPT): boolean {
  return mode !== 'default' || workflowChoice !== reviewer;
}

/**
 * Asks the router for the prompt of `ctx`'s turn (its agent, or the one `--agent-prompt` gives
 * `router`, reads the router's prompt with what the turn is), and returns the turn's context with
 * the prompt decided. Throws (exit 1) when the answer cannot be taken: the caller has not changed
 * the state yet, so nothing is.
 */
export async function routeTurn<T extends LoopContext>(ctx: T, iteration: number): Promise<{ ctx: T; routed: boolean }> {
  const router = ctx.router;
  if (!router || !routerAsked(router.mode, ctx.promptName, ctx.workflow?.reviewer)) return { ctx, routed: false };
  const agent = ctx.agentFor?.(ctx.actor, 'router') ?? ctx.agent;
  const prompt = `${readFileSync(router.promptPath, 'utf8')}\n\nThis turn: ${ctx.actor === 'galph' ? 'the supervisor (galph)' : 'the engineer (ralph)'}, iteration ${iteration}, the workflow's choice: ${ctx.promptName}.\nAnswer with one line: the name of the prompt to run (for example ${ctx.promptName}).\n`;
  const invocation = agent.invocation({
    task: { id: `router-${ctx.actor}-${iteration}`, type: 'router', data: { iteration, actor: ctx.actor, workflow: ctx.promptName }, attempt: 1 },
    prompt,
    promptFile: router.promptPath,
    workerId: 0,
    stateDir: ctx.cwd,
    cwd: ctx.cwd,
  });
  Object.assign(invocation.env, { RALPH_ACTOR: ctx.actor, RALPH_ITERATION: String(iteration), RALPH_BRANCH: ctx.branch, RALPH_PROMPT_NAME: 'router' });
  const { output, result } = await runAgent(agent, invocation, {
    token: newToken(),
    graceMs: ctx.graceMs,
    ...(ctx.agentTimeoutMs === undefined ? {} : { timeoutMs: ctx.agentTimeoutMs }),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  if (output.interrupted) throw new RalphError('RALPH_ROUTER', `ralph ${ctx.actor}: the router was stopped; the turn did not start`, { exitCode: 1 });
  const exists = (name: string) => existsSync(join(promptsDirOf(ctx), `${name}.md`));
  const route = result.ok
    ? routeDecision(router.mode, result.text, ctx.promptName, router.allowlist, exists)
    : { error: `the router failed: ${result.error ?? 'unknown'}` };
  if ('error' in route)
    throw new RalphError('RALPH_ROUTER', `ralph ${ctx.actor}: ${route.error}; the turn did not start and ${'sync/state.json'} is unchanged.`, { exitCode: 1 });
  ctx.print(`ralph ${ctx.actor}: the router chose ${route.prompt}${route.routed ? '' : " (it named none: the workflow's choice)"}`);
  if (route.prompt === ctx.promptName) return { ctx, routed: route.routed };
  return { ctx: { ...ctx, promptPath: join(promptsDirOf(ctx), `${route.prompt}.md`), promptName: route.prompt }, routed: route.routed };
}
