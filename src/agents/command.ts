import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { FINDINGS_MARKER, extractFinding } from '../queue/finding.js';
import { ralphEnv } from './agent.js';
import type { AgentAdapter, AgentContext, AgentInvocation, AgentResult, ProcessOutput } from './agent.js';
import { executableProblem } from '../process/executable.js';
import { describeFailure } from './failure.js';

/**
 * The line the shell runs before the user's command. On SIGTERM (a stop or a timeout, sent to the
 * whole process group) the shell waits for the command running in the foreground and then exits
 * with its status, instead of dying at once: an agent that finishes its turn within the grace period
 * is seen exiting 0 (see resultAfterStop), and nothing after it in the command line starts. The
 * handler is not inherited: the commands it starts get SIGTERM as they would anyway.
 */
export const STOP_TRAP = "trap 'exit $?' TERM";

/**
 * `--agent-cmd CMD`: the user's own command line, run by `/bin/sh -c`. The command is the user's
 * text, never task data; the task reaches it through stdin, the prompt file and RALPH_* variables.
 */
export class CommandAgent implements AgentAdapter {
  readonly name = 'command';
  readonly command: string;
  private readonly timeoutMs: number | undefined;
  private readonly timeoutFlag: string | undefined;

  /** `timeoutFlag`: the option that set the timeout, named in the error (default `--task-timeout`). */
  constructor(command: string, options: { timeoutMs?: number; timeoutFlag?: string } = {}) {
    this.command = command;
    this.timeoutMs = options.timeoutMs;
    this.timeoutFlag = options.timeoutFlag;
  }

  describe(): string {
    return `sh -c ${JSON.stringify(this.command)}`;
  }

  invocation(ctx: AgentContext): AgentInvocation {
    return {
      command: '/bin/sh',
      args: ['-c', `${STOP_TRAP}\n${anchorCommand(this.command, ctx.launchDir, ctx.cwd)}`],
      env: ralphEnv(ctx),
      stdin: ctx.prompt,
      cwd: ctx.cwd,
    };
  }

  parse(output: ProcessOutput): AgentResult {
    const failure = describeFailure(output, this.timeoutMs, this.timeoutFlag);
    const finding = extractFinding(output.stdout);
    if (failure) return { ok: false, text: output.stdout, finding, reason: failure.reason, error: failure.error };
    return { ok: true, text: output.stdout, finding, explicit: output.stdout.includes(FINDINGS_MARKER) };
  }

  preflight(cwd: string): string | undefined {
    return checkCommandLine(this.command, cwd, process.env.PATH ?? '');
  }

  budgetNote(): string {
    return 'an --agent-cmd reports no cost: the budget counts nothing of its runs';
  }
}

/**
 * A command line whose first word is a plain relative path (`./agent.sh --fast`), run from another
 * directory than the one it was written in: the path is made absolute (single-quoted). The rest of
 * the user's command is left as it is; anything fancier than a plain path is left alone too.
 */
export function anchorCommand(command: string, launchDir: string | undefined, cwd: string): string {
  if (launchDir === undefined || resolve(launchDir) === resolve(cwd)) return command;
  const match = /^(\s*)(\.{1,2}\/[A-Za-z0-9._/+@%,=-]*)(?=\s|$)/.exec(command);
  if (!match) return command;
  const absolute = resolve(launchDir, match[2]!);
  return `${match[1]}'${absolute.replace(/'/g, "'\\''")}'${command.slice(match[0].length)}`;
}

const SHELL_WORDS = new Set([
  '.',
  ':',
  '[',
  'alias',
  'break',
  'case',
  'cd',
  'command',
  'continue',
  'echo',
  'eval',
  'exec',
  'exit',
  'export',
  'false',
  'for',
  'if',
  'printf',
  'read',
  'set',
  'shift',
  'test',
  'trap',
  'true',
  'type',
  'ulimit',
  'umask',
  'unset',
  'until',
  'wait',
  'while',
  '{',
  '(',
  '!',
]);

/** The first word of a command line is an executable we can find, or a message saying it is not. */
export function checkCommandLine(command: string, cwd: string, pathVariable: string): string | undefined {
  const words = command.trim().split(/\s+/);
  let first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (first === undefined || first === '') return command.trim() === '' ? 'the agent command is empty' : undefined;
  first = first.replace(/^['"]|['"]$/g, '');
  if (SHELL_WORDS.has(first) || /[$`*?(]/.test(first)) return undefined;
  if (first.startsWith('~/') && process.env.HOME) first = `${process.env.HOME}${first.slice(1)}`;
  if (first.includes('/')) {
    const path = isAbsolute(first) ? first : resolve(cwd, first);
    const problem = pathProblem(path);
    return problem && `agent command ${first}: ${problem}`;
  }
  for (const dir of pathVariable.split(delimiter)) {
    if (dir !== '' && executableProblem(join(dir, first)) === undefined) return undefined;
  }
  return `agent command ${first}: not found on PATH; install it or give its path`;
}

/** The problem with running `path`, worded for a message that names it. */
function pathProblem(path: string): string | undefined {
  const problem = executableProblem(path);
  if (problem === undefined) return undefined;
  return problem === 'is not executable' ? `${path} is not executable (try chmod +x ${path})` : `${path} ${problem}`;
}
