/** Times as a person reads them: local time with its UTC offset, next to UTC. Pure but for the default zone. */

const pad = (n: number, width = 2) => String(Math.trunc(n)).padStart(width, '0');

/** The offset of the process's time zone (TZ) from UTC at that instant, in minutes east. */
export function localOffset(at: Date): number {
  return -at.getTimezoneOffset();
}

/** "2024-05-01 14:05:03 +02:00": the instant in a zone `offsetMinutes` east of UTC; undefined for an unreadable time. */
export function localTime(iso: string | Date, offsetMinutes?: number): string | undefined {
  const at = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(at.getTime())) return undefined;
  const offset = offsetMinutes ?? localOffset(at);
  const shifted = new Date(at.getTime() + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())} ` +
    `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())} ${sign}${pad(abs / 60)}:${pad(abs % 60)}`
  );
}

/** "2024-05-01 14:05:03 +02:00 (12:05:03 UTC)"; where local time is UTC, "2024-05-01 12:05:03 UTC". */
export function localAndUtc(iso: string | Date, offsetMinutes?: number): string | undefined {
  const at = typeof iso === 'string' ? new Date(iso) : iso;
  const local = localTime(at, offsetMinutes);
  if (local === undefined) return undefined;
  const offset = offsetMinutes ?? localOffset(at);
  const utc = at.toISOString();
  if (offset === 0) return `${utc.slice(0, 10)} ${utc.slice(11, 19)} UTC`;
  // The date is named again where UTC is on another day.
  const day = utc.slice(0, 10) === local.slice(0, 10) ? '' : `${utc.slice(0, 10)} `;
  return `${local} (${day}${utc.slice(11, 19)} UTC)`;
}

/** A duration as people read it: 250ms, 4s, 2m05s, 1h10m. Pure. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
