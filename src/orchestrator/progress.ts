import type { StatusCounts } from '../queue/types.js';

export interface Progress {
  counts: StatusCounts;
  elapsedMs: number;
  /** Tasks finished (completed or failed) since the run started. */
  finished: number;
}

/** One status line: counts by status, rate, elapsed time and ETA. Pure. */
export function formatProgress({ counts, elapsedMs, finished }: Progress): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? finished / seconds : 0;
  const left = counts.pending + counts.claimed;
  const eta = rate > 0 && left > 0 ? ` · ETA ${formatDuration((left / rate) * 1000)}` : '';
  return `pending ${counts.pending} · claimed ${counts.claimed} · completed ${counts.completed} · failed ${counts.failed}`
    + ` · ${rate.toFixed(1)} tasks/s · ${formatDuration(elapsedMs)} elapsed${eta}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
