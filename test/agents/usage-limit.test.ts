import { describe, expect, it } from 'vitest';
import { detectUsageLimit, isLimitLine, parseDurationMs } from '../../src/agents/usage-limit.js';
import { wallClockIn, wallClockToUtc, nextMidnightIn, type WallClock } from '../../src/agents/wall-clock.js';

/** 2026-07-01T08:00:00Z: 10:00 in Berlin (CEST, +2), 04:00 in New York (EDT, -4), 17:00 in Tokyo. */
const SUMMER = '2026-07-01T08:00:00Z';
const at = (iso: string): Date => new Date(iso);
const long = `You've hit your limit · resets 1pm (Europe/Berlin) ${'x'.repeat(400)}`;

describe('detectUsageLimit: clock times ("resets 1pm (Zone)")', () => {
  it.each<[string, string, string, string]>([
    ['Berlin in summer (CEST)', "You've hit your limit · resets 1pm (Europe/Berlin)", SUMMER, '2026-07-01T11:00:00.000Z'],
    ['Berlin in winter (CET)', "You've hit your limit · resets 1pm (Europe/Berlin)", '2026-01-15T08:00:00Z', '2026-01-15T12:00:00.000Z'],
    ['a time already past today → tomorrow', "You've hit your limit · resets 1pm (Europe/Berlin)", '2026-07-01T12:00:00Z', '2026-07-02T11:00:00.000Z'],
    // A clock shows minutes: the minute it names has begun, not passed (Codex: "try again at 1:00 PM" at 1:00:40).
    ['exactly now → now', "You've hit your limit · resets 1pm (Europe/Berlin)", '2026-07-01T11:00:00Z', '2026-07-01T11:00:00.000Z'],
    ['within the minute it names → that minute', 'You’ve hit your usage limit. Try again at 1:00 PM.', '2026-07-01T13:00:59.999Z', '2026-07-01T13:00:00.000Z'],
    ['a minute past → tomorrow', 'You’ve hit your usage limit. Try again at 1:00 PM.', '2026-07-01T13:01:00Z', '2026-07-02T13:00:00.000Z'],
    ['the day clocks spring forward', "You've hit your limit · resets 1pm (Europe/Berlin)", '2026-03-29T00:00:00Z', '2026-03-29T11:00:00.000Z'],
    ['the day before clocks spring forward', "You've hit your limit · resets 1pm (Europe/Berlin)", '2026-03-28T00:00:00Z', '2026-03-28T12:00:00.000Z'],
    ['past midnight in the zone but not in UTC', "You've hit your limit · resets 1am (Asia/Tokyo)", '2026-06-30T17:30:00Z', '2026-07-01T16:00:00.000Z'],
    ['hours and minutes', "You've hit your limit · resets 1:30pm (Europe/Berlin)", SUMMER, '2026-07-01T11:30:00.000Z'],
    ['a 24-hour time', "You've hit your limit · resets 13:00 (Europe/Berlin)", SUMMER, '2026-07-01T11:00:00.000Z'],
    ['a 24-hour time with seconds', "You've hit your limit · resets 13:00:00 (Europe/Berlin)", SUMMER, '2026-07-01T11:00:00.000Z'],
    ['New York in summer (EDT)', "You've hit your limit · resets 11am (America/New_York)", SUMMER, '2026-07-01T15:00:00.000Z'],
    ['12am is midnight', "You've hit your limit · resets 12am (Europe/Berlin)", SUMMER, '2026-07-01T22:00:00.000Z'],
    ['12pm is noon', "You've hit your limit · resets 12pm (Europe/Berlin)", SUMMER, '2026-07-01T10:00:00.000Z'],
    ['"AM"/"PM" with a space', "You've hit your limit · resets 1 PM (Europe/Berlin)", SUMMER, '2026-07-01T11:00:00.000Z'],
    ['a "-" separator', "You've hit your limit - resets 1pm (Europe/Berlin)", SUMMER, '2026-07-01T11:00:00.000Z'],
    ['a "|" separator', "You've hit your limit | resets 1pm (Europe/Berlin)", SUMMER, '2026-07-01T11:00:00.000Z'],
    ['a typographic apostrophe', 'You’ve hit your limit · resets 1pm (Europe/Berlin)', SUMMER, '2026-07-01T11:00:00.000Z'],
    ['a bare UTC zone', "You've hit your limit · resets 3pm UTC", SUMMER, '2026-07-01T15:00:00.000Z'],
    ['no zone: UTC by default', "You've hit your limit · resets 1pm", SUMMER, '2026-07-01T13:00:00.000Z'],
    ['no zone, already past in UTC', 'Weekly limit reached ∙ resets 5am', SUMMER, '2026-07-02T05:00:00.000Z'],
    ['"will reset at" (Claude)', 'Claude usage limit reached. Your limit will reset at 3pm (America/Los_Angeles).', SUMMER, '2026-07-01T22:00:00.000Z'],
    [
      '"try again at" (Codex)',
      "You've hit your usage limit. To get more access now, send a request to your admin or try again at 12:16 PM.",
      SUMMER,
      '2026-07-01T12:16:00.000Z',
    ],
  ])('%s', (_what, text, now, resetsAt) => {
    expect(detectUsageLimit(text, at(now))).toEqual({ message: text, resetsAt });
  });

  it.each<[string, string, string]>([
    ['Asia/Tokyo, already past there today', 'Asia/Tokyo', '2026-07-02T04:00:00.000Z'],
    ['America/New_York, still ahead there', 'America/New_York', '2026-07-01T17:00:00.000Z'],
    ['UTC, given explicitly', 'UTC', '2026-07-01T13:00:00.000Z'],
  ])('reads a zone-less time in the default time zone: %s', (_what, zone, resetsAt) => {
    expect(detectUsageLimit("You've hit your limit · resets 1pm", at(SUMMER), zone)?.resetsAt).toBe(resetsAt);
  });

  it('lets an explicit zone win over the default one', () => {
    expect(detectUsageLimit("You've hit your limit · resets 1pm (Europe/Berlin)", at(SUMMER), 'Asia/Tokyo')?.resetsAt).toBe('2026-07-01T11:00:00.000Z');
  });

  it.each<[string, string, string | undefined]>([
    ['an unknown zone name', "You've hit your limit · resets 1pm (Mars/Olympus_Mons)", undefined],
    ['words instead of a zone', "You've hit your limit · resets 1pm (your local time)", undefined],
    ['an unknown default zone', "You've hit your limit · resets 1pm", 'Not/AZone'],
    ['an hour out of range', "You've hit your limit · resets 13pm (Europe/Berlin)", undefined],
    ['minutes out of range', "You've hit your limit · resets 10:75 (Europe/Berlin)", undefined],
  ])('keeps the limit but drops the time for %s', (_what, text, defaultZone) => {
    const found = defaultZone === undefined ? detectUsageLimit(text, at(SUMMER)) : detectUsageLimit(text, at(SUMMER), defaultZone);
    expect(found).toEqual({ message: text });
    expect(found).not.toHaveProperty('resetsAt');
  });
});

describe('detectUsageLimit: dates ("resets Apr 24, 4am (Zone)")', () => {
  it.each<[string, string, string, string]>([
    ['later this year', "You're out of extra usage · resets Apr 24, 4am (Asia/Tokyo)", '2026-04-20T00:00:00Z', '2026-04-23T19:00:00.000Z'],
    [
      'past by less than a day: stays this year',
      "You're out of extra usage · resets Apr 24, 4am (Asia/Tokyo)",
      '2026-04-24T00:00:00Z',
      '2026-04-23T19:00:00.000Z',
    ],
    ['past by more than a day: next year', "You're out of extra usage · resets Apr 24, 4am (Asia/Tokyo)", SUMMER, '2027-04-23T19:00:00.000Z'],
    [
      'the year as seen in the zone (already 2027 in Tokyo)',
      "You're out of extra usage · resets Jan 1, 4am (Asia/Tokyo)",
      '2026-12-31T20:00:00Z',
      '2026-12-31T19:00:00.000Z',
    ],
    [
      'a full month name, "at" and minutes',
      "You're out of extra usage · resets on April 24 at 4:30am (Asia/Tokyo)",
      '2026-04-20T00:00:00Z',
      '2026-04-23T19:30:00.000Z',
    ],
    ['an ordinal day and no zone', "You're out of extra usage - resets Dec 3rd, 10pm", SUMMER, '2026-12-03T22:00:00.000Z'],
    ['a typographic apostrophe and summer time', 'You’re out of extra usage · resets Jul 4, 9am (America/New_York)', SUMMER, '2026-07-04T13:00:00.000Z'],
    [
      'a date with its year (Codex 0.171.0)',
      'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro) or try again at Dec 8th, 2026 8:16 PM.',
      SUMMER,
      '2026-12-08T20:16:00.000Z',
    ],
    ['a year that is not this one', "You've hit your usage limit. Try again at Jan 2nd, 2027 9:05 AM.", SUMMER, '2027-01-02T09:05:00.000Z'],
  ])('%s', (_what, text, now, resetsAt) => {
    expect(detectUsageLimit(text, at(now))).toEqual({ message: text, resetsAt });
  });

  it('reads a date with its year in the default time zone (Codex prints its local time)', () => {
    const text = 'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro) or try again at Dec 8th, 2026 8:16 PM.';
    expect(detectUsageLimit(text, at(SUMMER), 'Asia/Tokyo')?.resetsAt).toBe('2026-12-08T11:16:00.000Z');
  });

  it('drops an impossible date', () => {
    const text = "You're out of extra usage · resets Feb 30, 4am (Asia/Tokyo)";
    expect(detectUsageLimit(text, at(SUMMER))).toEqual({ message: text });
  });
});

describe('detectUsageLimit: epoch and structured fields', () => {
  it.each<[string, string, string]>([
    ['epoch seconds after "|"', 'Claude AI usage limit reached|1776000000', '2026-04-12T13:20:00.000Z'],
    ['epoch milliseconds after "|"', 'Claude AI usage limit reached|1776000000000', '2026-04-12T13:20:00.000Z'],
    ['epoch milliseconds with a fraction of a second', 'Claude AI usage limit reached|1776000000123', '2026-04-12T13:20:00.123Z'],
    [
      'Codex resets_in_seconds (compact JSON)',
      '{"type":"error","error":{"type":"usage_limit_reached","plan_type":"plus","resets_in_seconds":3600}}',
      '2026-07-01T09:00:00.000Z',
    ],
    ['Codex resets_in_seconds (spaced JSON)', '{"type": "usage_limit_reached", "resets_in_seconds": 90}', '2026-07-01T08:01:30.000Z'],
    ['resets_at in epoch seconds', '{"error":{"type":"usage_limit_reached","resets_at":1776000000}}', '2026-04-12T13:20:00.000Z'],
    ['resets_at as an ISO time', '{"error":"rate_limit_exceeded","resets_at":"2026-07-01T10:00:00+02:00"}', '2026-07-01T08:00:00.000Z'],
    ['Google retryDelay', '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"retryDelay":"42s"}]}}', '2026-07-01T08:00:42.000Z'],
    ['a Retry-After header', 'HTTP/1.1 429 Too Many Requests; Retry-After: 120', '2026-07-01T08:02:00.000Z'],
  ])('%s', (_what, text, resetsAt) => {
    expect(detectUsageLimit(text, at(SUMMER))).toEqual({ message: text, resetsAt });
  });

  it('reads resets_in_seconds from another line of pretty-printed JSON', () => {
    const text = ['{', '  "error": {', '    "type": "usage_limit_reached",', '    "resets_in_seconds": 600', '  }', '}'].join('\n');
    expect(detectUsageLimit(text, at(SUMMER))).toEqual({ message: '"type": "usage_limit_reached",', resetsAt: '2026-07-01T08:10:00.000Z' });
  });
});

describe('detectUsageLimit: relative times', () => {
  it.each<[string, string, string]>([
    ['"Try again in 5 minutes"', 'Rate limit exceeded. Try again in 5 minutes.', '2026-07-01T08:05:00.000Z'],
    ['"try again in 30s"', '429 Too Many Requests: try again in 30s', '2026-07-01T08:00:30.000Z'],
    ['"retry after 120 seconds"', 'Usage limit reached, retry after 120 seconds', '2026-07-01T08:02:00.000Z'],
    ['fractional seconds (Gemini)', 'Quota exceeded for quota metric generate_content_requests. Please retry in 32.5s.', '2026-07-01T08:00:32.500Z'],
    ['hours and minutes run together', "You've hit your usage limit · resets in 4h59m", '2026-07-01T12:59:00.000Z'],
    ['"1 hour and 30 minutes"', 'Rate limit reached. Try again in 1 hour and 30 minutes.', '2026-07-01T09:30:00.000Z'],
    ['"an hour"', 'RESOURCE_EXHAUSTED: try again in an hour', '2026-07-01T09:00:00.000Z'],
    ['"2 days"', 'You exceeded your current quota; try again in 2 days', '2026-07-03T08:00:00.000Z'],
    ['an ISO time after "resets at"', 'RESOURCE_EXHAUSTED: quota resets at 2026-07-01T12:00:00Z', '2026-07-01T12:00:00.000Z'],
  ])('%s', (_what, text, resetsAt) => {
    expect(detectUsageLimit(text, at(SUMMER))).toEqual({ message: text, resetsAt });
  });
});

describe('detectUsageLimit: limits without a reset time', () => {
  it.each<[string, string]>([
    [
      'Gemini RESOURCE_EXHAUSTED',
      '[API Error: {"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}]',
    ],
    ['"Quota exceeded"', "Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'Requests per day'"],
    ['"rate limit exceeded"', 'Error: rate limit exceeded'],
    ['rate_limit_exceeded', '{"error":{"type":"rate_limit_exceeded"}}'],
    ['"rate limited" with 429', 'HTTP 429: rate limited'],
    ['"hit the rate limit"', 'We hit the rate limit'],
    ['"429 Too Many Requests"', 'Request failed: 429 Too Many Requests'],
    ['"usage limit reached"', 'Claude AI usage limit reached'],
    ['"out of extra usage"', "You're out of extra usage"],
    ['"hit your limit"', "You've hit your limit"],
    ['"exceeded your current quota" (OpenAI)', 'You exceeded your current quota, please check your plan and billing details.'],
    ['a 5-hour limit', '5-hour limit reached'],
    ['a bare number after "resets" (not a time)', 'Usage limit reached; resets 5 times a day'],
  ])('%s', (_what, text) => {
    expect(detectUsageLimit(text, at(SUMMER))).toEqual({ message: text });
  });
});

describe('detectUsageLimit: the message line', () => {
  it.each<[string, string, string, string | undefined]>([
    [
      'the limit line among others',
      "Starting task 3\nReading src/index.ts\n  You've hit your limit · resets 1pm (Europe/Berlin)  \nagent exited with code 1\n",
      "You've hit your limit · resets 1pm (Europe/Berlin)",
      '2026-07-01T11:00:00.000Z',
    ],
    [
      'CRLF line ends',
      'working…\r\nClaude AI usage limit reached|1776000000\r\ndone\r\n',
      'Claude AI usage limit reached|1776000000',
      '2026-04-12T13:20:00.000Z',
    ],
    [
      'the reset time on the next line',
      'Working…\nClaude usage limit reached.\n\nYour limit will reset at 3pm (America/Los_Angeles).\n',
      'Claude usage limit reached.',
      '2026-07-01T22:00:00.000Z',
    ],
    [
      'a later limit line that says when',
      'Error: RESOURCE_EXHAUSTED\nQuota exceeded. Please retry in 10s.',
      'Quota exceeded. Please retry in 10s.',
      '2026-07-01T08:00:10.000Z',
    ],
    ['the first limit line when none says when', 'Error: RESOURCE_EXHAUSTED\nQuota exceeded for this project.', 'Error: RESOURCE_EXHAUSTED', undefined],
    ['a long line, clipped', long, `${long.slice(0, 299)}…`, '2026-07-01T11:00:00.000Z'],
  ])('%s', (_what, text, message, resetsAt) => {
    const found = detectUsageLimit(text, at(SUMMER));
    expect(found).toEqual(resetsAt === undefined ? { message } : { message, resetsAt });
    expect(found?.message.length).toBeLessThanOrEqual(300);
  });

  it('ignores a "try again" far from the limit line', () => {
    const text = 'Usage limit reached\na\nb\nc\nPlease try again in 5 minutes';
    expect(detectUsageLimit(text, at(SUMMER))).toEqual({ message: 'Usage limit reached' });
  });

  it('does not throw on an invalid now', () => {
    expect(detectUsageLimit('Rate limit exceeded. Try again in 5 minutes.', new Date(Number.NaN))).toEqual({
      message: 'Rate limit exceeded. Try again in 5 minutes.',
    });
  });
});

describe('detectUsageLimit: not a limit', () => {
  it.each<[string, string]>([
    ['an empty string', ''],
    ['blank lines', '\n  \n\t\n'],
    ['a timeout', 'timed out after 30s (--task-timeout); its process group was killed (SIGKILL) (no output)'],
    ['an exit code', 'agent exited with code 1; last output:\nerror: bad input'],
    ['prose about rate limits', 'We should add a rate limit to the API client so that retries back off.'],
    ['code about a rate limiter', 'const limiter = new RateLimiter({ limit: 10 }); // retry after 5 seconds'],
    ['a "try again" without a limit', 'Network error. Please try again in 5 minutes.'],
    ['"hit the limit" of something else', 'The loop hit the limit of 100 iterations and stopped.'],
    [
      'a JSON result without limit fields',
      '{"type":"result","subtype":"success","is_error":false,"usage":{"input_tokens":12,"output_tokens":5},"result":"FINDINGS: none","resets":0}',
    ],
    ['a reset time without a limit', 'The cache resets 1pm (Europe/Berlin) every day; resets_in_seconds: 60'],
    ['usage docs', 'Usage: ralph run [--limit N] [--task-timeout 30s]'],
  ])('%s', (_what, text) => {
    expect(detectUsageLimit(text, at(SUMMER))).toBeUndefined();
  });
});

describe('isLimitLine', () => {
  it.each<[string, boolean]>([
    ["You've hit your limit · resets 1pm (Europe/Berlin)", true],
    ['usage_limit_reached', true],
    ['RESOURCE_EXHAUSTED', true],
    ['resource_exhausted', false],
    ['rate limit', false],
    ['rate limit 429', true],
    ['rate-limit reached', true],
    ['ratelimit exceeded', true],
    ['avoid hitting the rate limit', false],
    ['timed out after 30s', false],
  ])('%j → %s', (line, expected) => {
    expect(isLimitLine(line)).toBe(expected);
  });
});

describe('parseDurationMs', () => {
  it.each<[string, number | undefined]>([
    ['5 minutes', 300_000],
    ['30s', 30_000],
    ['120 seconds', 120_000],
    ['32.5s', 32_500],
    ['4h59m', 17_940_000],
    ['1 hour and 30 minutes', 5_400_000],
    ['2 hrs, 15 mins', 8_100_000],
    ['an hour', 3_600_000],
    ['a minute', 60_000],
    ['1 day', 86_400_000],
    ['250ms', 250],
    ['soon', undefined],
    ['', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});

describe('wallClockIn', () => {
  it.each<[string, string, WallClock]>([
    ['2026-07-01T08:00:00Z', 'Europe/Berlin', { year: 2026, month: 7, day: 1, hour: 10, minute: 0, second: 0 }],
    ['2026-01-15T08:00:00Z', 'Europe/Berlin', { year: 2026, month: 1, day: 15, hour: 9, minute: 0, second: 0 }],
    ['2026-12-31T20:00:05Z', 'Asia/Tokyo', { year: 2027, month: 1, day: 1, hour: 5, minute: 0, second: 5 }],
    ['2026-07-01T00:30:00Z', 'UTC', { year: 2026, month: 7, day: 1, hour: 0, minute: 30, second: 0 }],
    ['2026-07-01T03:59:59Z', 'America/New_York', { year: 2026, month: 6, day: 30, hour: 23, minute: 59, second: 59 }],
  ])('%s in %s', (iso, zone, wall) => {
    expect(wallClockIn(Date.parse(iso), zone)).toEqual(wall);
  });

  it.each<[string, number]>([
    ['an unknown zone', Date.parse(SUMMER)],
    ['an invalid instant', Number.NaN],
  ])('is undefined for %s', (_what, instant) => {
    expect(wallClockIn(instant, Number.isNaN(instant) ? 'UTC' : 'Nowhere/Special')).toBeUndefined();
  });
});

describe('wallClockToUtc', () => {
  const wall = (year: number, month: number, day: number, hour: number, minute = 0): WallClock => ({ year, month, day, hour, minute, second: 0 });

  it.each<[string, WallClock, string, string]>([
    ['summer time', wall(2026, 7, 1, 13), 'Europe/Berlin', '2026-07-01T11:00:00.000Z'],
    ['winter time', wall(2026, 1, 15, 13), 'Europe/Berlin', '2026-01-15T12:00:00.000Z'],
    ['a negative offset', wall(2026, 7, 1, 11), 'America/New_York', '2026-07-01T15:00:00.000Z'],
    ['a half-hour offset', wall(2026, 7, 1, 12), 'Asia/Kolkata', '2026-07-01T06:30:00.000Z'],
    ['a day that rolls over', wall(2026, 6, 31, 1), 'Asia/Tokyo', '2026-06-30T16:00:00.000Z'],
    ['a time skipped by spring-forward (lands after the gap)', wall(2026, 3, 29, 2, 30), 'Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    ['a time repeated by fall-back (the later one)', wall(2026, 10, 25, 2, 30), 'Europe/Berlin', '2026-10-25T01:30:00.000Z'],
    ['the hour after fall-back', wall(2026, 10, 25, 3, 0), 'Europe/Berlin', '2026-10-25T02:00:00.000Z'],
  ])('%s', (_what, w, zone, iso) => {
    expect(new Date(wallClockToUtc(w, zone) ?? Number.NaN).toISOString()).toBe(iso);
  });

  it('is undefined for an unknown zone', () => {
    expect(wallClockToUtc(wall(2026, 7, 1, 13), 'Europe/Atlantis')).toBeUndefined();
  });
});

describe('nextMidnightIn', () => {
  it.each<[string, string, string, string]>([
    ['in the afternoon, Pacific summer time', '2026-04-10T22:00:00.000Z', 'America/Los_Angeles', '2026-04-11T07:00:00.000Z'],
    ['just before midnight', '2026-04-11T06:59:59.000Z', 'America/Los_Angeles', '2026-04-11T07:00:00.000Z'],
    ['at midnight: the next one', '2026-04-11T07:00:00.000Z', 'America/Los_Angeles', '2026-04-12T07:00:00.000Z'],
    ['Pacific winter time', '2026-12-07T06:00:00.000Z', 'America/Los_Angeles', '2026-12-07T08:00:00.000Z'],
    ['the night clocks go back (a 25-hour day)', '2026-11-01T12:00:00.000Z', 'America/Los_Angeles', '2026-11-02T08:00:00.000Z'],
    ['the end of a year', '2026-12-31T20:00:00.000Z', 'UTC', '2027-01-01T00:00:00.000Z'],
  ])('%s', (_what, now, zone, iso) => {
    expect(nextMidnightIn(Date.parse(now), zone)).toBe(iso);
  });

  it('is undefined for an unknown zone', () => {
    expect(nextMidnightIn(Date.parse('2026-04-10T22:00:00Z'), 'Pacific/Atlantis')).toBeUndefined();
  });
});
