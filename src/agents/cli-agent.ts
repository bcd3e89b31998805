import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { extractFinding } from '../queue/finding.js';
import { ralphEnv } from './agent.js';
import type { AgentAdapter, AgentContext, AgentInvocation, AgentResult, ProcessOutput } from './agent.js';
import type { AgentExtra } from './choice.js';
import { parseSafely } from './cli-spec.js';
import type { AgentOptions, CliSpec } from './cli-spec.js';
import { executableProblem } from '../process/executable.js';
import { describeAgentError, describeFailure } from './failure.js';
import { estimateCost, priceOf, pricesWith } from './prices.js';
import type { PriceList } from './prices.js';

/** The environment variable that points at an agent's binary: RALPH_CLAUDE_BIN, RALPH_CURSOR_BIN… */
export function binVariable(name: string): string {
  return `RALPH_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BIN`;
}

/** Where the binary was looked for, and where it is if found. */
export interface BinaryLookup {
  /** How the user chose it: --agent-bin, the environment variable, or PATH. */
  source: 'flag' | 'env' | 'path';
  /** What was asked for (a path, or the name looked up on PATH). */
  wanted: string;
  found?: string;
  problem?: string;
}

/** Finds an agent's binary: `--agent-bin`, then RALPH_<NAME>_BIN, then the spec's name on PATH. */
export function findBinary(spec: CliSpec, bin: string | undefined, env: NodeJS.ProcessEnv, cwd: string): BinaryLookup {
  const fromEnv = env[binVariable(spec.name)];
  const source = bin !== undefined ? 'flag' : fromEnv ? 'env' : 'path';
  const wanted = bin ?? (fromEnv || spec.bin);
  if (wanted.includes('/')) {
    const path = isAbsolute(wanted) ? wanted : resolve(cwd, wanted);
    const problem = executableProblem(path);
    return problem ? { source, wanted, problem } : { source, wanted, found: path };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, wanted);
    if (executableProblem(path) === undefined) return { source, wanted, found: path };
  }
  return { source, wanted, problem: 'not found on PATH' };
}

/**
 * An agent CLI behind the AgentAdapter interface: the spec's pure build/parse plus what every CLI
 * shares (RALPH_* variables, the binary lookup, timeouts and exit codes, the finding).
 */
export class CliAgent implements AgentAdapter {
  readonly name: string;
  readonly spec: CliSpec;
  readonly options: AgentOptions;
  private readonly timeoutMs: number | undefined;
  private readonly timeoutFlag: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly prices: PriceList | undefined;
  private resolved: string | undefined;

  constructor(spec: CliSpec, options: AgentOptions, extra: AgentExtra = {}) {
    this.name = spec.name;
    this.spec = spec;
    this.options = options;
    this.timeoutMs = extra.timeoutMs;
    this.timeoutFlag = extra.timeoutFlag;
    this.env = extra.env ?? process.env;
    this.prices = extra.prices;
  }

  describe(): string {
    const model = this.options.model ? ` (model ${this.options.model})` : '';
    return `${this.spec.title}: ${this.resolved ?? this.lookup(process.cwd()).found ?? this.spec.bin}${model}`;
  }

  lookup(cwd: string): BinaryLookup {
    return findBinary(this.spec, this.options.bin, this.env, cwd);
  }

  preflight(cwd: string): string | undefined {
    const found = this.lookup(cwd);
    if (found.found) {
      this.resolved = found.found;
      return undefined;
    }
    // Where it was looked for, unless the problem says so already ("not found on PATH").
    const from = found.source === 'flag' ? ' (from --agent-bin)' : found.source === 'env' ? ` (from ${binVariable(this.spec.name)})` : '';
    return `agent ${this.spec.name} (${this.spec.title}): ${found.wanted} ${found.problem}${from}; install it (${this.spec.install}) or point --agent-bin or ${binVariable(this.spec.name)} at the binary`;
  }

  budgetNote(): string | undefined {
    const { name } = this.spec;
    if (this.spec.cost === 'reported') return undefined;
    if (this.spec.cost === 'none') return `${name} reports neither cost nor tokens: the budget counts nothing of its runs`;
    const model = this.options.model;
    if (model === undefined) return `${name} reports no cost, and no --model is given: its runs count only when its output names a model in the price table`;
    if (!priceOf(model, pricesWith(this.prices)))
      return `${name} reports no cost, and model ${model} is not in the price table ("prices" in ralph.config.json adds it): the budget counts nothing of its runs`;
    return undefined;
  }

  invocation(ctx: AgentContext): AgentInvocation {
    const command = this.resolved ?? this.lookup(ctx.cwd).found ?? this.spec.bin;
    const built = this.spec.build(ctx.prompt, this.options, { promptFile: ctx.promptFile, cwd: ctx.cwd, isRoot: process.getuid?.() === 0 });
    return { command, args: built.args, env: { ...ralphEnv(ctx), ...built.env }, stdin: built.stdin, cwd: ctx.cwd };
  }

  parse(output: ProcessOutput): AgentResult {
    // Whatever the CLI printed, parsing never throws: an exception (not expected on any known input) is a failed result.
    const parse = (text: string) => parseSafely(() => this.spec.parse(text, output.exitCode));
    let parsed = parse(this.spec.readsStderr ? output.combinedTail : output.stdout);
    if (parsed.isError && this.spec.errorsOnStderr) parsed = parse(output.combinedTail);
    const model = parsed.model ?? this.options.model;
    // A CLI that reports no cost: estimated from its tokens at the model's list price (each model's
    // at its own, when several answered), when listed.
    const parts = parsed.tokensByModel
      ? Object.entries(parsed.tokensByModel).map(([name, tokens]) => ({ model: name, tokens }))
      : parsed.tokens
        ? [{ model, tokens: parsed.tokens }]
        : [];
    const estimate = parsed.costUsd === undefined && parts.length > 0 ? estimateCost(parts, pricesWith(this.prices)) : undefined;
    const facts = {
      agent: this.spec.name,
      ...(model ? { model } : {}),
      ...(parsed.costUsd === undefined ? {} : { costUsd: parsed.costUsd }),
      ...(estimate === undefined ? {} : { costUsd: estimate, costEstimated: true }),
      ...(parsed.tokens === undefined ? {} : { tokens: parsed.tokens }),
      ...(parsed.sessionId === undefined ? {} : { sessionId: parsed.sessionId }),
    };
    const finding = extractFinding(parsed.text);
    // A timeout, a kill or a spawn error is what it is, never a usage limit.
    const context = { render: (line: string) => this.renderLine('stdout', line), ...(parsed.cause ? { diagnosis: parsed.cause } : {}) };
    const failure = describeFailure(output, this.timeoutMs, this.timeoutFlag, context);
    if (failure && failure.reason !== 'exit') return { ok: false, text: parsed.text, finding, reason: failure.reason, error: failure.error, ...facts };
    if (parsed.usageLimit) {
      return {
        ok: false,
        text: parsed.text,
        finding,
        reason: 'usage-limit',
        error: `usage limit: ${parsed.usageLimit.message}`,
        usageLimit: parsed.usageLimit,
        ...facts,
      };
    }
    if (parsed.isError) {
      return {
        ok: false,
        text: parsed.text,
        finding,
        reason: 'agent-error',
        error: describeAgentError(this.spec.name, output, parsed.error, context),
        ...facts,
      };
    }
    if (failure) return { ok: false, text: parsed.text, finding, reason: failure.reason, error: failure.error, ...facts };
    return { ok: true, text: parsed.text, finding, explicit: finding !== '', ...facts };
  }

  renderLine(stream: 'stdout' | 'stderr', line: string): string | undefined {
    if (stream !== 'stdout' || !this.spec.renderLine) return undefined;
    // A line the renderer cannot read is shown as it came.
    try {
      return this.spec.renderLine(line);
    } catch {
      return undefined;
    }
  }
}
