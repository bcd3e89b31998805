import { compact, sumOf } from '../parse/json.js';
import type { AgentOptions, BuildContext, BuiltCommand, CliSpec, ParsedOutput, Tokens } from '../cli-spec.js';
import type { UsageLimitInfo } from '../usage-limit.js';
import { detectUsageLimit } from '../usage-limit.js';
import { grantFor } from '../permissions.js';
import type { PermissionGrant, PermissionLevel } from '../permissions.js';
import { AIDER_PERMISSIONS } from '../permission-table.js';
import { clip, lastLine, stripAnsi } from '../parse/text.js';

/**
 * Aider (`aider --message-file FILE --yes-always --no-stream --no-pretty`): plain text. After each
 * model call aider prints a usage report:
 *
 *   Tokens: 12k sent, 1.2k received. Cost: $0.05 message, $0.13 session.
 *   Tokens: 2.4k sent, 1.8k cache write, 7.5k cache hit, 170 received.
 *   Cost: $0.02 message, $0.02 session.                      (own line when both cache parts are shown)
 *   Tokens: 1,234 sent, 56 received. Cost: $0.0012 request, $0.0012 session.   (older versions)
 *
 * Counts are "123", "1.2k", "12k" (older: "1,234"); "message"/"request" is the cost of that call, so
 * this run's cost is their sum. API failures are printed as the litellm exception
 * ("litellm.RateLimitError: …", "litellm.AuthenticationError: …") and aider may still exit 0.
 */
export const aider = {
  name: 'aider',
  title: 'Aider',
  bin: 'aider',
  install: 'python -m pip install aider-chat',
  verified: { how: 'fixtures' },
  cost: 'reported',
  formatNote:
    'plain text; the "Tokens: … sent, … received. Cost: $… message, $… session." report and the litellm error lines ' +
    "follow aider's source (base_coder.py, exceptions.py); not run against the real binary here. The answer is the " +
    'whole output minus the usage lines (banner and "Applied edit" lines included).',

  /** The prompt is not passed: aider reads it from the prompt file. */
  build(_prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand {
    const model = options.model?.trim();
    return {
      args: [
        '--message-file',
        ctx.promptFile,
        '--yes-always',
        '--no-stream',
        '--no-pretty',
        '--no-fancy-input',
        ...grantFor(aider, options, ctx).args,
        ...(model ? ['--model', model] : []),
        ...options.extraArgs,
      ],
      env: {},
      stdin: '',
    };
  },

  permissions: (level: PermissionLevel): PermissionGrant => AIDER_PERMISSIONS.levels[level],
  permissionFlags: AIDER_PERMISSIONS.flags,

  parse(stdout: string, exitCode: number | null, now: Date = new Date()): ParsedOutput {
    return parseAider(stdout, exitCode, now);
  },
} satisfies CliSpec;

const TOKENS_LINE = /^\s*Tokens:\s/;
const COST_LINE = /^\s*Cost:\s/;
/** "12k sent", "1.8k cache write", "7.5k cache hit", "170 received", "1,234 sent". */
const TOKEN_PART = /([\d][\d,]*(?:\.\d+)?)\s*([kKmM])?\s+(sent|received|cache write|cache hit)\b/g;
/** "Cost: $0.05 message, $0.13 session." (older: "request"). */
const COST_PART = /Cost:\s*\$\s*([\d,]*\.?\d+)\s+(?:message|request)\b(?:\s*,\s*\$\s*([\d,]*\.?\d+)\s+session\b)?/;
const MODEL_LINE = /^\s*(?:Main model|Model):\s+(\S+)/m;
/** A litellm exception as aider prints it: "litellm.RateLimitError: AnthropicException - …". */
const LITELLM_ERROR = /\blitellm\.([A-Za-z]*(?:Error|Timeout))\b/;

function parseAider(stdout: string, exitCode: number | null, now: Date): ParsedOutput {
  const lines = stripAnsi(stdout).replace(/\r\n?/g, '\n').split('\n');
  const sums: Partial<Record<'input' | 'output' | 'cache_write' | 'cache_read', number>> = {};
  let cost: number | undefined;
  let sessionCost: number | undefined;
  let reports = 0;
  let lastReport = -1;
  let lastLiteLlm = -1;
  const kept: string[] = [];

  lines.forEach((line, index) => {
    const isTokens = TOKENS_LINE.test(line);
    const isCost = COST_LINE.test(line);
    if (isTokens) {
      reports++;
      for (const match of line.matchAll(TOKEN_PART)) {
        const count = tokenCount(match[1] ?? '', match[2]);
        if (count === undefined) continue;
        const key = match[3] === 'sent' ? 'input' : match[3] === 'received' ? 'output' : match[3] === 'cache write' ? 'cache_write' : 'cache_read';
        sums[key] = (sums[key] ?? 0) + count;
      }
    }
    if (isTokens || isCost) {
      lastReport = index;
      const match = COST_PART.exec(line);
      if (match) {
        const message = money(match[1]);
        if (message !== undefined) cost = (cost ?? 0) + message;
        sessionCost = money(match[2]) ?? sessionCost;
      }
      return;
    }
    if (LITELLM_ERROR.test(line)) lastLiteLlm = index;
    kept.push(line);
  });

  const text = kept.join('\n').trim();
  // An API error counts when nothing succeeded after it (aider retries some errors itself).
  const apiError = lastLiteLlm > lastReport;
  const isError = exitCode !== 0 || apiError;
  const after = lines.slice(lastReport + 1).filter((l) => l.trim() !== '');
  const error = !isError ? undefined : apiError ? clip(lines[lastLiteLlm] ?? '', 300) : (lastLine(after.join('\n')) ?? `aider exited with code ${exitCode}`);
  // aider's "sent" holds the cache writes but not the cache hits; Ralph's input holds both (Tokens).
  const tokens = compact<Tokens>({
    input: sums.input === undefined ? undefined : sumOf(sums.input, sums.cache_read),
    output: sums.output,
    cache_read: sums.cache_read,
    cache_write: sums.cache_write,
  });

  return compact<ParsedOutput>({
    text,
    isError,
    error,
    costUsd: cost === undefined ? undefined : round(cost),
    tokens: Object.keys(tokens).length > 0 ? tokens : undefined,
    model: MODEL_LINE.exec(text)?.[1],
    usageLimit: isError ? aiderLimit(after, now) : undefined,
    details: reports > 0 ? compact({ model_calls: reports, session_cost_usd: sessionCost }) : undefined,
  });
}

/** What went wrong after the last successful call: the shared recogniser, else litellm's RateLimitError. */
function aiderLimit(after: string[], now: Date): UsageLimitInfo | undefined {
  const tailText = after.slice(-20).join('\n');
  if (tailText.trim() === '') return undefined;
  const found = detectUsageLimit(tailText, now);
  if (found) return found;
  const line = after.find((l) => /\blitellm\.RateLimitError\b|\brate limited you\b/i.test(l));
  return line === undefined ? undefined : { message: clip(line, 300) };
}

/** "1.2k" → 1200, "12k" → 12000, "1,234" → 1234, "1.1M" → 1100000. */
function tokenCount(digits: string, suffix: string | undefined): number | undefined {
  const value = Number(digits.replace(/,/g, ''));
  if (!Number.isFinite(value)) return undefined;
  const scale = suffix === undefined ? 1 : suffix.toLowerCase() === 'k' ? 1_000 : 1_000_000;
  return Math.round(value * scale);
}

function money(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/,/g, ''));
  return Number.isFinite(value) ? value : undefined;
}

/** Sums of printed amounts drift (0.1 + 0.2 = 0.30000000000000004). */
function round(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}
