/** Wall clocks in time zones: what the clocks show at an instant, and the instant they show a time. Pure but for Intl. */

/** Largest magnitude a JavaScript Date can hold. */
export const MAX_DATE_MS = 8.64e15;

/** A wall-clock reading (month 1–12), as seen in some time zone. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * The time zone this process reads local times in (TZ, else the system's), which is also the one of
 * the agents it starts (they inherit its environment); UTC when it cannot be told.
 */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * The wall-clock time in `timeZone` at the instant `instantMs`; undefined for an unknown time zone
 * or an invalid instant.
 */
export function wallClockIn(instantMs: number, timeZone: string): WallClock | undefined {
  const format = formatterFor(timeZone);
  if (format === undefined || !Number.isFinite(instantMs) || Math.abs(instantMs) > MAX_DATE_MS) return undefined;
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(instantMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const { year, month, day, hour, minute, second } = parts;
  if (year === undefined || month === undefined || day === undefined) return undefined;
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  const wall = { year, month, day, hour: hour % 24, minute, second };
  return Object.values(wall).every(Number.isFinite) ? wall : undefined;
}

/**
 * The UTC instant (ms) at which the clocks in `timeZone` show `wall` (out-of-range days roll over,
 * like Date.UTC). A time skipped by a DST change lands just after it. Undefined for an unknown zone.
 */
export function wallClockToUtc(wall: WallClock, timeZone: string): number | undefined {
  const wallMs = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const offsetAt = (instantMs: number): number | undefined => {
    const seen = wallClockIn(instantMs, timeZone);
    if (seen === undefined) return undefined;
    const whole = Math.floor(instantMs / 1000) * 1000;
    return Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second) - whole;
  };
  const guess = offsetAt(wallMs);
  if (guess === undefined) return undefined;
  const result = wallMs - guess;
  const check = offsetAt(result);
  if (check === undefined) return undefined;
  return check === guess ? result : wallMs - check;
}

/** The first midnight in `timeZone` after the instant `nowMs` (ISO), or undefined for an unknown zone. */
export function nextMidnightIn(nowMs: number, timeZone: string): string | undefined {
  const wall = wallClockIn(nowMs, timeZone);
  if (wall === undefined) return undefined;
  const at = wallClockToUtc({ year: wall.year, month: wall.month, day: wall.day + 1, hour: 0, minute: 0, second: 0 }, timeZone);
  return at === undefined ? undefined : new Date(at).toISOString();
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** A cached formatter giving a zone's wall clock (h23), or undefined for an unknown zone. */
function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      format = null;
    }
    formatters.set(timeZone, format);
  }
  return format ?? undefined;
}
