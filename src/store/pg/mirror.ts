import type pg from 'pg';
import { StateMissingError } from '../../errors.js';
import type { Finding, Issue, QueueMeta, QueueState, Task } from '../../queue/types.js';
import { DEFAULT_META } from './load.js';

interface Row {
  k: string;
  body: Task | Finding | Issue;
  seq: string;
  xid: string;
}

/**
 * The whole queue as of the last look, kept up to date by reading only what changed since: every row
 * carries the id of the transaction that wrote it last (`xid`), and a look reads the rows written by
 * transactions that had not finished when the look before it was taken (`xid` at least that
 * snapshot's xmin), in a snapshot of its own. A reset (`epoch`) reads everything again. What a
 * `ralph run` watches a database's queue with, a few times a second, without reading it whole.
 */
export class QueueMirror {
  private epoch: number | undefined;
  private xmin = '0';
  private tasks: Task[] = [];
  private readonly taskSeq = new Map<string, number>();
  private readonly index = new Map<string, number>();
  private findings: Finding[] = [];
  private issues: Issue[] = [];
  /** The seq of each finding and issue, in the same order. */
  private findingSeqs: number[] = [];
  private issueSeqs: number[] = [];
  /** Results read at or after `xmin` (they may be read again): not to be added twice. */
  private recent = new Map<number, bigint>();
  private meta: QueueMeta = DEFAULT_META;

  constructor(private readonly queue: string) {}

  /** Reads what changed (run inside a REPEATABLE READ transaction) and gives the state as it is now. */
  async update(client: pg.PoolClient): Promise<QueueState> {
    const head = await client.query<{ meta: QueueMeta; epoch: number; xmin: string }>(
      'SELECT meta, epoch, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin FROM ralph_queues WHERE name = $1',
      [this.queue],
    );
    const row = head.rows[0];
    if (!row) throw new StateMissingError('', `queue ${JSON.stringify(this.queue)} in the database`);
    const whole = this.epoch !== row.epoch;
    if (whole) this.clear();
    const since = whole ? '0' : this.xmin;
    const { rows } = await client.query<Row>(
      `(SELECT 't' AS k, task AS body, seq, xid::text AS xid FROM ralph_tasks WHERE queue = $1 AND xid >= $2::xid8)
       UNION ALL (SELECT kind, body, seq, xid::text FROM ralph_results WHERE queue = $1 AND xid >= $2::xid8)`,
      [this.queue, since],
    );
    this.meta = { ...DEFAULT_META, ...row.meta };
    this.epoch = row.epoch;
    this.take(rows, BigInt(row.xmin));
    this.xmin = row.xmin;
    return { tasks: this.tasks, meta: this.meta, findings: this.findings, issues: this.issues };
  }

  private clear(): void {
    this.tasks = [];
    this.taskSeq.clear();
    this.index.clear();
    this.findings = [];
    this.issues = [];
    this.findingSeqs = [];
    this.issueSeqs = [];
    this.recent.clear();
  }

  private take(rows: readonly Row[], xmin: bigint): void {
    let reorderTasks = false;
    let reorderResults = false;
    const lastTaskSeq = this.tasks.length === 0 ? -1 : this.taskSeq.get(this.tasks[this.tasks.length - 1]!.id)!;
    const lastResultSeq = Math.max(this.findingSeqs.at(-1) ?? -1, this.issueSeqs.at(-1) ?? -1);
    for (const row of rows.slice().sort((a, b) => Number(a.seq) - Number(b.seq))) {
      const seq = Number(row.seq);
      if (row.k === 't') {
        const task = row.body as Task;
        const at = this.index.get(task.id);
        if (at !== undefined) {
          this.tasks[at] = task;
          continue;
        }
        if (seq < lastTaskSeq) reorderTasks = true;
        this.index.set(task.id, this.tasks.length);
        this.taskSeq.set(task.id, seq);
        this.tasks.push(task);
        continue;
      }
      if (this.recent.has(seq)) continue;
      this.recent.set(seq, BigInt(row.xid));
      if (seq < lastResultSeq) reorderResults = true;
      if (row.k === 'finding') {
        this.findings.push(row.body as Finding);
        this.findingSeqs.push(seq);
      } else {
        this.issues.push(row.body as Issue);
        this.issueSeqs.push(seq);
      }
    }
    // A result written by a transaction older than this look's xmin is never read again.
    for (const [seq, xid] of this.recent) if (xid < xmin) this.recent.delete(seq);
    if (reorderTasks) {
      this.tasks.sort((a, b) => this.taskSeq.get(a.id)! - this.taskSeq.get(b.id)!);
      this.index.clear();
      for (const [i, task] of this.tasks.entries()) this.index.set(task.id, i);
    }
    if (reorderResults) {
      [this.findings, this.findingSeqs] = inOrder(this.findings, this.findingSeqs);
      [this.issues, this.issueSeqs] = inOrder(this.issues, this.issueSeqs);
    }
  }
}

/** Items and their seqs, both put in seq order. */
function inOrder<T>(items: T[], seqs: number[]): [T[], number[]] {
  const order = seqs.map((seq, i) => [seq, i] as const).sort((a, b) => a[0] - b[0]);
  return [order.map(([, i]) => items[i]!), order.map(([seq]) => seq)];
}
