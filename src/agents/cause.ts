import { isLimitLine } from './usage-limit.js';
import { clip, stripAnsi } from './parse/text.js';

/**
 * The one-line cause of a failed agent run: what happened (exit code, timeout, the CLI's own error),
 * named where it can be (auth failure, API unreachable, usage limit, max turns…), in the agent's own
 * words. It is the first line of a task's `error`; the log excerpt follows it. Pure.
 */

/** What an adapter read from the structure of its CLI's output (claude's `api_error`, a `FatalAuthenticationError`…). */
export interface Diagnosis {
  /** What kind of failure: "auth failure", "API unreachable", "max turns reached"… */
  label: string;
  /** What the agent said or did, when the label alone does not say it (one line). */
  detail?: string;
}

export interface CauseRule {
  label: string;
  /** Whether one line of the agent's words shows this cause. */
  test: (line: string) => boolean;
}

const rule = (label: string, ...patterns: RegExp[]): CauseRule => ({ label, test: (line) => patterns.some((p) => p.test(line)) });

/**
 * What the agents' messages say, first match wins: the specific before the general (an auth error
 * that mentions 403 is an auth failure, not a permission problem). Checked against the CLIs' recorded
 * outputs (test/fixtures/agents/) and what the real Claude Code prints (test/agents/claude-real).
 */
export const CAUSE_RULES: readonly CauseRule[] = [
  { label: 'usage limit', test: isLimitLine },
  rule(
    'auth failure',
    /invalid (?:x-)?api[ _-]?key|incorrect api key|api key (?:is )?(?:missing|invalid|not set|not valid)|authentication[ _]?(?:error|failed|failure|required)|failed to authenticate|AuthenticationError|ProviderAuthError|not logged in|not authenticated|run \/login|(?:run|use|try) `?[\w-]+(?: auth)? login|no authentication|set an auth method|unauthori[sz]ed|missing bearer|(?:status|code|error)\W{0,3}401\b/i,
  ),
  rule(
    'context too long',
    /prompt is too long|prompt_too_long|context[ _]length|maximum context|context window|too many tokens|input is too long|request_too_large/i,
  ),
  rule('max turns reached', /max(?:imum)?[ _-](?:number of )?turns|turn limit/i),
  rule('model not found', /model_not_found|issue with the selected model|unknown model|model \S+ (?:does not exist|not found)/i),
  rule(
    'API unreachable',
    /\b(?:ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEDOUT)\b/,
    /connection (?:refused|error|failed|reset|timed out)|could not resolve host|getaddrinfo|failed to connect|unable to connect|fetch failed|network (?:error|is unreachable)|socket hang up|APIConnectionError|name resolution/i,
  ),
  rule('API overloaded', /overloaded|(?:status|code|error|API Error)\W{0,3}529\b|service unavailable|experiencing high demand/i, /\bUNAVAILABLE\b/),
  rule('rate limited', /rate[ _-]?limit|too many requests|(?:status|code|error|API Error)\W{0,3}429\b/i),
  rule(
    'permission denied',
    /permission denied|permission_error|permission_denied|EACCES|operation not permitted|requires approval|was rejected|cannot be used with root/i,
  ),
  rule('command not found', /command not found|: not found$|not found on PATH/i),
];

/** The first rule that one line matches. */
export function labelOf(line: string, rules: readonly CauseRule[] = CAUSE_RULES): string | undefined {
  return rules.find((r) => r.test(line))?.label;
}

/** The last line (from the end) that a rule names, with its label. */
export function diagnoseLines(lines: readonly string[]): { label: string; line: string } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const label = labelOf(lines[i]!);
    if (label) return { label, line: lines[i]! };
  }
  return undefined;
}

/** The longest cause line; longer is clipped. */
export const CAUSE_MAX = 300;

/**
 * `label — what happened: detail`, on one line, clipped; the parts that are missing are left out:
 * "API unreachable — timed out after 30s (--task-timeout): Claude Code was retrying (attempt 3 of 10)".
 */
export function composeCause(head: string, label?: string, detail?: string): string {
  const said = detail === undefined ? undefined : flat(detail);
  const line = `${label ? `${label} — ` : ''}${head}${said ? `: ${said}` : ''}`;
  return clipLine(line, CAUSE_MAX);
}

/** The lines of an excerpt, each made readable by `render` (an adapter's stream-event renderer) and cut. */
export function excerptLines(tail: string, render?: (line: string) => string | undefined, max = 10, width = 300): string[] {
  const out: string[] = [];
  for (const raw of tail.replace(/\r\n?/g, '\n').split('\n')) {
    const line = stripAnsi(raw).trim();
    if (line === '') continue;
    let shown: string | undefined;
    try {
      shown = render?.(line);
    } catch {
      shown = undefined;
    }
    if (shown === '' || (shown === undefined && /^[\s{}[\],]*$/.test(line))) continue; // a JSON document's brackets say nothing
    out.push(clipLine(shown ?? summarizeJson(line) ?? line, width));
  }
  return max <= 0 ? [] : out.slice(-max);
}

/**
 * A stream event no renderer knew, as one short line (`system/api_retry event`) instead of kilobytes
 * of JSON; undefined for a line that is not a JSON object.
 */
export function summarizeJson(line: string): string | undefined {
  if (!line.startsWith('{"')) return undefined;
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const kind = [value.type, value.subtype].filter((v) => typeof v === 'string' && v !== '').join('/');
    return `${kind || 'JSON'} event (${Object.keys(value).length} fields)`;
  } catch {
    // Cut off (the agent was killed while printing it, or the tail starts in its middle).
    const type = /^\{"type"\s*:\s*"([^"]{1,40})"/.exec(line)?.[1];
    const text = /"(?:text|result|message)"\s*:\s*"((?:[^"\\]|\\.){1,200})/.exec(line)?.[1];
    return `${type ?? 'JSON'} event (cut off)${text ? `: ${text.replace(/\\n/g, ' ')}` : ''}`;
  }
}

/**
 * The one-line cause of a recorded failure: the first line of its `error`. An error written before
 * causes came first ("agent exited with code 3; last output:\nboom") gets its last output line as
 * the detail ("agent exited with code 3: boom").
 */
export function causeOf(error: string | undefined): string {
  const lines = (error ?? '').replace(/\r\n?/g, '\n').split('\n');
  const first = (lines[0] ?? '').trim();
  const legacy = /^(.*?);? last output:$/.exec(first);
  if (legacy) {
    const last = lines
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1);
    return clipLine(last === undefined ? legacy[1]! : `${legacy[1]!}: ${last}`, CAUSE_MAX);
  }
  return first === '' ? 'unknown error' : clipLine(first, CAUSE_MAX);
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** On one line (whitespace runs made one space), cut at `max` characters. */
export function clipLine(text: string, max: number): string {
  return clip(flat(text), max);
}
