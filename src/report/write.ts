import { redact } from '../redact/process.js';
import { writeFileAtomicSync } from '../store/atomic-write.js';
import type { Store } from '../store/store.js';
import { renderReport } from './markdown.js';
import { buildSummary } from './summary.js';
import { readMessages } from '../store/messages.js';
import type { RunSummary, StopReason } from './summary.js';

/** Rewrites `.ralph/ORCHESTRATOR-REPORT.md` from the state files and returns the summary. */
export function writeReport(store: Store, stoppedBy?: StopReason): RunSummary {
  return reportRun(store, stoppedBy, () => undefined);
}

/**
 * The summary of the run from the state files, handed to `onSummary` before the report is written
 * from it: a report that cannot be written (a full disk) still leaves the run its summary to print.
 */
export function reportRun(store: Store, stoppedBy: StopReason | undefined, onSummary: (summary: RunSummary) => void): RunSummary {
  const state = store.read();
  // A broken session file costs its worker's row, not the report.
  const { sessions, problems } = store.sessions.readLenient();
  const summary = buildSummary(state, sessions, {
    dir: store.dir,
    report: store.paths.report,
    messages: readMessages(store.paths.messages),
    ...(stoppedBy ? { stoppedBy } : {}),
  });
  onSummary(summary);
  writeFileAtomicSync(store.paths.report, redact(renderReport(state, summary, problems)));
  return summary;
}
