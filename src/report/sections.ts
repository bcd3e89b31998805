import { formatDuration } from './time.js';
import type { QueueState } from '../queue/types.js';
import { clipLine as clip } from '../agents/cause.js';
import { cell, costText, fence, inline, table, tokens } from './md.js';
import type { RunSummary, TaskRow } from './summary.js';

/** The report's sections after its summary, each cut to a length a person reads. Pure. */

/** Rows of the tasks table; past them, `ralph report --json` lists every task. */
export const MAX_TASK_ROWS = 300;
/** Rows of the failures and unfinished lists. */
export const MAX_LISTED = 100;
/** Failures shown with their log excerpt. */
export const MAX_EXCERPTS = 10;

const CAUSE_CELL = 200;
const RIGHT_ALIGNED = new Set(['worker', 'attempts', 'duration', 'cost (last run)', 'files changed']);
const FINDING_CELL = 160;

const more = (n: number, what: string, key: string) => `${n} more ${what} are left out here: \`ralph report --json\` lists every one (\`${key}\`).`;

export function failureSection(summary: RunSummary): string[] {
  const failures = summary.failures;
  if (failures.length === 0) return [];
  const out = ['## Failures', '', `${failures.length} task(s) failed. Put them back with \`ralph queue retry --failed\`.`, ''];
  const listed = failures.slice(0, MAX_LISTED);
  out.push(
    ...table(
      ['id', 'type', 'worker', 'attempts', 'cause'],
      [false, false, true, true, false],
      listed.map((f) => [cell(f.id), cell(f.type), String(f.worker_id ?? ''), String(f.attempts), cell(clip(f.cause, CAUSE_CELL))]),
    ),
  );
  if (failures.length > listed.length) out.push('', more(failures.length - listed.length, 'failures', 'failures'));
  out.push('');
  const excerpts = failures.slice(0, MAX_EXCERPTS);
  for (const f of excerpts) {
    out.push(`### ${inline(f.id)} (${inline(f.type)})`, '');
    out.push(`Worker ${f.worker_id ?? '?'}, ${f.attempts} attempt(s).${f.log ? ` Read \`${f.log}\` for the full output.` : ''}`, '');
    out.push(fence(f.error), '');
  }
  if (failures.length > excerpts.length) out.push(`The first ${excerpts.length} failures are shown with their output; the worker logs have the others'.`, '');
  return out;
}

export function gitSections(summary: RunSummary): string[] {
  const git = summary.git;
  if (!git) return [];
  const out: string[] = [];
  if (git.conflicts.length > 0) {
    const base = git.base ?? 'BASE';
    const remote = git.remote;
    out.push('## Merge conflicts', '');
    out.push(
      `These tasks completed, but their branch does not merge cleanly into \`${base}\`${remote ? ` on the remote \`${remote}\`` : ''}. The branches are kept${remote ? ' there' : ''}; nothing was lost.`,
      '',
    );
    for (const c of git.conflicts) {
      out.push(`### ${inline(c.id)} on \`${c.branch}\``, '');
      out.push(
        `Conflicting files: ${(c.conflict_paths ?? []).map((p) => inline(p)).join(', ') || 'unknown'}${c.commit ? `; commit \`${c.commit.slice(0, 12)}\`` : ''}.`,
        '',
      );
      // On a remote: fetched first, then the same commands on the remote-tracking branches.
      const [b, branch] = remote ? [`${remote}/${base}`, `${remote}/${c.branch}`] : [base, c.branch];
      out.push(
        fence(
          [
            ...(remote ? [`git fetch ${remote} ${base} ${c.branch}   # the branch is kept on ${remote}`] : []),
            `git log --oneline ${b}..${branch}   # the task's commits`,
            `git diff ${b}...${branch}           # what the task changed`,
            `git merge ${branch}                     # merge it by hand on ${base}, resolving the conflict`,
          ].join('\n'),
        ),
        '',
      );
    }
  }
  if (git.notes.length > 0) {
    out.push('## Git notes', '');
    for (const n of git.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out;
}

export function unfinishedSection(summary: RunSummary): string[] {
  const unfinished = summary.unfinished;
  if (unfinished.length === 0) return [];
  const out = ['## Unfinished', '', `${unfinished.length} task(s) were not finished when the run ended; \`ralph run\` again picks them up.`, ''];
  for (const u of unfinished.slice(0, MAX_LISTED))
    out.push(
      `- ${inline(u.id)} (${inline(u.type)}): ${u.status}${u.worker_id != null ? `, last worker ${u.worker_id}` : ''}, ${u.attempts} attempt(s)${u.waiting_on ? `, waiting on ${u.waiting_on.map(inline).join(', ')}` : ''}`,
    );
  if (unfinished.length > MAX_LISTED) out.push('', more(unfinished.length - MAX_LISTED, 'unfinished tasks', 'unfinished'));
  return [...out, ''];
}

export function slowestSection(summary: RunSummary): string[] {
  if (summary.slowest.length === 0) return [];
  return [
    '## Slowest tasks',
    '',
    ...table(
      ['id', 'type', 'status', 'worker', 'duration'],
      [false, false, false, true, true],
      summary.slowest.map((t) => [cell(t.id), cell(t.type), t.status, String(t.worker_id ?? ''), formatDuration(t.duration_ms ?? 0)]),
    ),
    '',
  ];
}

export function workerSection(summary: RunSummary, priced: boolean): string[] {
  const out = ['## Workers', ''];
  if (summary.workers.length === 0) return [...out, 'No worker registered.', ''];
  out.push('What each worker did in this run.', '');
  const header = ['worker', 'completed', 'failed', 'requeued', 'busy', ...(priced ? ['cost', 'tokens'] : []), 'status', 'last heartbeat', 'log'];
  const rows = summary.workers.map((w) => [
    String(w.worker_id),
    String(w.completed),
    String(w.failed),
    String(w.requeued),
    formatDuration(w.busy_ms),
    ...(priced ? [costText(w), tokens(w.tokens)] : []),
    w.status,
    w.last_heartbeat ?? '',
    `\`${w.log}\``,
  ]);
  out.push(
    ...table(
      header,
      header.map((_, i) => i <= 4 || (priced && i === 5)),
      rows,
    ),
  );
  if (priced) out.push(`| **total** | | | | | ${costText(summary.run_usage)} | ${tokens(summary.run_usage.tokens)} | | | |`);
  return [...out, ''];
}

export function taskTable(state: QueueState, summary: RunSummary, priced: boolean): string[] {
  const out = ['## Tasks', ''];
  if (state.tasks.length === 0) return [...out, 'No tasks in the queue.', ''];
  const git = summary.git;
  const header = [
    'id',
    'type',
    'status',
    'worker',
    'attempts',
    'duration',
    ...(priced ? ['cost (last run)'] : []),
    ...(git ? ['branch', 'commit', 'merge', 'files changed'] : []),
    'finding or cause',
  ];
  const shown = state.tasks.slice(0, MAX_TASK_ROWS);
  const byId = new Map(summary.tasks.map((t) => [t.id, t]));
  const rows = shown.map((t) => {
    const row = byId.get(t.id);
    const said = row?.cause ?? row?.finding ?? '';
    return [
      cell(t.id),
      cell(t.type),
      t.status,
      String(t.worker_id ?? ''),
      String(t.attempts),
      typeof t.duration_ms === 'number' ? formatDuration(t.duration_ms) : '',
      ...(priced ? [taskCostText(row)] : []),
      ...(git
        ? [
            typeof t.branch === 'string' ? `\`${t.branch}\`` : '',
            typeof t.commit === 'string' ? t.commit.slice(0, 12) : '',
            typeof t.merge === 'string' ? t.merge : '',
            Array.isArray(t.files_changed) ? String(t.files_changed.length) : '',
          ]
        : []),
      cell(clip(said, t.status === 'failed' ? CAUSE_CELL : FINDING_CELL)),
    ];
  });
  out.push(
    ...table(
      header,
      header.map((h) => RIGHT_ALIGNED.has(h)),
      rows,
    ),
  );
  if (state.tasks.length > shown.length)
    out.push('', `${state.tasks.length - shown.length} more tasks are left out here: \`ralph report --json\` lists every task.`);
  return [...out, ''];
}

/** A task's last run's cost: "$0.05", "~$0.05" (estimated), "unknown", or '' when nothing was counted. */
function taskCostText(row: TaskRow | undefined): string {
  if (row?.cost_usd === undefined) return '';
  return costText({ cost_usd: row.cost_usd, cost_estimated: row.cost_estimated === true, runs_unknown_cost: 0 });
}

/** What was said to the agents during the queue's life (`ralph say`), oldest first. */
export function messagesSection(summary: RunSummary): string[] {
  const messages = summary.messages;
  if (messages.length === 0) return [];
  const out = ['## Messages to the agents', ''];
  for (const m of messages.slice(-MAX_LISTED))
    out.push(`- ${m.at}${m.to === undefined ? '' : ` to worker-${m.to}`}${m.from === 'user' ? '' : ` by ${m.from}`}: ${inline(m.text)}`);
  if (messages.length > MAX_LISTED) out.push('', `(the last ${MAX_LISTED} of ${messages.length}; all of them in messages.jsonl)`);
  return [...out, ''];
}
