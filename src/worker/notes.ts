import type { Logger } from '../process/log.js';
import type { TaskGitResult } from '../queue/isolation.js';
import type { ReportDecision } from '../queue/outcome.js';
import { SESSION_HISTORY } from '../store/sessions.js';
import type { PendingReport } from './run-task.js';
import type { SessionWriter } from './session-writer.js';
import type { StepBlock } from './step.js';

/** Says in the worker log when claiming stops or waits (budget, usage limit) and when it resumes: once per change. */
export class BlockNotes {
  private last = '';
  private seen = false;

  constructor(private readonly log: Logger) {}

  note(block: StepBlock | undefined): void {
    const key =
      block === undefined ? '' : block.kind === 'stopped' ? `stop ${block.stop.reason}` : block.kind === 'paused' ? 'paused' : `wait ${block.note.until}`;
    if (key === this.last) return;
    const before = this.last;
    this.last = key;
    if (block?.kind === 'stopped')
      this.log.info(`claiming no more tasks: ${block.stop.reason === 'budget' ? 'the budget is spent' : 'stopped by a usage limit'} (${block.stop.detail})`);
    else if (block?.kind === 'waiting')
      this.log.info(
        `usage limit (${block.note.agent}): "${block.note.message}"; claiming again at ${block.note.until}${block.note.resets_at ? ` (resets ${block.note.resets_at})` : ' (no reset time given: fallback wait)'}`,
      );
    else if (block?.kind === 'paused') this.log.info(`claiming paused since ${block.since} (ralph queue resume, or the dashboard, resumes it)`);
    else if (key === '' && this.seen) this.log.info(before === 'paused' ? 'claiming resumed' : 'usage limit over: claiming again');
    this.seen = true;
  }
}

/** What became of a report: counted in the session, and one line in the worker log. */
export function noteReport(report: PendingReport, decision: ReportDecision, writer: SessionWriter, log: Logger): void {
  const { session } = writer;
  const id = report.task.id;
  session.iteration += 1;
  writer.touch();
  if (decision.kind === 'refused') {
    log.info(`task ${id}: report refused: ${decision.why}`);
    return;
  }
  if (decision.kind === 'deferred') {
    log.info(`⏸ task ${id} back to pending (attempt not counted): ${decision.issue.error}`);
    return;
  }
  if (decision.kind === 'completed') {
    session.completed += 1;
    session.findings.push({ task_id: id, finding: decision.finding.finding, timestamp: decision.finding.timestamp });
    if (session.findings.length > SESSION_HISTORY) session.findings.splice(0, session.findings.length - SESSION_HISTORY);
    log.info(`✔ task ${id} completed in ${report.outcome?.durationMs ?? 0} ms${describeGit(report.outcome?.git)}`);
    return;
  }
  session.failed += decision.kind === 'failed' ? 1 : 0;
  const next = decision.kind === 'requeued' ? (decision.task.not_before ? `requeued, claimable after ${decision.task.not_before}` : 'requeued') : 'failed';
  log.info(`✘ task ${id} ${next}: ${decision.issue.error}`);
}

/** The git part of a completion line in the worker log. */
function describeGit(git: TaskGitResult | undefined): string {
  if (!git) return '';
  const files = git.files_changed ? `, ${git.files_changed.length} file(s) changed` : '';
  if (git.merge === 'conflict') return `; ${git.branch} does not merge (conflict in ${(git.conflict_paths ?? []).join(', ')}): branch kept`;
  if (git.merge === 'merged')
    return `; ${git.branch} merged${git.merged_into ? ` as ${git.merged_into.slice(0, 12)}` : ' (no changes)'}${files}${git.note ? `. ${git.note}` : ''}`;
  return `; ${git.branch} ${git.merge ?? 'not merged'}${files}`;
}
