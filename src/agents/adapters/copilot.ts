import type { Diagnosis } from '../cause.js';
import { compact } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import type { UsageLimitInfo } from '../usage-limit.js';
import { detectUsageLimit } from '../usage-limit.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { COPILOT_PERMISSIONS } from '../permission-table.js';
import { clip, lastLine, stripAnsi } from '../parse/text.js';

/**
 * GitHub Copilot CLI (`copilot -p PROMPT --allow-all-tools`): plain text. Verified with 1.0.102 (test/agents/
 * copilot-real.test.ts): the answer and tool activity ("● write (shell)", "● … Retrying...") on stdout;
 * errors and the summary on stderr, so `readsStderr` has both streams read, interleaved:
 *
 *   Authentication failed with provider at http://127.0.0.1:8080/v1 (HTTP 401).     ← an error, exit 1
 *     Check your COPILOT_PROVIDER_API_KEY, …
 *
 *   Changes    +0 -0
 *   Duration   2s
 *   Tokens     ↑ 2.4k (200 cached) • ↓ 68 (14 reasoning)
 *   Resume     copilot --resume=40b88e30-5fab-4254-976b-b5fe7f0e7822
 *
 * Counts are rounded as printed (2.4k). `--output-format json` (JSONL events) has the session id and
 * structured errors but no token counts in 1.0.102, so the text is read. Earlier versions printed a
 * summary on stdout ("Total usage est: 1 Premium request", "Usage by model:" / "Breakdown by AI model:"
 * with a line per model: "gpt-5.4  1.2m in, 17.4k out, 1.1m cached, 9.9k reasoning"); it is read too.
 * Premium requests are not dollars: costUsd stays unknown, the count goes to details.
 */
export const copilot = {
  name: 'copilot',
  title: 'GitHub Copilot CLI',
  bin: 'copilot',
  install: 'npm install -g @github/copilot',
  verified: { how: 'real-binary', version: '1.0.102' },
  formatNote:
    'plain text, not a documented format: the answer on stdout, errors and the summary (tokens as rounded as printed, ' +
    'the session id in "Resume copilot --resume=<id>") on stderr. The prompt is passed as the -p argument (limited to 128 KiB, visible in `ps`).',
  readsStderr: true,

  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = options.model?.trim();
    return {
      args: ['-p', prompt, ...grantFor(copilot, options, ctx).args, ...(model ? ['--model', model] : []), ...options.extraArgs],
      env: {},
      stdin: '',
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => COPILOT_PERMISSIONS.levels[level],
  permissionFlags: COPILOT_PERMISSIONS.flags,

  /** `output`: stdout and stderr interleaved (see readsStderr); a fixture of stdout alone works too. */
  parse(output: string, exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseCopilot(output, exitCode, now);
  },
} satisfies CliSpec;

const SUMMARY_START = /^\s*Total usage est:/i;
const MODELS_HEADER = /^\s*(?:Usage by model|Breakdown by AI model):\s*$/i;
const PREMIUM = /^\s*Total usage est:\s*([\d.]+)\s+Premium requests?\b/i;
/** Summary facts kept as printed, for the worker log. */
const FACTS: ReadonlyArray<[RegExp, string]> = [
  [/^\s*(?:Total duration \(API\)|API time spent):\s*(.+?)\s*$/i, 'api_duration'],
  [/^\s*(?:Total duration \(wall\)|Total session time):\s*(.+?)\s*$/i, 'wall_duration'],
  [/^\s*Total code changes:\s*(.+?)\s*$/i, 'code_changes'],
];
/** "claude-sonnet-4.5    12.3k input, 456 output, … (Est. 1 Premium request)". */
const MODEL_LINE = /^\s*(\S+)\s+(\d.*?)\s*(?:\(Est\.[^)]*\))?\s*$/;
/** "12.3k input", "1,234 input", "1.2m in", "0 cache read", "1.1m cached", "9.9k reasoning". */
const TOKEN_PART = /(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\s+(input|in|output|out|cache read|cached|cache write|reasoning)\b/g;
const TOKEN_KEYS: Record<string, keyof Tokens> = {
  input: 'input',
  in: 'input',
  output: 'output',
  out: 'output',
  'cache read': 'cache_read',
  cached: 'cache_read',
  'cache write': 'cache_write',
  reasoning: 'reasoning',
};
/** Copilot's own words for an exhausted allowance or a rate limit (the shared recogniser comes first). */
const COPILOT_LIMIT =
  /\b(?:exceeded|reached|used up|out of|hit)\b.*\b(?:premium requests?|allowance|rate.?limit|quota)|\b(?:premium requests?|allowance|rate.?limit|quota)\b.*\b(?:exceeded|reached)\b|\btoo many requests\b|\b429\b/i;

/** The summary block of 1.0.x: "Tokens     ↑ 2.4k …", aligned "Key   value" lines at the end. */
const SUMMARY_LINE = /^(Changes|Duration|Tokens|Resume|Requests|Premium requests|AI credits|Usage)\s{2,}(\S.*?)\s*$/;
const SUMMARY_KEYS: Record<string, string> = { Changes: 'code_changes', Duration: 'wall_duration' };
/** "● Response was interrupted due to a server error. Retrying...": Copilot retrying the model API. */
const RETRY_NOTICE = /^\s*●\s+(.*\bRetrying\.\.\.)\s*$/;
/** What Copilot prints when it is stopped (SIGTERM) mid-run: not the answer, not the failure. */
const SHUTDOWN =
  /^\s*(?:Exiting(?:…|\.\.\.)?|●\s+Operation cancelled by user|Error executing prompt: Error: Cannot invoke native session after disposal has started)\s*$/;
/** "↑ 2.4k (200 cached) • ↓ 68 (14 reasoning)". */
const NEW_TOKENS: ReadonlyArray<[RegExp, keyof Tokens]> = [
  [/↑\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?/, 'input'],
  [/↓\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?/, 'output'],
  [/(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\s+cached\b/, 'cache_read'],
  [/(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\s+cache writes?\b/, 'cache_write'],
  [/(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\s+reasoning\b/, 'reasoning'],
];

function parseCopilot(output: string, exitCode: number | null, now: Date): ParsedOutput {
  const lines = stripAnsi(output).replace(/\r\n?/g, '\n').split('\n');
  const tail = newSummaryStart(lines);
  let start = tail ?? lines.findIndex((l) => SUMMARY_START.test(l));
  if (start < 0) start = lines.findIndex((l) => MODELS_HEADER.test(l));
  const hasSummary = start >= 0;
  const before = hasSummary ? lines.slice(0, start) : lines;
  const summary = hasSummary ? lines.slice(start) : [];
  const retries = before.flatMap((l) => RETRY_NOTICE.exec(l)?.[1] ?? []);
  const body = before.filter((l) => !RETRY_NOTICE.test(l) && !SHUTDOWN.test(l));

  const details: Record<string, unknown> = {};
  const sums: Tokens = {};
  const models: string[] = [];
  let sessionId: string | undefined;
  if (tail !== undefined) {
    for (const line of summary) {
      const [, key = '', value = ''] = SUMMARY_LINE.exec(line) ?? [];
      if (key === 'Tokens') for (const [re, name] of NEW_TOKENS) addCount(sums, name, re.exec(value));
      else if (key === 'Resume') sessionId = /--resume[= ](\S+)/.exec(value)?.[1];
      else if (SUMMARY_KEYS[key]) details[SUMMARY_KEYS[key]] = value;
    }
  } else {
    readOldSummary(summary, details, sums, models);
  }

  const text = body.join('\n').trim();
  const last = lastLine(text);
  // Copilot exits non-zero when it fails; an "Error: …" last line counts too (in case it does not).
  const isError = exitCode !== 0 || (last !== undefined && /^error:/i.test(last));
  const distinct = [...new Set(models)];
  const errorLine = isError ? errorLineOf(text) : undefined;
  return compact<ParsedOutput>({
    text,
    isError,
    error: isError
      ? (errorLine ?? (retries.length > 0 ? `Copilot was retrying: ${retries.at(-1)}` : `copilot exited with code ${exitCode} without output`))
      : undefined,
    tokens: Object.keys(sums).length > 0 ? sums : undefined,
    sessionId,
    model: distinct.length === 1 ? distinct[0] : undefined,
    usageLimit: isError ? copilotLimit(text, now) : undefined,
    details: Object.keys(details).length > 0 ? compact(details) : undefined,
    cause: copilotCause(
      errorLine,
      retries,
      text,
      before.some((l) => SHUTDOWN.test(l)),
    ),
  });
}

/** Where the 1.0.x summary block starts: the run of "Key   value" lines at the end (one must be Tokens, Resume or Duration). */
function newSummaryStart(lines: readonly string[]): number | undefined {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  let start = end;
  while (start > 0 && SUMMARY_LINE.test(lines[start - 1]!)) start--;
  const keys = lines.slice(start, end).map((l) => SUMMARY_LINE.exec(l)?.[1]);
  return start < end && keys.some((k) => k === 'Tokens' || k === 'Resume' || k === 'Duration') ? start : undefined;
}

/** The summary on stdout of earlier versions ("Total usage est:", then a line per model). */
function readOldSummary(summary: readonly string[], details: Record<string, unknown>, sums: Tokens, models: string[]): void {
  let inModels = false;
  for (const line of summary) {
    const premium = PREMIUM.exec(line);
    if (premium) {
      const count = Number(premium[1]);
      if (Number.isFinite(count)) details.premium_requests = count;
      continue;
    }
    const fact = FACTS.find(([re]) => re.test(line));
    if (fact) {
      details[fact[1]] = fact[0].exec(line)?.[1];
      continue;
    }
    if (MODELS_HEADER.test(line)) {
      inModels = true;
      continue;
    }
    if (!inModels || line.trim() === '') continue;
    const match = MODEL_LINE.exec(line);
    if (!match) continue;
    let known = false;
    for (const part of (match[2] ?? '').matchAll(TOKEN_PART)) {
      const key = TOKEN_KEYS[part[3] ?? ''];
      if (key !== undefined && addCount(sums, key, [part[0], part[1] ?? '', part[2]])) known = true;
    }
    if (known && match[1] !== undefined) models.push(match[1]);
  }
}

/**
 * The one line that says what failed: the last "Error: …" line near the end (copilot adds hints after
 * it), else the first line of the last paragraph (1.0.x: "Authentication failed with provider at …").
 */
function errorLineOf(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim());
  const error = lines
    .filter((l) => l !== '')
    .slice(-15)
    .reverse()
    .find((l) => /^error:/i.test(l));
  if (error !== undefined) return clip(error, 300);
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end--;
  let start = end;
  while (start > 0 && lines[start - 1] !== '') start--;
  return start < end ? clip(lines[start]!, 300) : undefined;
}

/**
 * What Copilot's words show that the shared rules do not read (cause.ts), or undefined. Used when the
 * run failed (a timeout too: stopped, Copilot may still exit 0 with its summary).
 */
function copilotCause(errorLine: string | undefined, retries: readonly string[], answer: string, stopped: boolean): Diagnosis | undefined {
  if (errorLine !== undefined && /\bcould not connect to\b/i.test(errorLine)) return { label: 'API unreachable' };
  // Stopped while it was still retrying the model API, or before it printed anything: no answer came.
  if (answer !== '') return undefined;
  if (retries.length > 0) return { label: 'no answer from the API', detail: `Copilot was retrying: ${retries.at(-1)}` };
  return stopped ? { label: 'no answer from the API', detail: 'Copilot printed nothing before it was stopped' } : undefined;
}

/** Adds one "12.3k" count (a regex match: digits, suffix) to `sums[key]`; whether it was a number. */
function addCount(sums: Tokens, key: keyof Tokens, match: readonly (string | undefined)[] | null): boolean {
  const count = match ? tokenCount(match[1] ?? '', match[2]) : undefined;
  if (count === undefined) return false;
  sums[key] = (sums[key] ?? 0) + count;
  return true;
}

/** The end of the output (where a failure is told): the shared recogniser, else Copilot's own words. */
function copilotLimit(text: string, now: Date): UsageLimitInfo | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-15);
  if (lines.length === 0) return undefined;
  const found = detectUsageLimit(lines.join('\n'), now);
  if (found) return found;
  const line = lines.find((l) => COPILOT_LIMIT.test(l));
  return line === undefined ? undefined : { message: clip(line, 300) };
}

/** "12.3k" → 12300, "1.2m" → 1200000 (Copilot's "m" is millions), "1,234" → 1234. */
function tokenCount(digits: string, suffix: string | undefined): number | undefined {
  const value = Number(digits.replace(/,/g, ''));
  if (!Number.isFinite(value)) return undefined;
  const scale = suffix === undefined ? 1 : suffix.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  return Math.round(value * scale);
}
