import { compact, num, obj, str, sumOf, tryJson } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import type { UsageLimitInfo } from '../usage-limit.js';
import { labelOf } from '../cause.js';
import type { Diagnosis } from '../cause.js';
import { firstLine, nonEmpty, stripAnsi } from '../parse/text.js';
import { detectUsageLimit } from '../usage-limit.js';
import { nextMidnightIn } from '../wall-clock.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { GEMINI_PERMISSIONS } from '../permission-table.js';

/**
 * Gemini CLI (`gemini --output-format json -p …`): one JSON document at the end of the run,
 * pretty-printed, possibly after log lines:
 *
 *   {"session_id"?, "response":"…",
 *    "stats":{"models":{"gemini-2.5-pro":{"api":{…},"tokens":{"prompt","candidates","total","cached","thoughts","tool"}}},
 *             "tools":{"totalCalls",…},"files":{…}},
 *    "error"?:{"type","message","code"}}
 *
 * Gemini prepends what it reads on stdin to the -p text (`${stdin}\n\n${prompt}`), so the prompt
 * goes to stdin and -p only points at it. Note: on failure gemini writes its {"error":…} document
 * to stderr; this reads it wherever it is in the text it is given.
 */

/** The -p text: gemini puts it after the prompt read from stdin. */
export const GEMINI_PROMPT_HINT = 'Follow the instructions above.';

/** Most documents are found in one or two tries; garbage with many `{` lines costs at most this many. */
const MAX_TRIES = 64;

export const gemini = {
  name: 'gemini',
  title: 'Gemini CLI',
  bin: 'gemini',
  install: 'npm install -g @google/gemini-cli',
  verified: { how: 'real-binary', version: '0.61.0' },
  formatNote: '`gemini -p … --output-format json`: one JSON document (response, stats.models.*.tokens, error)',
  errorsOnStderr: true,

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = str(options.model);
    return {
      args: [
        '--output-format',
        'json',
        ...(model ? ['--model', model] : []),
        ...grantFor(gemini, options, ctx).args,
        '-p',
        GEMINI_PROMPT_HINT,
        ...options.extraArgs,
      ],
      // The working directory trusted (documented; older versions ignore it): else every headless run
      // stops at once, "not running in a trusted directory", exit 55.
      env: { GEMINI_CLI_TRUST_WORKSPACE: 'true' },
      stdin: prompt,
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => GEMINI_PERMISSIONS.levels[level],
  permissionFlags: GEMINI_PERMISSIONS.flags,

  /** The exit code adds nothing: a run without a response (or with an error) failed either way. */
  parse(stdout: string, _exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseGemini(stdout, now);
  },
} satisfies CliSpec;

function parseGemini(stdout: string, now: Date): ParsedOutput {
  const doc = findDocument(stdout);
  if (!doc) {
    // Plain text (an --output-format override in --agent-args?), a crash or a cut-off document.
    const text = stdout.trim();
    // A cut-off document is no answer; plain text may be one.
    const cutOff = /^\{/m.test(text);
    const retry = retrying(text);
    return compact<ParsedOutput>({
      text: cutOff ? '' : text,
      isError: true,
      // Killed while retrying the API, or gemini's own message when it stopped before its document
      // (stderr: an untrusted folder, no auth method…).
      error:
        text === ''
          ? 'no output'
          : cutOff
            ? 'the JSON document in the output is incomplete (truncated?)'
            : (retry?.detail ?? ownError(text) ?? 'no JSON document in the output'),
      usageLimit: text === '' ? undefined : detectUsageLimit(text, now),
      cause: retry,
    });
  }

  const response = typeof doc.response === 'string' ? doc.response : undefined;
  const error = obj(doc, 'error');
  const errorMessage = error ? (str(error.message) ?? str(error.type) ?? 'gemini reported an error') : undefined;
  // A document without a response is a failed run whatever the exit code (gemini always writes one).
  const isError = error !== undefined || response === undefined;
  const { tokens, tokensByModel, model } = modelStats(obj(obj(doc, 'stats'), 'models'));

  let usageLimit: UsageLimitInfo | undefined;
  if (error && isQuotaError(error)) {
    // Gemini may say it in its own words, without the time the API gave ("Please retry in 37.5s."):
    // that is then in its error report around the document.
    const said = detectUsageLimit(errorMessage ?? '', now);
    const resetsAt = DAILY_QUOTA.test(errorMessage ?? '') ? nextMidnightIn(now.getTime(), QUOTA_DAY_ZONE) : (said?.resetsAt ?? apiRetryDelay(stdout, now));
    usageLimit = compact<UsageLimitInfo>({ message: readable(errorMessage ?? '') ?? said?.message ?? 'quota exhausted', resetsAt });
  } else if (isError) {
    const text = [errorMessage, response, outsideText(stdout)].filter((t) => t !== undefined && t.trim() !== '').join('\n');
    if (text !== '') usageLimit = detectUsageLimit(text, now);
  }

  return compact<ParsedOutput>({
    text: response ?? '',
    isError,
    error: isError ? (readable(errorMessage ?? '') ?? 'no response in the output') : undefined,
    tokens,
    tokensByModel,
    sessionId: str(doc.session_id) ?? str(doc.sessionId),
    model,
    usageLimit,
    details: nonEmpty({
      tool_calls: num(obj(obj(doc, 'stats'), 'tools')?.totalCalls),
      error_type: str(error?.type),
      error_code: num(error?.code) ?? str(error?.code),
    }),
  });
}

/**
 * A per-day quota ("You have exhausted your daily quota on this model.", gemini's words for a
 * `…PerDay…` quota id): the API still says "Please retry in 37s", but a retry then fails again, all
 * day long. Google's daily quotas reset at midnight Pacific time.
 */
const DAILY_QUOTA = /daily quota|per ?day\b/i;
const QUOTA_DAY_ZONE = 'America/Los_Angeles';

/** When the API's own "Please retry in 37.5s" (a line anywhere in the text) says the limit lifts. */
function apiRetryDelay(text: string, now: Date): string | undefined {
  const line = text.split('\n').find((l) => /Please retry in [0-9.]+m?s\b/.test(l));
  return line === undefined ? undefined : detectUsageLimit(line, now)?.resetsAt;
}

/** 429, RESOURCE_EXHAUSTED or a quota message: the account or the model ran out. */
function isQuotaError(error: Record<string, unknown>): boolean {
  if (error.code === 429 || error.code === '429' || error.status === 429) return true;
  const words = [error.message, error.type, error.status].filter((v) => typeof v === 'string').join(' ');
  return /RESOURCE_EXHAUSTED|quota|rate limit|usage limit/i.test(words);
}

/**
 * Tokens summed over the models, and each model's (priced each at its rate); the model is the only
 * one, or the one that used the most.
 */
function modelStats(models: Record<string, unknown> | undefined): { tokens?: Tokens; tokensByModel?: Record<string, Tokens>; model?: string } {
  if (!models) return {};
  const sums: Record<keyof Tokens, number | undefined> = {
    input: undefined,
    output: undefined,
    cache_read: undefined,
    cache_write: undefined,
    reasoning: undefined,
    total: undefined,
  };
  const byModel: Record<string, Tokens> = {};
  let best: { name: string; total: number } | undefined;
  for (const [name, stats] of Object.entries(models)) {
    if (!obj(stats)) continue;
    const counts = obj(stats, 'tokens');
    const total = num(counts?.total) ?? 0;
    if (!best || total > best.total) best = { name, total };
    if (!counts) continue;
    const tokens = geminiTokens(counts);
    if (Object.keys(tokens).length > 0) byModel[name] = tokens;
    for (const key of Object.keys(sums) as Array<keyof Tokens>) sums[key] = add(sums[key], tokens[key]);
  }
  const tokens = compact<Tokens>(sums);
  return compact({
    tokens: Object.keys(tokens).length > 0 ? tokens : undefined,
    tokensByModel: Object.keys(byModel).length > 1 ? byModel : undefined,
    model: best?.name,
  });
}

/**
 * One model's counts in Ralph's meaning (Tokens). Gemini's `prompt` holds the cached tokens
 * (`input` is the prompt without them, in 0.61.0) and `tool` the tool-use prompt tokens, both read as
 * input; its `candidates` leave the `thoughts` out: output is both.
 */
function geminiTokens(t: Record<string, unknown>): Tokens {
  const cached = num(t.cached);
  const prompt = num(t.prompt) ?? (num(t.input) === undefined ? undefined : sumOf(num(t.input), cached));
  return compact<Tokens>({
    input: prompt === undefined ? undefined : sumOf(prompt, num(t.tool)),
    output: sumOf(num(t.candidates), num(t.thoughts)),
    cache_read: cached,
    reasoning: num(t.thoughts),
    total: num(t.total),
  });
}

function add(sum: number | undefined, value: number | undefined): number | undefined {
  return value === undefined ? sum : (sum ?? 0) + value;
}

/** A JSON object that looks like gemini's document (response, stats, error or session_id). */
function asDocument(value: unknown): Record<string, unknown> | undefined {
  const o = obj(value);
  return o && ('response' in o || 'stats' in o || 'error' in o || 'session_id' in o) ? o : undefined;
}

/**
 * Gemini's document in stdout: all of it; else the last object that starts a line (log lines may
 * come before or after it); else the first `{` anywhere. Never throws, bounded work.
 */
function findDocument(stdout: string): Record<string, unknown> | undefined {
  const whole = asDocument(tryJson(stdout.trim()));
  if (whole) return whole;
  const starts: number[] = [];
  for (let at = stdout.indexOf('{'); at >= 0; at = stdout.indexOf('{', at + 1)) {
    if (at === 0 || stdout[at - 1] === '\n') starts.push(at);
  }
  let tries = 0;
  for (let i = starts.length - 1; i >= 0 && tries < MAX_TRIES; i--, tries++) {
    const doc = objectAt(stdout, starts[i]!);
    if (doc) return doc;
  }
  const first = stdout.indexOf('{');
  return first >= 0 && !starts.includes(first) ? objectAt(stdout, first) : undefined;
}

/** The document whose `{` is at `start`, matched brace by brace (strings respected). */
function objectAt(text: string, start: number): Record<string, unknown> | undefined {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return asDocument(tryJson(text.slice(start, i + 1)));
  }
  return undefined;
}

/** Gemini retrying the API (killed by a timeout before it gave up): what its last attempt ran into. */
function retrying(text: string): Diagnosis | undefined {
  const attempts = [...stripAnsi(text).matchAll(/Attempt (\d+) failed\. Retrying with backoff\.\.\. *(.*)/g)];
  const last = attempts.at(-1);
  if (!last) return undefined;
  const why = firstLine(last[2]!.replace(/^Error: (?:exception )?/, '')) ?? 'an API error';
  return { label: labelOf(why) ?? 'API error', detail: `gemini was retrying the API (attempt ${last[1]}: ${why})` };
}

/** Lines gemini prints on stderr in every run: never the cause. */
const NOISE = /^(?:Warning: 256-color support|YOLO mode is enabled|Ripgrep is not available|Loaded cached credentials|\[STARTUP\]|Data collection is disabled)/;
const SAYS_ERROR = /\b(?:error|not|cannot|can't|failed|unable|invalid|refused|denied|missing|please)\b/i;

/** Gemini's own message when it stopped before writing its document (stderr: trust, auth…). */
function ownError(text: string): string | undefined {
  const lines = stripAnsi(text)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE.test(l));
  const line = lines.find((l) => SAYS_ERROR.test(l));
  return line === undefined ? undefined : firstLine(line);
}

/** The lines that cannot belong to the document (log lines before or after it). */
function outsideText(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^[\s{}[\]"]/.test(l))
    .join('\n');
}

/**
 * An error message for one log line: the API's own words when the message wraps a Google error body
 * ("[API Error: {"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}]"), else its first line.
 */
function readable(message: string): string | undefined {
  const start = message.indexOf('{');
  const end = message.lastIndexOf('}');
  if (start >= 0 && end > start) {
    const body = obj(tryJson(message.slice(start, end + 1)));
    const inner = obj(body, 'error') ?? body;
    const what = str(inner?.message);
    const status = str(inner?.status);
    if (what) return firstLine(status ? `${status}: ${what}` : what);
  }
  return firstLine(message);
}
