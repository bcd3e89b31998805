import type { Finding, Issue, QueueState } from '../queue/types.js';
import type { VerifyRecord } from '../queue/verify.js';

/** What `--verify` checked over every recorded attempt, and each task's last check. */
export interface VerifySummary {
  /** The commands used (one, unless runs of the queue had different ones). */
  commands: string[];
  /** Attempts whose check passed, and failed. */
  passed: number;
  failed: number;
  tasks: Array<{ id: string; status: string } & VerifyRecord>;
}

/** Null when no attempt was verified. Pure. */
export function verifySummary(state: QueueState): VerifySummary | null {
  const records = [...state.findings, ...state.issues].map((r: Finding | Issue) => r.verify as VerifyRecord | undefined).filter(isRecord);
  if (records.length === 0) return null;
  return {
    commands: [...new Set(records.map((r) => r.command))],
    passed: records.filter((r) => r.ok).length,
    failed: records.filter((r) => !r.ok).length,
    tasks: state.tasks.flatMap((t) => (isRecord(t.verify) ? [{ id: t.id, status: t.status, ...t.verify }] : [])),
  };
}

function isRecord(v: unknown): v is VerifyRecord {
  return typeof v === 'object' && v !== null && typeof (v as VerifyRecord).command === 'string' && typeof (v as VerifyRecord).ok === 'boolean';
}
