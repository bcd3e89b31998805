import type { Diagnosis } from '../cause.js';
import { compact, jsonLines, num, obj, str, sumOf, tryJson } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import type { UsageLimitInfo } from '../usage-limit.js';
import { detectUsageLimit } from '../usage-limit.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { OPENCODE_PERMISSIONS } from '../permission-table.js';
import { clip, lastLine, nonJsonText, stripAnsi, tail } from '../parse/text.js';

/**
 * OpenCode (`opencode run --format json`): NDJSON events, one per line, each
 * `{"type", "timestamp", "sessionID", …}`:
 *
 *   {"type":"step_start","sessionID","part":{"type":"step-start","snapshot"}}
 *   {"type":"text","sessionID","part":{"type":"text","text"}}                       (a finished text part)
 *   {"type":"reasoning","sessionID","part":{"type":"reasoning","text"}}             (only with --thinking)
 *   {"type":"tool_use","sessionID","part":{"type":"tool","tool","callID","state":{"status","input","output"|"error"}}}
 *   {"type":"step_finish","sessionID","part":{"type":"step-finish","reason","cost","tokens":{"input","output","reasoning","cache":{"read","write"}}}}
 *   {"type":"error","sessionID","error":{"name","data":{"message","statusCode"?,…}}}
 *
 * One step is one model call; the answer is the text of the last step that said anything.
 * Verified with 1.18.33 (test/agents/opencode-real.test.ts): an API error it gives up on (a 429 after
 * its retries, a 401) is an `error` event with the status and the response headers, exit 1; an API it
 * cannot reach it retries without end and without a word on stdout. So Ralph asks for its error log
 * lines on stderr (`--print-logs --log-level ERROR`: "… message=\"stream error\" … error.error=\"…\""),
 * which the worker log and a timed-out run's cause then show.
 *
 * The prompt goes to stdin, not into argv: `opencode run` appends piped stdin to the message
 * verbatim, whereas positional words are re-joined with spaces and re-quoted (a word with a space is
 * wrapped in "…" and its quotes escaped), and one argv element is limited to 128 KiB on Linux.
 */
export const opencode = {
  name: 'opencode',
  title: 'OpenCode',
  bin: 'opencode',
  install: 'npm install -g opencode-ai',
  verified: { how: 'real-binary', version: '1.18.33' },
  cost: 'reported',
  formatNote:
    '`opencode run --format json` NDJSON events (step_start, text, tool_use, step_finish with cost and tokens, error) ' +
    "as emitted by opencode's run command (packages/opencode/src/cli/cmd/run.ts), checked against the real binary; " +
    'its error log lines on stderr (--print-logs --log-level ERROR). The prompt is piped on stdin, which `opencode run` appends to the (empty) message.',

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = str(options.model);
    return {
      args: ['run', '--format', 'json', ...(model ? ['--model', model] : []), ...logArgs(options.extraArgs), ...options.extraArgs],
      env: grantFor(opencode, options, ctx).env,
      stdin: prompt,
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => OPENCODE_PERMISSIONS.levels[level],
  permissionFlags: OPENCODE_PERMISSIONS.flags,

  parse(stdout: string, exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseOpencode(stdout, exitCode, now);
  },

  renderLine(line: string): string | undefined {
    return renderOpencodeLine(line) ?? renderLogLine(line);
  },
} satisfies CliSpec;

/** Its error log on stderr, unless --agent-args asks for logs its own way (yargs would make a repeated option an array). */
function logArgs(extraArgs: readonly string[]): string[] {
  const own = extraArgs.some((a) => a === '--print-logs' || a === '--log-level' || a.startsWith('--log-level='));
  return own ? [] : ['--print-logs', '--log-level', 'ERROR'];
}

/**
 * One of opencode's log lines (`timestamp=… level=ERROR run=… message="stream error" … error.error="AI_APICallError: Cannot
 * connect to API: … (cause: …)"`) as "opencode: stream error: Cannot connect to API: …"; undefined for any other line.
 */
export function renderLogLine(line: string): string | undefined {
  const head = /^timestamp=\S+ level=(ERROR|WARN)\b/.exec(line);
  if (!head) return undefined;
  const field = (name: string): string | undefined => {
    const m = new RegExp(`(?:^| )${name.replace('.', '\\.')}=(?:"((?:[^"\\\\]|\\\\.)*)"|(\\S+))`).exec(line);
    return m ? (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1') : undefined;
  };
  const message = field('message') ?? head[1]!.toLowerCase();
  const error = field('error.error') ?? field('error');
  const why = error?.replace(/^AI_\w+Error: /, '').replace(/ \(cause: .*\)$/, '');
  return clip(`opencode: ${message}${why ? `: ${why}` : ''}`, 300);
}

function parseOpencode(stdout: string, exitCode: number | null, now: Date): ParsedOutput {
  const events = jsonLines(stdout).filter((e) => typeof e.type === 'string');
  if (events.length === 0) return parsePlain(stdout, exitCode, now);

  let sessionId: string | undefined;
  /** The text parts of the current step, and of the last step that had any (by part id: a part sent twice counts once). */
  let step = new Map<unknown, string>();
  let answer = step;
  let steps = 0;
  let toolCalls = 0;
  let cost: number | undefined;
  const sums: Record<keyof Tokens, number | undefined> = {
    input: undefined,
    output: undefined,
    cache_read: undefined,
    cache_write: undefined,
    reasoning: undefined,
    total: undefined,
  };
  const add = (key: keyof Tokens, value: unknown): void => {
    const n = num(value);
    if (n !== undefined) sums[key] = (sums[key] ?? 0) + n;
  };
  const errors: ErrorEvent[] = [];

  for (const event of events) {
    const part = obj(event, 'part');
    sessionId ??= str(event.sessionID) ?? str(part?.sessionID);
    switch (event.type) {
      case 'step_start':
        step = new Map();
        break;
      case 'text': {
        const text = part?.text;
        if (typeof text === 'string' && text.trim() !== '') {
          step.set(str(part?.id) ?? Symbol('part'), text);
          answer = step;
        }
        break;
      }
      case 'tool_use':
        toolCalls++;
        break;
      case 'step_finish': {
        steps++;
        const stepCost = num(part?.cost);
        if (stepCost !== undefined) cost = (cost ?? 0) + stepCost;
        const tokens = obj(part, 'tokens');
        if (tokens) {
          add('input', tokens.input);
          add('output', tokens.output);
          add('reasoning', tokens.reasoning);
          add('total', tokens.total);
          const cache = obj(tokens, 'cache');
          add('cache_read', cache?.read);
          add('cache_write', cache?.write);
        }
        break;
      }
      case 'error': {
        const error = obj(event, 'error');
        const data = obj(error, 'data');
        const name = str(error?.name);
        const message = str(data?.message) ?? str(error?.message) ?? name ?? (typeof event.error === 'string' ? event.error : 'unknown error');
        errors.push({ message, status: num(data?.statusCode), name, retryAfterMs: retryAfterMs(obj(data, 'responseHeaders')) });
        break;
      }
      default:
        break;
    }
  }

  const text = [...answer.values()].join('\n\n').trim();
  const failedExit = exitCode !== 0 && text === '';
  const isError = errors.length > 0 || failedExit;
  const plain = nonJsonText(stdout);
  const error =
    errors.length > 0
      ? clip(errors.map((e) => e.message).join('; '), 300)
      : failedExit
        ? (lastLine(plain) ?? `opencode exited with code ${exitCode} without an answer`)
        : undefined;
  // opencode's input leaves the cache reads and writes out, its output the reasoning; Ralph's hold them (Tokens).
  const tokens = compact<Tokens>({ ...sums, input: sumOf(sums.input, sums.cache_read, sums.cache_write), output: sumOf(sums.output, sums.reasoning) });

  return compact<ParsedOutput>({
    text,
    isError,
    error,
    // opencode prices a model from its catalogue or the config; one it has no prices for costs "0":
    // with tokens spent, that is not known, so Ralph estimates it (prices.ts) or says unknown.
    costUsd: cost === undefined || (cost === 0 && (tokens.input ?? 0) + (tokens.output ?? 0) > 0) ? undefined : Math.round(cost * 1e10) / 1e10, // no 0.020000000000000004
    tokens: Object.keys(tokens).length > 0 ? tokens : undefined,
    sessionId,
    usageLimit: isError ? opencodeLimit(errors, plain, now) : undefined,
    cause: opencodeCause(errors),
    details: compact({ steps, tool_calls: toolCalls, errors: errors.length > 0 ? errors.length : undefined }),
  });
}

/** Not an event stream (an old opencode without --format json, or a crash before the first event). */
function parsePlain(stdout: string, exitCode: number | null, now: Date): ParsedOutput {
  const text = stripAnsi(stdout).trim();
  const isError = exitCode !== 0;
  return compact<ParsedOutput>({
    text,
    isError,
    error: isError ? (lastLine(text) ?? `opencode exited with code ${exitCode} without output`) : undefined,
    usageLimit: isError && text !== '' ? detectUsageLimit(tail(text), now) : undefined,
  });
}

/** An `error` event: its message, and what an APIError says about a rate limit. */
interface ErrorEvent {
  message: string;
  status: number | undefined;
  name: string | undefined;
  /** From the provider's `retry-after-ms` / `retry-after` (seconds) response header. */
  retryAfterMs: number | undefined;
}

/**
 * An API error with status 429 is a limit whatever its words (structured first), lifting when its
 * retry-after header says, else when the message says; otherwise the shared recogniser reads the errors.
 */
function opencodeLimit(errors: ErrorEvent[], plain: string, now: Date): UsageLimitInfo | undefined {
  const text = [...errors.map((e) => e.message), plain].filter((t) => t.trim() !== '').join('\n');
  const found = text === '' ? undefined : detectUsageLimit(text, now);
  const limited = errors.find((e) => e.status === 429 || /rate.?limit/i.test(e.name ?? ''));
  if (!limited) return found;
  const at = limited.retryAfterMs === undefined ? undefined : new Date(now.getTime() + limited.retryAfterMs);
  const resetsAt = at !== undefined && !Number.isNaN(at.getTime()) ? at.toISOString() : found?.resetsAt;
  return compact<UsageLimitInfo>({ message: clip(limited.message, 300), resetsAt });
}

/** An API error whose status names the failure (a 401 or 403 with any words is an auth failure); else the shared rules read the message. */
function opencodeCause(errors: readonly ErrorEvent[]): Diagnosis | undefined {
  const auth = errors.find((e) => e.status === 401 || e.status === 403 || /auth/i.test(e.name ?? ''));
  return auth === undefined ? undefined : { label: 'auth failure', detail: auth.message };
}

/** `retry-after-ms: 1500` or `retry-after: 31` (seconds; an HTTP date is left to the text). */
function retryAfterMs(headers: Record<string, unknown> | undefined): number | undefined {
  if (!headers) return undefined;
  const value = (name: string): number | undefined => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    const raw = key === undefined ? undefined : headers[key];
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(raw) ? Number(raw) : undefined;
    return n !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const ms = value('retry-after-ms');
  if (ms !== undefined) return ms;
  const seconds = value('retry-after');
  return seconds === undefined ? undefined : seconds * 1000;
}

function renderOpencodeLine(line: string): string | undefined {
  const event = obj(tryJson(line.trim()));
  if (!event || typeof event.type !== 'string') return undefined;
  const part = obj(event, 'part');
  switch (event.type) {
    case 'step_start':
      return '';
    case 'text':
      return typeof part?.text === 'string' ? `assistant: ${clip(part.text, 500)}` : '';
    case 'reasoning':
      return typeof part?.text === 'string' ? `thinking: ${clip(part.text, 200)}` : '';
    case 'tool_use': {
      const state = obj(part, 'state');
      const name = str(part?.tool) ?? '?';
      const input = toolSummary(obj(state, 'input'));
      if (state?.status === 'error') return `tool ${name} failed: ${input}${typeof state.error === 'string' ? ` → ${clip(state.error, 200)}` : ''}`;
      return `tool ${name}: ${input}`;
    }
    case 'step_finish': {
      const tokens = obj(part, 'tokens');
      const cost = num(part?.cost);
      const reason = str(part?.reason);
      const facts = [
        ...(reason === undefined ? [] : [reason]),
        ...(cost === undefined ? [] : [`$${cost.toFixed(4)}`]),
        ...(num(tokens?.input) === undefined ? [] : [`${num(tokens?.input)} in`]),
        ...(num(tokens?.output) === undefined ? [] : [`${num(tokens?.output)} out`]),
      ];
      return `step finished${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
    }
    case 'error': {
      const error = obj(event, 'error');
      const message = str(obj(error, 'data')?.message) ?? str(error?.message) ?? str(error?.name) ?? 'unknown error';
      return `error: ${clip(message, 300)}`;
    }
    default:
      return undefined;
  }
}

/** A tool's input in a few words: the command, path or pattern when there is one, else its JSON. */
function toolSummary(input: Record<string, unknown> | undefined): string {
  if (!input) return '';
  const main = str(input.command) ?? str(input.filePath) ?? str(input.path) ?? str(input.pattern) ?? str(input.url) ?? str(input.query);
  return clip(main ?? JSON.stringify(input), 300);
}
