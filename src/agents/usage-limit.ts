import { clip } from './parse/text.js';
import { MAX_DATE_MS, wallClockIn, wallClockToUtc } from './wall-clock.js';

/** A usage or rate limit the agent ran into. */
export interface UsageLimitInfo {
  /** When it lifts, if the agent said so (ISO-8601 UTC). */
  resetsAt?: string;
  /** The agent's own words (one line). */
  message: string;
}

/** Longest `message` returned (the agent's line, clipped). */
const MAX_MESSAGE = 300;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * Phrases that mean "you ran into a usage/rate limit" (one line each). Deliberately specific: words
 * like "limit" or "timeout" alone are not enough.
 */
const LIMIT_PHRASES: readonly RegExp[] = [
  /\bhit your (?:\w+ )?limit\b/i, // Claude: "You've hit your limit", Codex: "You've hit your usage limit"
  /\bhit the (?:usage|rate|session|weekly|daily) limit\b/i,
  /\bout of (?:extra )?usage\b/i, // Claude: "You're out of extra usage"
  /\busage[ _-]?limit[ _-]?(?:reached|exceeded|hit)\b/i, // "Claude AI usage limit reached", Codex "usage_limit_reached"
  /\b(?:reached|exceeded|hit) (?:your|the) (?:\w+ )?usage limit\b/i,
  /\b(?:\d+-hour|weekly|daily|session|opus|sonnet) limit (?:reached|exceeded)\b/i, // Claude: "Weekly limit reached ∙ resets 5am"
  /\bRESOURCE_EXHAUSTED\b/, // Gemini / Google RPC status
  /\bresource has been exhausted\b/i,
  /\bquota exceeded\b/i,
  /\bexceeded (?:your |the )?(?:current )?quota\b/i,
  /\btoo many requests\b/i, // HTTP 429
];

/** "rate limit" counts only together with one of these (so prose and code about rate limits does not). */
const RATE_LIMIT = /\brate[ _-]?limit/i;
const RATE_LIMIT_COMPANION = /exceeded|reached|\bhit\b|\b429\b/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAME = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';

/**
 * "resets 1pm (Europe/Berlin)", "resets Apr 24, 4am (Asia/Tokyo)", "resets at 13:00", "will reset at 3pm",
 * "try again at 12:16 PM", "try again at Dec 8th, 2026 8:16 PM" (Codex, in its local zone). Groups:
 * month, day, year, hour, minute, am/pm, zone in parentheses, bare UTC/GMT.
 */
const CLOCK_RESET = new RegExp(
  String.raw`\b(?:resets?|(?:try(?:ing)?\s+again|retry)(?=\s+at\b))\s+(?:at\s+|on\s+)?` +
    String.raw`(?:(${MONTH_NAME})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(\d{4}),?\s+)?(?:at\s+)?)?` +
    String.raw`(\d{1,2})(?::(\d{2})(?::\d{2})?)?(?![\d:])\s*(?:([ap])\.?m\b\.?)?` +
    String.raw`(?:\s*\(\s*([^()]{1,64}?)\s*\)|\s+(UTC|GMT)\b)?`,
  'i',
);

/** Claude Code's old form: "Claude AI usage limit reached|1776000000" (epoch seconds or ms). */
const EPOCH_AFTER_PIPE = /\|\s*(\d{9,14})(?!\d)/;

/** Structured fields, looked for anywhere in the text once a limit is known. */
const RESETS_IN_SECONDS = /["']?\bresets?_in_seconds["']?\s*[:=]\s*(\d+(?:\.\d+)?)/i;
const RESETS_AT_FIELD = /["']?\b(?:resets?_?at)["']?\s*[:=]\s*["']?(\d{9,14}(?![\d-])|\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2}))/i;
const RETRY_DELAY = /["']?\bretry_?delay["']?\s*[:=]\s*["']?(\d+(?:\.\d+)?)s\b/i; // Google RetryInfo: "retryDelay": "32s"
const RETRY_AFTER_HEADER = /\bretry-after\s*:\s*(\d+)(?![\d.:])/i;

/** "resets at 2026-07-01T12:00:00Z", "until 2026-07-01T14:00:00+02:00" (an explicit offset is required). */
const ISO_RESET =
  /\b(?:resets?(?:\s+at)?|until|available(?:\s+again)?\s+at)\s*[:=]?\s*["']?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/i;

const DURATION_UNIT = String.raw`(?:milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)(?![a-z])`;
const DURATION_PART = String.raw`(?:\d+(?:\.\d+)?\s*|\ban?\s+)${DURATION_UNIT}`;
/** "try again in 5 minutes", "retry after 120 seconds", "Please retry in 32.5s", "resets in 4h 59m". */
const RELATIVE_RESET = new RegExp(
  String.raw`\b(?:try(?:ing)?\s+again|retry(?:ing)?|resets?|available\s+again|wait)\s+(?:in|after|for)\s+` +
    String.raw`(${DURATION_PART}(?:(?:\s*,\s*|\s+and\s+|\s*)${DURATION_PART})*)`,
  'i',
);

/**
 * Recognises a usage or rate limit in an agent's text output (the fallback when the CLI's structured
 * fields do not say), and when it lifts. Pure: `now` anchors relative and clock-time forms, and clock
 * times without a "(Zone)" are read in `defaultTimeZone`. `message` is the first line naming the
 * limit (preferring one that also says when it lifts), trimmed and clipped to 300 characters.
 */
export function detectUsageLimit(text: string, now: Date, defaultTimeZone = 'UTC'): UsageLimitInfo | undefined {
  const lines = text.split(/\r?\n|\r/);
  const limitLines = lines.flatMap((line, index) => (isLimitLine(line) ? [index] : []));
  const first = limitLines[0];
  if (first === undefined) return undefined;
  const nowMs = now.getTime();
  // Best first: a limit line that says when, then one followed by a line that does, then any field in the text.
  for (const i of limitLines) {
    const resetsAt = parseReset(lines[i] ?? '', nowMs, defaultTimeZone);
    if (resetsAt !== undefined) return { message: clip(lines[i] ?? '', MAX_MESSAGE), resetsAt };
  }
  for (const i of limitLines) {
    const resetsAt = parseFollowingLines(lines, i, nowMs, defaultTimeZone);
    if (resetsAt !== undefined) return { message: clip(lines[i] ?? '', MAX_MESSAGE), resetsAt };
  }
  const message = clip(lines[first] ?? '', MAX_MESSAGE);
  const resetsAt = parseStructuredReset(text, nowMs);
  return resetsAt === undefined ? { message } : { message, resetsAt };
}

/** Whether one line says a usage/rate limit was hit (see LIMIT_PHRASES; "rate limit" needs a companion word). */
export function isLimitLine(line: string): boolean {
  if (LIMIT_PHRASES.some((re) => re.test(line))) return true;
  return RATE_LIMIT.test(line) && RATE_LIMIT_COMPANION.test(line);
}

/**
 * When the limit lifts according to one line (ISO-8601 UTC), or undefined when the line does not say
 * or names an unknown time zone. Tries epoch, structured fields, clock times, ISO times, then durations.
 */
export function parseReset(line: string, nowMs: number, defaultTimeZone = 'UTC'): string | undefined {
  const epoch = EPOCH_AFTER_PIPE.exec(line);
  if (epoch?.[1] !== undefined) return toIso(epochMs(Number(epoch[1])));
  return parseStructuredReset(line, nowMs) ?? parseSpokenReset(line, nowMs, defaultTimeZone);
}

/**
 * The number of milliseconds in a duration such as "5 minutes", "30s", "1 hour and 30 minutes",
 * "4h59m" or "an hour"; undefined when it has no recognisable part.
 */
export function parseDurationMs(text: string): number | undefined {
  const part = /(?:(\d+(?:\.\d+)?)\s*|\ban?\s+)(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)(?![a-z])/gi;
  let total = 0;
  let found = false;
  for (const m of text.matchAll(part)) {
    const amount = m[1] === undefined ? 1 : Number(m[1]); // "a minute", "an hour"
    total += amount * unitMs((m[2] ?? '').toLowerCase());
    found = true;
  }
  return found ? total : undefined;
}

/** resets_in_seconds / resets_at / retryDelay / Retry-After, wherever they are in `text`. */
function parseStructuredReset(text: string, nowMs: number): string | undefined {
  const at = RESETS_AT_FIELD.exec(text)?.[1];
  if (at !== undefined) return /^\d+$/.test(at) ? toIso(epochMs(Number(at))) : toIso(Date.parse(at));
  const seconds = RESETS_IN_SECONDS.exec(text)?.[1] ?? RETRY_DELAY.exec(text)?.[1] ?? RETRY_AFTER_HEADER.exec(text)?.[1];
  return seconds === undefined ? undefined : toIso(nowMs + Math.round(Number(seconds) * 1000));
}

/** Clock times ("resets 1pm (Europe/Berlin)"), explicit ISO times, then relative times, in one line. */
function parseSpokenReset(line: string, nowMs: number, defaultTimeZone: string): string | undefined {
  const clock = CLOCK_RESET.exec(line);
  if (clock !== null) {
    const at = clockReset(clock, nowMs, defaultTimeZone);
    if (at !== 'no-time') return at;
  }
  const iso = ISO_RESET.exec(line)?.[1];
  if (iso !== undefined) return toIso(Date.parse(iso));
  const relative = RELATIVE_RESET.exec(line)?.[1];
  if (relative !== undefined) {
    const ms = parseDurationMs(relative);
    if (ms !== undefined) return toIso(nowMs + Math.round(ms));
  }
  return undefined;
}

/** A reset time said on one of the two non-blank lines after a limit line ("…limit reached.\nYour limit will reset at 3pm"). */
function parseFollowingLines(lines: string[], index: number, nowMs: number, defaultTimeZone: string): string | undefined {
  let seen = 0;
  for (let j = index + 1; j < lines.length && seen < 2; j++) {
    const next = lines[j] ?? '';
    if (next.trim() === '') continue;
    seen++;
    const at = parseSpokenReset(next, nowMs, defaultTimeZone);
    if (at !== undefined) return at;
  }
  return undefined;
}

/**
 * The instant a CLOCK_RESET match names: the next such wall-clock time whose minute is not over (for a
 * bare time), or that date (this year in the zone, next year if more than a day past). 'no-time' when the
 * match is not a clock time at all (a bare number), undefined when it is invalid.
 */
function clockReset(m: RegExpExecArray, nowMs: number, defaultTimeZone: string): string | undefined | 'no-time' {
  const [, monthName, dayText, yearText, hourText, minuteText, meridiem, zoneInParens, bareZone] = m;
  if (minuteText === undefined && meridiem === undefined) return 'no-time';
  let hour = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (minute > 59) return undefined;
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem.toLowerCase() === 'p' ? 12 : 0);
  } else if (hour > 23) return undefined;

  const zone = zoneInParens ?? bareZone ?? defaultTimeZone;
  const today = wallClockIn(nowMs, zone);
  if (today === undefined) return undefined;

  if (monthName !== undefined) {
    const month = MONTHS.indexOf(monthName.slice(0, 3).toLowerCase()) + 1;
    const day = Number(dayText);
    const at = (year: number): number | undefined =>
      validDate(year, month, day) ? wallClockToUtc({ year, month, day, hour, minute, second: 0 }, zone) : undefined;
    if (yearText !== undefined) {
      const instant = at(Number(yearText));
      return instant === undefined ? undefined : toIso(instant);
    }
    let instant = at(today.year);
    if (instant === undefined || instant < nowMs - DAY_MS) instant = at(today.year + 1);
    return instant === undefined ? undefined : toIso(instant);
  }

  // The next such time that has not passed: a clock shows minutes, so the minute it names counts
  // until it is over ("try again at 2:20 PM" said at 2:20:40 PM lifts now, not tomorrow).
  for (let add = 0; add <= 2; add++) {
    const instant = wallClockToUtc({ year: today.year, month: today.month, day: today.day + add, hour, minute, second: 0 }, zone);
    if (instant === undefined) return undefined;
    if (instant + MINUTE_MS > nowMs) return toIso(instant);
  }
  return undefined;
}

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

/** Epoch seconds, or milliseconds when the number is too large to be seconds. */
function epochMs(value: number): number {
  return value > 1e12 ? value : value * 1000;
}

function unitMs(unit: string): number {
  if (unit.startsWith('ms') || unit.startsWith('msec') || unit.startsWith('milli')) return 1;
  if (unit.startsWith('s')) return 1000;
  if (unit.startsWith('m')) return 60_000;
  if (unit.startsWith('h')) return 3_600_000;
  return DAY_MS;
}

/** Date.toISOString, or undefined for an instant a Date cannot hold. */
function toIso(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : undefined;
}
