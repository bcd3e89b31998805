import { formatDuration, localAndUtc } from './time.js';
import { oneLine } from '../redact/sanitize.js';
import { costNotes, costText, tokens } from './md.js';
import type { RunSummary } from './summary.js';

/** How many failures the end lines name; the report has the others. */
export const END_FAILURES = 10;

/**
 * The last lines `ralph run` prints: why it stopped, the counts, the cost and tokens, the failures
 * with their one-line causes, and where the report is (with the end time, local and UTC). Pure but
 * for the time zone the time is read in.
 */
export function endLines(summary: RunSummary, options: { reportWritten?: boolean } = {}): string[] {
  const c = summary.counts;
  const out: string[] = [];
  if (summary.stop) out.push(`Stopped: ${summary.stop.text}.`);
  const took = summary.duration_ms === null ? '' : ` in ${formatDuration(summary.duration_ms)}`;
  out.push(`${summary.total} task(s)${took}: ${c.completed} completed, ${c.failed} failed, ${c.pending} pending, ${c.claimed} claimed.`);
  const spent = summary.run_usage;
  if (spent.runs_with_cost > 0 || spent.tokens.input + spent.tokens.output > 0) {
    const all = costText(summary.usage) === costText(spent) ? '' : ` (${costText(summary.usage)} recorded in all)`;
    out.push(`Cost: ${costText(spent)}${all}${costNotes(spent)}; tokens: ${tokens(spent.tokens)}.`);
  }
  const failures = summary.failures;
  if (failures.length > 0) {
    out.push(`Failed (${failures.length}):`);
    for (const f of failures.slice(0, END_FAILURES)) out.push(`  ${oneLine(f.id)}: ${oneLine(f.cause)}${f.log ? ` (${f.log})` : ''}`);
    if (failures.length > END_FAILURES) out.push(`  … and ${failures.length - END_FAILURES} more failures (the report lists them all)`);
  }
  const ended = summary.run?.ended_at ? localAndUtc(summary.run.ended_at) : undefined;
  const report = options.reportWritten === false ? `${summary.report} could not be written` : summary.report;
  out.push(`Report: ${report}${ended ? ` — ended ${ended}` : ''}`);
  return out;
}
