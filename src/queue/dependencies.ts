import { InputError } from '../errors.js';
import type { Issue, Task, TaskInput } from './types.js';

/**
 * Task dependencies (`depends_on: [ids]`): a task is claimable once every task it names is
 * completed; one that failed (for good) fails it with reason `dependency-failed`. Pure.
 */

/** The ids a task depends on (none for a task without, or with a malformed list). */
export function dependenciesOf(task: Pick<Task, 'depends_on'>): string[] {
  const deps = task.depends_on;
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [];
}

export type DependencyState = { kind: 'ready' } | { kind: 'waiting'; on: string[] } | { kind: 'failed'; on: string; why: string };

/** Whether a pending task may be claimed as far as its dependencies go; `get` reads a task by id. */
export function dependencyState(task: Pick<Task, 'depends_on'>, get: (id: string) => Task | undefined): DependencyState {
  const waiting: string[] = [];
  for (const id of dependenciesOf(task)) {
    const dep = get(id);
    if (dep === undefined) return { kind: 'failed', on: id, why: `it depends on ${JSON.stringify(id)}, which is not in the queue` };
    if (dep.status === 'failed') return { kind: 'failed', on: id, why: `its dependency ${JSON.stringify(id)} failed` };
    if (dep.status !== 'completed') waiting.push(id);
  }
  return waiting.length > 0 ? { kind: 'waiting', on: waiting } : { kind: 'ready' };
}

/**
 * Checks the dependencies of tasks being added against themselves and the queue (`known`: the ids
 * queued and their own dependencies): every id named exists, no task depends on itself, no cycle.
 * Throws InputError naming the task and the ids (or the cycle).
 */
export function checkDependencies(adding: readonly TaskInput[], known: ReadonlyMap<string, readonly string[]>, file: string): void {
  const graph = new Map<string, readonly string[]>(known);
  for (const task of adding) if (!graph.has(task.id)) graph.set(task.id, dependenciesOf(task));
  for (const task of adding) {
    const missing = dependenciesOf(task).filter((id) => !graph.has(id));
    if (missing.length > 0)
      throw new InputError(
        `${file}: task ${JSON.stringify(task.id)} depends on ${missing.map((id) => JSON.stringify(id)).join(', ')}, not in the file nor in the queue.`,
      );
  }
  const cycle = findCycle(
    graph,
    adding.map((t) => t.id),
  );
  if (cycle) throw new InputError(`${file}: the dependencies go round in a circle: ${cycle.map((id) => JSON.stringify(id)).join(' → ')}.`);
}

/** A cycle through the graph reachable from `starts`, as the ids around it (first repeated last), if any. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>, starts: readonly string[]): string[] | undefined {
  const done = new Set<string>();
  const onPath = new Map<string, number>();
  const path: string[] = [];
  // Iterative depth-first search (a long chain of dependencies must not overflow the stack).
  for (const start of starts) {
    if (done.has(start)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: start, next: 0 }];
    onPath.set(start, 0);
    path.push(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = graph.get(top.id) ?? [];
      if (top.next < deps.length) {
        const dep = deps[top.next++]!;
        const at = onPath.get(dep);
        if (at !== undefined) return [...path.slice(at), dep];
        if (done.has(dep) || !graph.has(dep)) continue;
        onPath.set(dep, path.length);
        path.push(dep);
        stack.push({ id: dep, next: 0 });
      } else {
        stack.pop();
        path.pop();
        onPath.delete(top.id);
        done.add(top.id);
      }
    }
  }
  return undefined;
}

/** A pending task whose dependency failed (or is gone): failed for good, with the issue that says why. */
export function failForDependency(task: Task, state: Extract<DependencyState, { kind: 'failed' }>, now: Date, workerId: number): { task: Task; issue: Issue } {
  const at = now.toISOString();
  const error = `not run: ${state.why}`;
  const { not_before: _n, ...rest } = task;
  return {
    task: { ...rest, status: 'failed', failed_at: at, error },
    issue: {
      task_id: task.id,
      worker_id: workerId,
      error,
      reason: 'dependency-failed',
      timestamp: at,
      attempt: task.attempts,
      exit_code: null,
      signal: null,
      duration_ms: 0,
      outcome: 'failed',
    },
  };
}

/** The pending tasks among `tasks` that wait on others, in order, at most `limit`, with what each waits on. */
export function waitingOn(tasks: readonly Task[], get: (id: string) => Task | undefined, limit: number): Array<{ id: string; waiting_on: string[] }> {
  const out: Array<{ id: string; waiting_on: string[] }> = [];
  for (const task of tasks) {
    if (out.length >= limit) break;
    if (task.status !== 'pending' || task.depends_on === undefined) continue;
    const state = dependencyState(task, get);
    if (state.kind === 'waiting') out.push({ id: task.id, waiting_on: state.on });
  }
  return out;
}
