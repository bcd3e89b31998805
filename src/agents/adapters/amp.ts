import { compact, jsonLines, num, obj, str, sumOf, tryJson } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import { detectUsageLimit } from '../usage-limit.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { AMP_PERMISSIONS } from '../permission-table.js';
import { clip, firstLine, lastLine, nonEmpty, nonJsonText, stripAnsi, tail } from '../parse/text.js';

/**
 * Sourcegraph Amp (`amp -x --stream-json`, the prompt on stdin): Claude-Code-compatible NDJSON.
 *
 *   {"type":"system","subtype":"init","cwd","session_id":"T-…","tools":[…],"mcp_servers":[…]}
 *   {"type":"user","message":{"role":"user","content":[{"type":"text"|"tool_result",…}]},"session_id"}
 *   {"type":"assistant","message":{"id"?,"model"?,"content":[{"type":"text"|"tool_use"|"thinking",…}],
 *     "usage":{"input_tokens","output_tokens","cache_read_input_tokens","cache_creation_input_tokens"}},"session_id"}
 *   {"type":"result","subtype":"success"|"error_during_execution"|"error_max_turns","is_error","result",
 *    "error"?,"duration_ms","num_turns","session_id","usage"?}
 *
 * Amp reports no cost (its credits are account-level): costUsd only if a result carries total_cost_usd.
 * Tokens come from the result's usage if present, else the sum of the assistant messages' usage.
 * Without --stream-json, `amp -x` prints only the final message: that is read as the answer.
 */
export const amp = {
  name: 'amp',
  title: 'Amp',
  bin: 'amp',
  install: 'npm install -g @ampcode/cli',
  verified: { how: 'fixtures' },
  formatNote:
    "`amp -x --stream-json` events as in Amp's announcement of the flag (Claude-Code-compatible: system/user/assistant/result); " +
    'error results assumed to follow Claude Code (is_error, subtype error_*, message in error or result); not run against the ' +
    'real binary here. Amp chooses models by mode, so --model is passed as --mode (smart, rush, deep…).',

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const mode = str(options.model?.trim());
    return {
      args: ['-x', '--stream-json', ...(mode ? ['--mode', mode] : []), ...grantFor(amp, options, ctx).args, ...options.extraArgs],
      env: {},
      // Execute mode reads the message from stdin when none is given as an argument.
      stdin: prompt,
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => AMP_PERMISSIONS.levels[level],
  permissionFlags: AMP_PERMISSIONS.flags,

  parse(stdout: string, exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseAmp(stdout, exitCode, now);
  },

  renderLine(line: string): string | undefined {
    return renderAmpLine(line);
  },
} satisfies CliSpec;

function parseAmp(stdout: string, exitCode: number | null, now: Date): ParsedOutput {
  const events = jsonLines(stdout).filter((e) => typeof e.type === 'string');
  if (events.length === 0) {
    // Plain `amp -x` (no --stream-json): the final message, or an error message.
    const text = stripAnsi(stdout).trim();
    const isError = exitCode !== 0;
    return compact<ParsedOutput>({
      text,
      isError,
      error: isError ? (lastLine(text) ?? `amp exited with code ${exitCode} without output`) : undefined,
      usageLimit: isError && text !== '' ? detectUsageLimit(tail(text), now) : undefined,
    });
  }

  let sessionId: string | undefined;
  let model: string | undefined;
  let result: Record<string, unknown> | undefined;
  let lastText = '';
  /** Assistant usage by message id (a message seen twice counts once); messages without id each count. */
  const usages = new Map<unknown, Record<string, unknown>>();
  for (const event of events) {
    sessionId ??= str(event.session_id);
    if (event.type === 'assistant') {
      const message = obj(event, 'message');
      model ??= str(message?.model);
      const texts = contentBlocks(message)
        .filter((b) => b.type === 'text' && typeof b.text === 'string' && b.text.trim() !== '')
        .map((b) => b.text as string);
      if (texts.length > 0) lastText = texts.join('\n\n');
      const usage = obj(message, 'usage');
      if (usage) usages.set(str(message?.id) ?? Symbol('message'), usage);
    } else if (event.type === 'result') {
      result = event;
    }
  }
  const resultUsage = obj(result, 'usage');
  const tokens = tokensOf(resultUsage ? [resultUsage] : [...usages.values()]);

  if (!result) {
    // Truncated stream, crash or kill: what the assistant said last, and no verdict.
    const plain = nonJsonText(stdout);
    return compact<ParsedOutput>({
      text: lastText.trim(),
      isError: true,
      error: lastLine(plain) ?? (exitCode === 0 ? 'no result event in the output (truncated?)' : `amp exited with code ${exitCode} before its result`),
      tokens,
      sessionId,
      model,
      usageLimit: plain === '' ? undefined : detectUsageLimit(tail(plain), now),
    });
  }

  const resultText = typeof result.result === 'string' ? result.result : undefined;
  const subtype = str(result.subtype);
  // is_error first: a run can fail with subtype "success"; an error_* subtype fails it too.
  const isError = result.is_error === true || (subtype?.startsWith('error') ?? false);
  const errors = Array.isArray(result.errors) ? result.errors.filter((e): e is string => typeof e === 'string' && e.trim() !== '') : [];
  const errorText = [str(result.error), ...errors, resultText].filter((t): t is string => t !== undefined && t.trim() !== '');
  return compact<ParsedOutput>({
    text: (resultText ?? lastText).trim(),
    isError,
    error: isError ? (firstLine(errorText.join('\n')) ?? subtype ?? 'amp reported an error') : undefined,
    costUsd: num(result.total_cost_usd) ?? num(result.cost_usd),
    tokens,
    sessionId: str(result.session_id) ?? sessionId,
    model,
    usageLimit: isError && errorText.length > 0 ? detectUsageLimit([...errorText, nonJsonText(stdout)].join('\n'), now) : undefined,
    details: nonEmpty({ subtype, num_turns: num(result.num_turns), duration_ms: num(result.duration_ms) }),
  });
}

function tokensOf(usages: Record<string, unknown>[]): Tokens | undefined {
  const sums: Tokens = {};
  const add = (key: keyof Tokens, value: unknown): void => {
    const n = num(value);
    if (n !== undefined) sums[key] = (sums[key] ?? 0) + n;
  };
  for (const usage of usages) {
    add('input', usage.input_tokens);
    add('output', usage.output_tokens);
    add('cache_read', usage.cache_read_input_tokens);
    add('cache_write', usage.cache_creation_input_tokens);
  }
  // Anthropic's input_tokens leaves the cache reads and writes out; Ralph's input holds them (Tokens).
  if (sums.input !== undefined) sums.input = sumOf(sums.input, sums.cache_read, sums.cache_write);
  return Object.keys(sums).length > 0 ? sums : undefined;
}

function contentBlocks(message: Record<string, unknown> | undefined): Record<string, unknown>[] {
  const content = message?.content;
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Record<string, unknown> => obj(b) !== undefined);
}

function renderAmpLine(line: string): string | undefined {
  const event = obj(tryJson(line.trim()));
  if (!event || typeof event.type !== 'string') return undefined;
  switch (event.type) {
    case 'system':
      return event.subtype === 'init' ? `session ${str(event.session_id) ?? '?'} started` : undefined;
    case 'assistant': {
      const parts: string[] = [];
      for (const block of contentBlocks(obj(event, 'message'))) {
        if (block.type === 'text' && typeof block.text === 'string') parts.push(`assistant: ${clip(block.text, 500)}`);
        else if (block.type === 'tool_use') parts.push(`tool ${str(block.name) ?? '?'}: ${toolSummary(block.input)}`);
        else if (block.type === 'thinking' && typeof block.thinking === 'string') parts.push(`thinking: ${clip(block.thinking, 200)}`);
      }
      return parts.length > 0 ? parts.join(' | ') : '';
    }
    case 'user': {
      // The prompt echoed back is left out; tool results are shown briefly.
      const parts: string[] = [];
      for (const block of contentBlocks(obj(event, 'message'))) {
        if (block.type !== 'tool_result') continue;
        parts.push(`tool result${block.is_error === true ? ' (error)' : ''}: ${clip(resultContent(block.content), 200)}`);
      }
      return parts.join(' | ');
    }
    case 'result': {
      const turns = num(event.num_turns);
      const ms = num(event.duration_ms);
      const facts = [
        str(event.subtype) ?? '?',
        ...(event.is_error === true ? ['is_error'] : []),
        ...(turns === undefined ? [] : [`${turns} turn${turns === 1 ? '' : 's'}`]),
        ...(ms === undefined ? [] : [`${(ms / 1000).toFixed(1)}s`]),
      ];
      const message = str(event.error) ?? (typeof event.result === 'string' ? event.result : undefined);
      return `result (${facts.join(', ')})${message ? `: ${clip(message, 200)}` : ''}`;
    }
    default:
      return undefined;
  }
}

/** A tool's input in a few words: the command, path or pattern when there is one, else its JSON. */
function toolSummary(value: unknown): string {
  const input = obj(value);
  if (!input) return '';
  const main = str(input.cmd) ?? str(input.command) ?? str(input.path) ?? str(input.file_path) ?? str(input.pattern) ?? str(input.query) ?? str(input.url);
  return clip(main ?? JSON.stringify(input), 300);
}

/** A tool_result's content: a string, or text blocks. */
function resultContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        const block = obj(b);
        return typeof block?.text === 'string' ? block.text : '';
      })
      .filter((t) => t !== '')
      .join(' ');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}
