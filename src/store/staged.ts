import type { Finding, Issue, QueueMeta, Task } from '../queue/types.js';

/**
 * What a transaction changes, staged until it commits: the tasks put, the results added, the meta's
 * changes, a reset. The part every store's transaction shares; each reads its own way.
 */
export abstract class StagedChanges {
  resetRequested = false;
  readonly puts = new Map<string, Task>();
  readonly newFindings: Finding[] = [];
  readonly newIssues: Issue[] = [];
  metaChange: Partial<QueueMeta> | undefined;

  put(task: Task): void {
    this.puts.set(task.id, task);
  }
  addFinding(finding: Finding): void {
    this.newFindings.push(finding);
  }
  addIssue(issue: Issue): void {
    this.newIssues.push(issue);
  }
  setMeta(meta: Partial<QueueMeta>): void {
    this.metaChange = { ...this.metaChange, ...meta };
  }

  reset(): void {
    this.resetRequested = true;
    this.puts.clear();
    this.newFindings.length = 0;
    this.newIssues.length = 0;
  }
}
