import { compact, jsonLines, num, obj, str, tryJson } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import type { UsageLimitInfo } from '../usage-limit.js';
import { detectUsageLimit } from '../usage-limit.js';
import { localTimeZone } from '../wall-clock.js';
import { clip, nonJsonText } from '../parse/text.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { CODEX_PERMISSIONS } from '../permission-table.js';

/**
 * OpenAI Codex CLI (`codex exec --json`): JSONL events, one per line.
 *
 *   {"type":"thread.started","thread_id"}
 *   {"type":"turn.started"}
 *   {"type":"item.started"|"item.updated"|"item.completed","item":{"id","type":"agent_message"|"reasoning"|
 *     "command_execution"|"file_change"|"mcp_tool_call"|"web_search"|"todo_list"|"error",…}}
 *   {"type":"turn.completed","usage":{"input_tokens","cached_input_tokens","cache_write_input_tokens","output_tokens","reasoning_output_tokens"}}
 *   {"type":"turn.failed","error":{"message"}}
 *   {"type":"error","message"}
 *
 * Older versions spelled the item kind `item_type` and the answer `assistant_message`; older still
 * wrapped events as {"id","msg":{"type":"agent_message","message"}}. All are accepted.
 *
 * A top-level `error` event is not always fatal: stream retries come as "Reconnecting... 1/5 (…)"
 * and the turn may still complete. So an error only counts when no `turn.completed` follows it.
 *
 * A usage limit says when it lifts as a clock time in Codex's local zone ("try again at 3:15 PM", or
 * "… at Dec 8th, 2026 3:15 PM" when not today): read in the agent's zone, which is Ralph's own (the
 * agent inherits its TZ). Checked against codex-cli 0.171.0 (test/agents/codex-real.test.ts).
 */

/** The env_key of the model provider is not set: Codex sent nothing, an auth failure. */
const MISSING_KEY = /^Missing environment variable: `[^`]+`/;

/** Codex's notice that it is retrying a dropped stream (not a failure by itself). */
const RECONNECT = /^Reconnecting\.\.\.\s*\d+\/\d+/;

const MESSAGE_KINDS = new Set(['agent_message', 'assistant_message']);

export const codex = {
  name: 'codex',
  title: 'OpenAI Codex CLI',
  bin: 'codex',
  install: 'npm install -g @openai/codex',
  verified: { how: 'real-binary', version: '0.171.0' },
  formatNote: '`codex exec --json` JSONL events (thread/turn/item); older item_type/assistant_message spellings accepted; parsed defensively',

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = str(options.model);
    // The API's sandbox in place of the one the level maps to.
    const sandbox = str(options.own?.sandbox);
    const grant = grantFor(codex, options, ctx).args.map((arg, i, all) => (sandbox && all[i - 1] === '--sandbox' ? sandbox : arg));
    return {
      // Not --full-auto (current versions reject it with exec --json); the sandbox says what it may do.
      args: [
        'exec',
        '--json',
        ...grant,
        '--skip-git-repo-check',
        ...(model ? ['--model', model] : []),
        ...options.extraArgs,
        // `-` as the prompt: read it from stdin.
        '-',
      ],
      env: {},
      stdin: prompt,
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => CODEX_PERMISSIONS.levels[level],
  permissionFlags: CODEX_PERMISSIONS.flags,

  parse(stdout: string, exitCode: number | null, now: Date = new Date(), timeZone: string = localTimeZone()): ParsedOutput {
    return parseCodex(stdout, exitCode, now, timeZone);
  },

  renderLine(line: string): string | undefined {
    return renderCodexLine(line);
  },
} satisfies CliSpec;

function parseCodex(stdout: string, exitCode: number | null, now: Date, timeZone: string): ParsedOutput {
  let sessionId: string | undefined;
  let message: string | undefined;
  let completedTurns = 0;
  const sums: Record<'input' | 'output' | 'cache_read' | 'cache_write' | 'reasoning', number | undefined> = {
    input: undefined,
    output: undefined,
    cache_read: undefined,
    cache_write: undefined,
    reasoning: undefined,
  };
  /** Errors not (yet) followed by a completed turn: these make the run fail. */
  let pending: { message: string; source: unknown }[] = [];
  /** Errors a completed turn came after, retries and non-fatal error items. */
  const warnings: string[] = [];

  for (const event of jsonLines(stdout)) {
    const type = str(event.type);
    const legacy = type === undefined ? obj(event, 'msg') : undefined;
    if (legacy) {
      if (legacy.type === 'agent_message' && typeof legacy.message === 'string') message = legacy.message;
      else if (legacy.type === 'error') pending.push({ message: str(legacy.message) ?? 'error', source: legacy });
      continue;
    }
    switch (type) {
      case 'thread.started':
        sessionId ??= str(event.thread_id);
        break;
      case 'item.completed': {
        const item = obj(event, 'item');
        const kind = itemKind(item);
        if (kind !== undefined && MESSAGE_KINDS.has(kind) && typeof item?.text === 'string') message = item.text;
        else if (kind === 'error') warnings.push(str(item?.message) ?? 'error item');
        break;
      }
      case 'turn.completed': {
        completedTurns++;
        const usage = obj(event, 'usage');
        sums.input = add(sums.input, num(usage?.input_tokens));
        sums.output = add(sums.output, num(usage?.output_tokens));
        sums.cache_read = add(sums.cache_read, num(usage?.cached_input_tokens));
        sums.cache_write = add(sums.cache_write, num(usage?.cache_write_input_tokens));
        sums.reasoning = add(sums.reasoning, num(usage?.reasoning_output_tokens));
        warnings.push(...pending.map((p) => p.message));
        pending = [];
        break;
      }
      case 'turn.failed': {
        const error = obj(event, 'error');
        pending.push({ message: str(error?.message) ?? str(event.message) ?? 'turn failed (no message)', source: event });
        break;
      }
      case 'error': {
        const text = str(event.message) ?? str(obj(event, 'error')?.message) ?? 'error event without a message';
        if (RECONNECT.test(text)) warnings.push(text);
        else pending.push({ message: text, source: event });
        break;
      }
      default:
        break;
    }
  }

  let error: string | undefined;
  if (pending.length > 0) error = readable(pending[pending.length - 1]!.message);
  else if (message === undefined && exitCode !== 0) error = warnings.length > 0 ? readable(warnings[warnings.length - 1]!) : 'no agent message in the output';
  else if (message === undefined && completedTurns === 0) error = 'no agent message in the output (truncated?)';
  const isError = error !== undefined;

  let usageLimit: UsageLimitInfo | undefined;
  if (isError) {
    for (const p of pending) usageLimit ??= structuredLimit(p.source, now) ?? structuredLimit(p.message, now);
    const text = [...pending.map((p) => p.message), nonJsonText(stdout)].filter((t) => t !== '').join('\n');
    if (!usageLimit && text !== '') usageLimit = detectUsageLimit(text, now, timeZone);
  }

  const tokens = compact<Tokens>(sums);
  return compact<ParsedOutput>({
    text: message ?? '',
    isError,
    error,
    // codex does not report a cost.
    tokens: Object.keys(tokens).length > 0 ? tokens : undefined,
    sessionId,
    usageLimit,
    cause: error !== undefined && MISSING_KEY.test(error) ? { label: 'auth failure' } : undefined,
    details: compact({ turns: completedTurns, warnings: warnings.length > 0 ? warnings.map((w) => clip(w, 300)) : undefined }),
  });
}

function itemKind(item: Record<string, unknown> | undefined): string | undefined {
  return str(item?.type) ?? str(item?.item_type);
}

function add(sum: number | undefined, value: number | undefined): number | undefined {
  return value === undefined ? sum : (sum ?? 0) + value;
}

/**
 * A `usage_limit_reached` object in an error event or in its message (often a JSON string, maybe
 * after a prefix): {"type":"usage_limit_reached","message","resets_at","resets_in_seconds",…}.
 */
function structuredLimit(value: unknown, now: Date, depth = 0): UsageLimitInfo | undefined {
  if (depth > 4) return undefined;
  if (typeof value === 'string') {
    const inner = jsonIn(value);
    return inner === undefined ? undefined : structuredLimit(inner, now, depth + 1);
  }
  const o = obj(value);
  if (!o) return undefined;
  if (o.type === 'usage_limit_reached' || o.code === 'usage_limit_reached' || o.error_type === 'usage_limit_reached') {
    const at = num(o.resets_at);
    const inSeconds = num(o.resets_in_seconds);
    const resetsAt = at !== undefined ? new Date(at > 1e12 ? at : at * 1000) : inSeconds !== undefined ? new Date(now.getTime() + inSeconds * 1000) : undefined;
    return compact<UsageLimitInfo>({
      message: clip(str(o.message) ?? 'usage limit reached', 300),
      resetsAt: resetsAt && !Number.isNaN(resetsAt.getTime()) ? resetsAt.toISOString() : undefined,
    });
  }
  return structuredLimit(o.error, now, depth + 1) ?? structuredLimit(o.message, now, depth + 1);
}

/** The JSON object in `text`: all of it, or from its first `{` to its last `}`. */
function jsonIn(text: string): Record<string, unknown> | undefined {
  const whole = obj(tryJson(text.trim()));
  if (whole) return whole;
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? obj(tryJson(text.slice(start, end + 1))) : undefined;
}

/** An error message for one log line: a JSON error body as "type: message", else its first line. */
function readable(message: string): string {
  const body = jsonIn(message);
  if (body) {
    const inner = obj(body, 'error') ?? body;
    const what = str(inner.message);
    const kind = str(inner.type);
    if (what) return clip(kind && kind !== 'error' ? `${kind}: ${what}` : what, 300);
    if (kind && kind !== 'error') return kind;
  }
  const line = message
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return clip(line ?? message, 300);
}

function renderCodexLine(line: string): string | undefined {
  const event = obj(tryJson(line.trim()));
  if (!event) return undefined;
  switch (event.type) {
    case 'thread.started':
      return `thread ${str(event.thread_id) ?? '?'} started`;
    case 'turn.started':
      return '';
    case 'turn.completed': {
      const usage = obj(event, 'usage');
      return `turn completed (in ${num(usage?.input_tokens) ?? '?'}, out ${num(usage?.output_tokens) ?? '?'} tokens)`;
    }
    case 'turn.failed':
      return `turn failed: ${readable(str(obj(event, 'error')?.message) ?? 'no message')}`;
    case 'error': {
      const text = str(event.message) ?? 'no message';
      return RECONNECT.test(text) ? `retrying: ${clip(text, 300)}` : `error: ${readable(text)}`;
    }
    case 'item.started': {
      const item = obj(event, 'item');
      return itemKind(item) === 'command_execution' ? `command started: ${clip(commandOf(item), 300)}` : '';
    }
    case 'item.updated':
      return '';
    case 'item.completed':
      return renderItem(obj(event, 'item'));
    default:
      return undefined;
  }
}

function renderItem(item: Record<string, unknown> | undefined): string | undefined {
  if (!item) return undefined;
  const kind = itemKind(item);
  switch (kind) {
    case 'agent_message':
    case 'assistant_message':
      return typeof item.text === 'string' ? `assistant: ${clip(item.text, 500)}` : undefined;
    case 'reasoning':
      return typeof item.text === 'string' ? `thinking: ${clip(item.text, 200)}` : undefined;
    case 'command_execution': {
      const code = num(item.exit_code);
      const outcome = code !== undefined ? `exit ${code}` : (str(item.status) ?? 'done');
      return `command: ${clip(commandOf(item), 300)} → ${outcome}`;
    }
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? item.changes.map((c) => obj(c)).filter((c) => c !== undefined) : [];
      const list = changes.map((c) => `${str(c.kind) ?? 'change'} ${str(c.path) ?? '?'}`).join(', ');
      return `files changed: ${clip(list || (str(item.status) ?? '?'), 300)}`;
    }
    case 'mcp_tool_call':
      return `tool ${[str(item.server), str(item.tool)].filter((s) => s !== undefined).join('.') || '?'}: ${str(item.status) ?? 'done'}`;
    case 'web_search':
      return `web search: ${clip(str(item.query) ?? '', 200)}`;
    case 'todo_list': {
      const items = Array.isArray(item.items) ? item.items.map((i) => obj(i)).filter((i) => i !== undefined) : [];
      return `todo: ${items.filter((i) => i.completed === true).length}/${items.length} done`;
    }
    case 'error':
      return `warning: ${clip(str(item.message) ?? '', 300)}`;
    default:
      return undefined;
  }
}

function commandOf(item: Record<string, unknown> | undefined): string {
  const command = item?.command;
  if (typeof command === 'string') return command;
  if (Array.isArray(command)) return command.filter((c) => typeof c === 'string').join(' ');
  return '?';
}
