import type { Task } from '../queue/types.js';

/**
 * The tasks of one status (pending, or claimed) in queue order, kept in step with their positions
 * in the whole task list, so that a transaction gets them without a pass over every task, and
 * without a copy.
 */
export class OpenList {
  /** Positions in the whole task list, ascending. */
  private readonly positions: number[] = [];
  /** The task at each of those positions. */
  private readonly list: Task[] = [];
  private readonly countIf: (task: Task) => boolean;
  private count = 0;

  /** `countIf`: which tasks `counted` counts, kept up to date through every change. */
  constructor(countIf: (task: Task) => boolean = () => false) {
    this.countIf = countIf;
  }

  /** How many of the tasks `countIf` says yes to. */
  get counted(): number {
    return this.count;
  }

  /** The tasks, in queue order. Read-only for callers; it changes when the store applies a change. */
  get tasks(): readonly Task[] {
    return this.list;
  }

  /** Puts `task`, at position `at` of the whole list, into this list (or replaces it there). */
  set(at: number, task: Task): void {
    const i = this.find(at);
    if (this.countIf(task)) this.count++;
    if (this.positions[i] === at) {
      if (this.countIf(this.list[i]!)) this.count--;
      this.list[i] = task;
    } else if (i === this.positions.length) {
      this.positions.push(at);
      this.list.push(task);
    } else {
      this.positions.splice(i, 0, at);
      this.list.splice(i, 0, task);
    }
  }

  /** Takes the task at position `at` of the whole list out of this list, if it is here. */
  delete(at: number): void {
    const i = this.find(at);
    if (this.positions[i] !== at) return;
    if (this.countIf(this.list[i]!)) this.count--;
    // Claims take tasks from the front: `shift` is the fast way to do that (V8 trims the array's
    // start in place), where `splice` moves every element.
    if (i === 0) {
      this.positions.shift();
      this.list.shift();
    } else {
      this.positions.splice(i, 1);
      this.list.splice(i, 1);
    }
  }

  /** Where `at` is, or would go, in `positions`. */
  private find(at: number): number {
    const { positions } = this;
    if (positions.length === 0 || positions[positions.length - 1]! < at) return positions.length;
    let lo = 0;
    let hi = positions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (positions[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
