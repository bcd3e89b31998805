import { formatDuration, localTime } from './time.js';
import type { QueueState } from '../queue/types.js';
import { safeText } from '../redact/sanitize.js';
import { cell, costNotes, costText, inline, tokens, usd, table } from './md.js';
import { failureSection, gitSections, messagesSection, slowestSection, taskTable, unfinishedSection, workerSection } from './sections.js';
import type { RunSummary } from './summary.js';

/** How many task types the summary's table names. */
const MAX_TYPES = 30;

/**
 * `.ralph/ORCHESTRATOR-REPORT.md`, from the state files alone. Pure. Read from the top: the summary
 * (why it stopped, counts, cost, durations, task types), the failures, what is unfinished, the
 * slowest tasks, the workers, and last the table of tasks, cut at a few hundred rows (`ralph report
 * --json` lists every task).
 */
export function renderReport(state: QueueState, summary: RunSummary, sessionProblems: readonly string[] = []): string {
  const priced = summary.usage.runs_with_cost > 0 || summary.usage.tokens.input + summary.usage.tokens.output > 0;
  const out: string[] = [
    '# Orchestrator report',
    '',
    '## Summary',
    '',
    ...summaryLines(summary, priced),
    '',
    ...typeTable(summary, priced),
    ...failureSection(summary),
    ...gitSections(summary),
    ...unfinishedSection(summary),
    ...messagesSection(summary),
    ...slowestSection(summary),
    ...workerSection(summary, priced),
    ...taskTable(state, summary, priced),
  ];
  for (const problem of sessionProblems) out.push(`Note: ${problem} This report skipped it.`, '');
  // A terminal may `cat` the report: control characters from tasks and agents are shown escaped.
  return safeText(`${out.join('\n')}\n`);
}

function summaryLines(summary: RunSummary, priced: boolean): string[] {
  const run = summary.run;
  const c = summary.counts;
  const out: string[] = [];
  if (summary.stop) out.push(`- Stopped because: ${summary.stop.text}`);
  out.push(
    `- Result: ${summary.ok ? 'every task completed' : summary.stop?.reason === 'signal' ? 'interrupted' : 'some tasks failed or are unfinished'} (exit code ${summary.exit_code})`,
  );
  out.push(`- Tasks: ${summary.total}: ${c.completed} completed, ${c.failed} failed, ${c.pending} pending, ${c.claimed} claimed`);
  out.push(`- Started: ${timeWithUtc(run?.started_at) ?? 'unknown (no run recorded)'}`);
  out.push(`- Ended: ${timeWithUtc(run?.ended_at) ?? (run ? 'still running or interrupted' : 'unknown')}`);
  out.push(`- Duration: ${summary.duration_ms === null ? 'unknown' : formatDuration(summary.duration_ms)}`);
  if (summary.tasks_per_second !== null)
    out.push(`- Throughput: ${summary.tasks_per_second} tasks/s (${summary.finished_this_run} task(s) finished in this run)`);
  const d = summary.durations;
  if (d)
    out.push(
      `- Task duration: p50 ${formatDuration(d.p50_ms)}, p90 ${formatDuration(d.p90_ms)}, max ${formatDuration(d.max_ms)} (over ${d.count} finished task(s))`,
    );
  if (priced) out.push(`- Cost: ${costLine(summary)}`);
  if (run) out.push(`- Workers: ${run.workers}`);
  if (run?.agent) out.push(`- Agent: ${run.agent}${run.model ? ` (model ${run.model})` : ''}`);
  const git = summary.git;
  if (git) {
    out.push(
      `- Isolation: a git worktree per worker, a branch per task${git.base ? `, merged into \`${git.base}\`${git.remote ? ` on the remote \`${git.remote}\` (each machine in its own clone)` : ''}` : ''}${git.merge_mode ? ` (--merge ${git.merge_mode}, --on-conflict ${git.on_conflict ?? 'keep'})` : ''}: ` +
        `${git.counts.merged} merged, ${git.counts.conflict} conflict(s), ${git.counts.skipped} not merged (--merge none)`,
    );
  }
  const v = summary.verify;
  if (v) out.push(`- Verified with ${v.commands.map((c) => `\`${c}\``).join(', ')}: ${v.passed} attempt(s) passed, ${v.failed} failed`);
  return out;
}

/** The recorded cost (what the budget counts) and, when earlier runs' cost is in it, this run's. */
function costLine(summary: RunSummary): string {
  const all = summary.usage;
  const mine = summary.run_usage;
  const budget = summary.run?.max_cost_usd !== undefined ? ` of a ${usd(summary.run.max_cost_usd)} budget` : '';
  const line = `${costText(all)}${budget}; tokens: ${tokens(all.tokens)}`;
  const same = costText(mine) === costText(all) && tokens(mine.tokens) === tokens(all.tokens);
  return `${same ? line : `${line} (this run: ${costText(mine)}; tokens: ${tokens(mine.tokens)})`}${costNotes(all, inline)}`;
}

function typeTable(summary: RunSummary, priced: boolean): string[] {
  if (summary.by_type.length === 0) return [];
  const shown = summary.by_type.slice(0, MAX_TYPES);
  const rows = shown.map((t) => [
    cell(t.type),
    String(t.tasks),
    String(t.completed),
    String(t.failed),
    String(t.unfinished),
    t.p50_ms === null ? '' : formatDuration(t.p50_ms),
    t.max_ms === null ? '' : formatDuration(t.max_ms),
    ...(priced ? [costText(t)] : []),
  ]);
  const header = ['type', 'tasks', 'completed', 'failed', 'unfinished', 'p50', 'max', ...(priced ? ['cost'] : [])];
  const out = table(
    header,
    header.map((_, i) => i > 0),
    rows,
  );
  if (summary.by_type.length > shown.length)
    out.push('', `${summary.by_type.length - shown.length} more task type(s): \`ralph report --json\` lists them all (\`by_type\`).`);
  return [...out, ''];
}

/** "2024-05-01 14:05:03 +02:00 (2024-05-01T12:05:03.000Z)": local time first, the exact UTC after it. */
function timeWithUtc(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const local = localTime(iso);
  return local === undefined ? iso : `${local} (${iso})`;
}
