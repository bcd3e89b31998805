import { compact, jsonLines, num, obj, str, sumOf, tryJson } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import type { UsageLimitInfo } from '../usage-limit.js';
import { detectUsageLimit } from '../usage-limit.js';
import { claudeCause } from './claude-cause.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { CLAUDE_PERMISSION_FLAGS, claudeGrantArgs, claudePermissionArgs } from '../permission-table.js';
import { clip, firstLine, nonEmpty, nonJsonText } from '../parse/text.js';

/**
 * Claude Code (`claude -p --output-format stream-json --verbose`): NDJSON events, one per line.
 *
 *   {"type":"system","subtype":"init","session_id","model","tools":[…],"cwd",…}
 *   {"type":"assistant","message":{"model","content":[{"type":"text"|"tool_use"|"thinking",…}],"usage"},"session_id"}
 *   {"type":"user","message":{"content":[{"type":"tool_result","tool_use_id","content","is_error"}]}}
 *   {"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution","is_error","result",
 *    "total_cost_usd","usage":{input_tokens,output_tokens,cache_read_input_tokens,cache_creation_input_tokens},
 *    "session_id","num_turns","duration_ms"}
 *
 * Usage limits, auth failures and API errors arrive as a result with subtype "success" and
 * is_error true, the message in `result`: is_error is what says whether the run failed.
 */

export const claude = {
  name: 'claude',
  title: 'Claude Code',
  bin: 'claude',
  install: 'npm install -g @anthropic-ai/claude-code',
  verified: { how: 'real-binary', version: '2.1.330' },
  cost: 'reported',
  formatNote: 'stream-json events as documented for `claude -p --output-format stream-json --verbose`',

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = str(options.model);
    return {
      args: [
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        ...(model ? ['--model', model] : []),
        ...claudePermissionArgs(options, ctx),
        ...options.extraArgs,
      ],
      env: {},
      // The prompt goes to stdin, never into argv (size limits, and `ps` shows argv).
      stdin: prompt,
    };
  },

  permissions: (level: PermissionLevel, ctx: Pick<BuildContext, 'isRoot'>): PermissionGrant => ({ args: claudeGrantArgs(level, ctx.isRoot) }),
  permissionFlags: CLAUDE_PERMISSION_FLAGS,

  /** The exit code adds nothing: the result event says how the run went, and without one it failed. */
  parse(stdout: string, _exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseClaude(stdout, now);
  },

  renderLine(line: string): string | undefined {
    return renderClaudeLine(line);
  },
} satisfies CliSpec;

function parseClaude(stdout: string, now: Date): ParsedOutput {
  const events = jsonLines(stdout);
  let sessionId: string | undefined;
  let initModel: string | undefined;
  let messageModel: string | undefined;
  let result: Record<string, unknown> | undefined;
  let rejected: Record<string, unknown> | undefined;
  const texts: string[] = [];
  for (const event of events) {
    sessionId ??= str(event.session_id);
    const type = event.type;
    if (type === 'system' && event.subtype === 'init') initModel ??= str(event.model);
    else if (type === 'rate_limit_event') {
      const info = obj(event, 'rate_limit_info');
      if (info?.status === 'rejected') rejected = info;
    } else if (type === 'assistant') {
      const message = obj(event, 'message');
      // Messages claude makes up itself (API errors, limits) name the model "<synthetic>".
      if (message?.model !== '<synthetic>') messageModel ??= str(message?.model);
      for (const block of contentBlocks(message)) {
        if (block.type === 'text' && typeof block.text === 'string' && block.text.trim() !== '') texts.push(block.text);
      }
    } else if (type === 'result') result = event;
  }
  const model = initModel ?? messageModel;

  if (!result) {
    // Truncated stream, crash or kill: what the assistant said so far, and no verdict.
    const limit = limitIn(nonJsonText(stdout), now);
    return compact<ParsedOutput>({
      text: texts.join('\n\n'),
      isError: true,
      error: 'no result event in the output (truncated?)',
      sessionId,
      model,
      usageLimit: limit,
      cause: claudeCause(events, undefined),
    });
  }

  const resultText = typeof result.result === 'string' ? result.result : undefined;
  const subtype = str(result.subtype);
  // is_error first: usage limits and auth failures come as subtype "success" with is_error true.
  const isError = result.is_error === true || (subtype?.startsWith('error') ?? false);
  const errors = Array.isArray(result.errors) ? result.errors.filter((e): e is string => typeof e === 'string' && e.trim() !== '') : [];
  const error = isError ? (firstLine(resultText ?? '') ?? firstLine(errors.join('\n')) ?? subtype ?? 'claude reported an error') : undefined;
  return compact<ParsedOutput>({
    text: resultText ?? texts.join('\n\n'),
    isError,
    error,
    costUsd: num(result.total_cost_usd) ?? num(result.cost_usd),
    tokens: tokensOf(obj(result, 'usage')),
    sessionId: str(result.session_id) ?? sessionId,
    model,
    usageLimit: isError
      ? (structuredLimit(result, rejected, resultText) ?? limitIn([resultText, ...errors].filter((t) => t !== undefined).join('\n'), now))
      : undefined,
    details: nonEmpty({ num_turns: num(result.num_turns), subtype, duration_ms: num(result.duration_ms) }),
    cause: isError ? claudeCause(events, result) : undefined,
  });
}

/**
 * The limit as claude reports it in structure: a `rate_limit_event` with status "rejected" (its
 * `resetsAt` is an exact epoch; the text rounds it to the hour) or `api_error: "usage_limit_reached"`.
 */
function structuredLimit(result: Record<string, unknown>, rejected: Record<string, unknown> | undefined, text: string | undefined): UsageLimitInfo | undefined {
  if (!rejected && result.api_error !== 'usage_limit_reached') return undefined;
  const message = firstLine(text ?? '') ?? `usage limit reached (${str(rejected?.rateLimitType) ?? 'rate limit'})`;
  const epoch = num(rejected?.resetsAt);
  if (epoch === undefined || epoch <= 0) return { message };
  return { message, resetsAt: new Date(epoch < 1e12 ? epoch * 1000 : epoch).toISOString() };
}

/**
 * The limit named in claude's error text (the epoch in "Claude AI usage limit reached|1776000000",
 * "resets 1pm (Europe/Berlin)"…): claude has no structured field for it.
 */
function limitIn(text: string, now: Date): UsageLimitInfo | undefined {
  return text.trim() === '' ? undefined : detectUsageLimit(text, now);
}

function tokensOf(usage: Record<string, unknown> | undefined): Tokens | undefined {
  if (!usage) return undefined;
  const cacheRead = num(usage.cache_read_input_tokens);
  const cacheWrite = num(usage.cache_creation_input_tokens);
  // Anthropic's input_tokens leaves the cache reads and writes out; Ralph's input holds them (Tokens).
  const tokens = compact<Tokens>({
    input: sumOf(num(usage.input_tokens), cacheRead, cacheWrite),
    output: num(usage.output_tokens),
    cache_read: cacheRead,
    cache_write: cacheWrite,
  });
  return Object.keys(tokens).length > 0 ? tokens : undefined;
}

function contentBlocks(message: Record<string, unknown> | undefined): Record<string, unknown>[] {
  const content = message?.content;
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Record<string, unknown> => obj(b) !== undefined);
}

function renderClaudeLine(line: string): string | undefined {
  const event = obj(tryJson(line.trim()));
  if (!event) return undefined;
  switch (event.type) {
    case 'system': {
      if (event.subtype === 'api_retry') return renderRetry(event);
      if (event.subtype !== 'init') return undefined;
      const model = str(event.model);
      return `session ${str(event.session_id) ?? '?'} started${model ? ` (model ${model})` : ''}`;
    }
    case 'assistant': {
      const parts: string[] = [];
      for (const block of contentBlocks(obj(event, 'message'))) {
        if (block.type === 'text' && typeof block.text === 'string') parts.push(`assistant: ${clip(block.text, 500)}`);
        else if (block.type === 'tool_use') parts.push(`tool ${str(block.name) ?? '?'}: ${clip(JSON.stringify(block.input ?? {}), 300)}`);
        else if (block.type === 'thinking' && typeof block.thinking === 'string') parts.push(`thinking: ${clip(block.thinking, 200)}`);
      }
      return parts.length > 0 ? parts.join(' | ') : undefined;
    }
    case 'user': {
      const message = obj(event, 'message');
      const parts: string[] = [];
      for (const block of contentBlocks(message)) {
        if (block.type !== 'tool_result') continue;
        parts.push(`tool result${block.is_error === true ? ' (error)' : ''}: ${clip(resultContent(block.content), 200)}`);
      }
      return parts.length > 0 ? parts.join(' | ') : undefined;
    }
    case 'result': {
      const cost = num(event.total_cost_usd) ?? num(event.cost_usd);
      const turns = num(event.num_turns);
      const facts = [
        str(event.subtype) ?? '?',
        `is_error=${event.is_error === true}`,
        ...(cost === undefined ? [] : [`$${cost.toFixed(4)}`]),
        ...(turns === undefined ? [] : [`${turns} turn${turns === 1 ? '' : 's'}`]),
      ];
      const text = typeof event.result === 'string' ? `: ${clip(event.result, 200)}` : '';
      return `result (${facts.join(', ')})${text}`;
    }
    default:
      return undefined;
  }
}

/**
 * Claude Code retrying the API (unreachable, overloaded, refused):
 * {"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":584,"error_status":529|null,"error":"overloaded"|"unknown"}.
 */
function renderRetry(event: Record<string, unknown>): string {
  const status = num(event.error_status);
  const error = str(event.error);
  const delay = num(event.retry_delay_ms);
  const max = num(event.max_retries);
  const what =
    status === undefined
      ? `API request failed${error && error !== 'unknown' ? ` (${error})` : ' (API unreachable?)'}`
      : `API error ${status}${error ? ` (${error})` : ''}`;
  return `${what}; retry ${num(event.attempt) ?? '?'}${max === undefined ? '' : ` of ${max}`}${delay === undefined ? '' : ` in ${(delay / 1000).toFixed(1)}s`}`;
}

/** A tool_result's content: a string, or text blocks. */
function resultContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        const block = obj(b);
        return typeof block?.text === 'string' ? block.text : block?.type === 'image' ? '[image]' : '';
      })
      .filter((t) => t !== '')
      .join(' ');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}
