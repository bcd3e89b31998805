import { compact, jsonLines, num, obj, str, tryJson } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput } from '../cli-spec.js';
import { detectUsageLimit } from '../usage-limit.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { CURSOR_PERMISSIONS } from '../permission-table.js';
import { clip, firstLine, lastLine, nonEmpty, nonJsonText, stripAnsi, tail } from '../parse/text.js';

/**
 * Cursor Agent (`cursor-agent -p --output-format json PROMPT`): one JSON object when the run completes,
 *
 *   {"type":"result","subtype":"success","is_error":false,"duration_ms","duration_api_ms","result","session_id","request_id"?}
 *
 * and nothing on stdout when it fails (the message goes to stderr, the exit code is non-zero).
 * `--output-format stream-json` (through --agent-args) is read too: NDJSON
 *
 *   {"type":"system","subtype":"init","session_id","model","cwd","apiKeySource","permissionMode"}
 *   {"type":"user","message":{…}}   {"type":"assistant","message":{"content":[{"type":"text","text"}]}}
 *   {"type":"tool_call","subtype":"started"|"completed","call_id","tool_call":{"shellToolCall":{"args":{…},"result"?}}}
 *   … ending with the same result object.
 *
 * Cursor reports neither cost nor tokens. `--force` (run commands without asking) is not passed by
 * default: add it with --agent-args.
 */
export const cursor = {
  name: 'cursor',
  title: 'Cursor Agent',
  bin: 'cursor-agent',
  install: 'curl https://cursor.com/install -fsS | bash',
  verified: { how: 'fixtures' },
  cost: 'none',
  formatNote:
    "`--output-format json` result object and stream-json events as in Cursor's CLI output-format reference; no cost or " +
    'token counts; failures print nothing on stdout. Not run against the real binary here. The prompt is passed as the ' +
    'last argument, as documented (so it is limited to 128 KiB and visible in `ps`).',

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = str(options.model?.trim());
    return {
      args: ['-p', '--output-format', 'json', ...(model ? ['--model', model] : []), ...grantFor(cursor, options, ctx).args, ...options.extraArgs, prompt],
      env: {},
      stdin: '',
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => CURSOR_PERMISSIONS.levels[level],
  permissionFlags: CURSOR_PERMISSIONS.flags,

  parse(stdout: string, exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseCursor(stdout, exitCode, now);
  },

  renderLine(line: string): string | undefined {
    return renderCursorLine(line);
  },
} satisfies CliSpec;

function parseCursor(stdout: string, exitCode: number | null, now: Date): ParsedOutput {
  const events = jsonLines(stdout).filter((e) => typeof e.type === 'string');
  const plain = nonJsonText(stdout);
  if (events.length === 0) {
    // `--output-format text`, or a failure (which prints nothing here: the message went to stderr).
    const isError = exitCode !== 0;
    return compact<ParsedOutput>({
      text: plain === '' ? '' : stripAnsi(stdout).trim(),
      isError,
      error: isError ? (lastLine(plain) ?? `cursor-agent exited with code ${exitCode} (its message is on stderr)`) : undefined,
      usageLimit: isError && plain !== '' ? detectUsageLimit(tail(plain), now) : undefined,
    });
  }

  let sessionId: string | undefined;
  let model: string | undefined;
  let result: Record<string, unknown> | undefined;
  /** The assistant's words since the last tool call (the final answer when there is no result). */
  let sinceTool: string[] = [];
  let toolCalls = 0;
  for (const event of events) {
    sessionId ??= str(event.session_id);
    if (event.type === 'system') model ??= str(event.model);
    else if (event.type === 'assistant') {
      const text = messageText(obj(event, 'message'));
      if (text !== '') sinceTool.push(text);
    } else if (event.type === 'tool_call') {
      if (event.subtype === 'started') toolCalls++;
      sinceTool = [];
    } else if (event.type === 'result') result = event;
  }

  if (!result) {
    // A stream that ended early: cursor-agent failed (message on stderr) or was killed.
    return compact<ParsedOutput>({
      text: sinceTool.join('').trim(),
      isError: true,
      error: lastLine(plain) ?? (exitCode === 0 ? 'no result event in the output (truncated?)' : `cursor-agent exited with code ${exitCode} before its result`),
      sessionId,
      model,
      usageLimit: plain === '' ? undefined : detectUsageLimit(tail(plain), now),
      details: nonEmpty({ tool_calls: toolCalls > 0 ? toolCalls : undefined }),
    });
  }

  const resultText = typeof result.result === 'string' ? result.result : undefined;
  const subtype = str(result.subtype);
  // is_error first; a subtype other than success fails the run too.
  const isError = result.is_error === true || (subtype !== undefined && subtype !== 'success');
  const errorText = [str(result.error), resultText, plain].filter((t): t is string => t !== undefined && t.trim() !== '').join('\n');
  return compact<ParsedOutput>({
    text: (resultText ?? sinceTool.join('')).trim(),
    isError,
    error: isError ? (firstLine(errorText) ?? subtype ?? 'cursor-agent reported an error') : undefined,
    sessionId: str(result.session_id) ?? sessionId,
    model,
    usageLimit: isError && errorText !== '' ? detectUsageLimit(errorText, now) : undefined,
    details: nonEmpty({
      subtype,
      duration_ms: num(result.duration_ms),
      duration_api_ms: num(result.duration_api_ms),
      request_id: str(result.request_id),
      tool_calls: toolCalls > 0 ? toolCalls : undefined,
    }),
  });
}

function messageText(message: Record<string, unknown> | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) => {
      const block = obj(b);
      return block?.type === 'text' && typeof block.text === 'string' ? block.text : '';
    })
    .join('');
}

function renderCursorLine(line: string): string | undefined {
  const event = obj(tryJson(line.trim()));
  if (!event || typeof event.type !== 'string') return undefined;
  switch (event.type) {
    case 'system': {
      if (event.subtype !== 'init') return undefined;
      const model = str(event.model);
      return `session ${str(event.session_id) ?? '?'} started${model ? ` (model ${model})` : ''}`;
    }
    case 'user':
      return ''; // the prompt, echoed back
    case 'thinking':
      return '';
    case 'assistant': {
      const text = messageText(obj(event, 'message'));
      return text.trim() === '' ? '' : `assistant: ${clip(text, 500)}`;
    }
    case 'tool_call': {
      const { name, call } = toolOf(obj(event, 'tool_call'));
      if (event.subtype === 'started') return `tool ${name}: ${toolSummary(call)}`;
      const outcome = obj(call, 'result');
      if (outcome && ('error' in outcome || 'failure' in outcome || 'rejected' in outcome)) {
        return `tool ${name} failed: ${clip(JSON.stringify(outcome.error ?? outcome.failure ?? outcome.rejected), 200)}`;
      }
      return '';
    }
    case 'result': {
      const ms = num(event.duration_ms);
      const facts = [str(event.subtype) ?? '?', ...(event.is_error === true ? ['is_error'] : []), ...(ms === undefined ? [] : [`${(ms / 1000).toFixed(1)}s`])];
      const text = typeof event.result === 'string' ? `: ${clip(event.result, 200)}` : '';
      return `result (${facts.join(', ')})${text}`;
    }
    default:
      return undefined;
  }
}

/** `{"shellToolCall":{…}}` → shell; `{"function":{"name":…}}` → that name. */
function toolOf(toolCall: Record<string, unknown> | undefined): { name: string; call: Record<string, unknown> | undefined } {
  if (!toolCall) return { name: '?', call: undefined };
  const fn = obj(toolCall, 'function');
  if (fn) return { name: str(fn.name) ?? 'function', call: fn };
  const key = Object.keys(toolCall)[0];
  if (key === undefined) return { name: '?', call: undefined };
  return { name: key.replace(/ToolCall$/, ''), call: obj(toolCall, key) };
}

/** A tool call's arguments in a few words: the command, path or pattern when there is one. */
function toolSummary(call: Record<string, unknown> | undefined): string {
  const args = obj(call, 'args');
  if (!args) return typeof call?.arguments === 'string' ? clip(call.arguments, 300) : '';
  const main = str(args.command) ?? str(args.path) ?? str(args.pattern) ?? str(args.globPattern) ?? str(args.query) ?? str(args.url);
  return clip(main ?? JSON.stringify(args), 300);
}
