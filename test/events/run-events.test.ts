import { describe, expect, it } from 'vitest';
import { NO_EVENTS_YET, nextEvents, runFinishedEvent } from '../../src/events/run-events.js';
import type { EventContext, EventMemory } from '../../src/events/run-events.js';
import type { QueueMeta, QueueState, Task } from '../../src/queue/types.js';

const STARTED = '2026-01-01T10:00:00.000Z';
const ctx: EventContext = { now: new Date('2026-01-01T10:05:00.000Z'), dir: '/p/.ralph', workerLog: (id) => `/p/.ralph/worker-${id}.log` };

const task = (id: string, over: Partial<Task> = {}): Task => ({ id, type: 't', status: 'pending', attempts: 0, ...over });
const failed = (id: string, at: string, over: Partial<Task> = {}) =>
  task(id, { status: 'failed', attempts: 1, failed_at: at, worker_id: 2, error: `boom ${id}`, ...over });

function state(tasks: Task[], meta: Partial<QueueMeta> = {}): QueueState {
  return {
    tasks,
    findings: [],
    issues: tasks
      .filter((t) => t.status === 'failed')
      .map((t) => ({
        task_id: t.id,
        worker_id: 2,
        error: t.error ?? '',
        reason: 'exit' as const,
        timestamp: t.failed_at ?? '',
        attempt: 1,
        exit_code: 3,
        signal: null,
        duration_ms: 5,
        outcome: 'failed' as const,
      })),
    meta: { active: true, worker_count: 2, run: { started_at: STARTED, workers: 2 }, ...meta },
  };
}

const names = (s: QueueState, memory: EventMemory = NO_EVENTS_YET, c: EventContext = ctx) => nextEvents(s, memory, c).events.map((e) => e.event);

describe('nextEvents', () => {
  it.each<[string, QueueState, EventContext, string[]]>([
    ['nothing happened', state([task('a'), task('b', { status: 'completed' })]), ctx, []],
    ['a failure of an earlier run', state([failed('a', '2026-01-01T09:00:00.000Z')]), ctx, []],
    ['a failure during this run', state([failed('a', '2026-01-01T10:01:00.000Z')]), ctx, ['task-failed']],
    ['two failures', state([failed('a', '2026-01-01T10:01:00.000Z'), failed('b', '2026-01-01T10:02:00.000Z')]), ctx, ['task-failed', 'task-failed']],
    [
      'a usage-limit wait noticed in this run',
      state([], {
        usage_limit: { agent: 'claude', message: 'limit', until: '2026-01-01T11:00:00.000Z', noticed_at: '2026-01-01T10:03:00.000Z', worker_id: 1 },
      }),
      ctx,
      ['usage-limit'],
    ],
    [
      'a usage-limit note of an earlier run',
      state([], {
        usage_limit: { agent: 'claude', message: 'limit', until: '2026-01-01T11:00:00.000Z', noticed_at: '2026-01-01T09:03:00.000Z', worker_id: 1 },
      }),
      ctx,
      [],
    ],
    ['a usage-limit stop', state([], { stop: { reason: 'usage-limit', at: '2026-01-01T10:03:00.000Z', detail: 'claude: limit' } }), ctx, ['usage-limit']],
    ['a budget stop', state([], { stop: { reason: 'budget', at: '2026-01-01T10:03:00.000Z', detail: 'spent' }, cost_usd: 2 }), ctx, ['budget-reached']],
    ['the cost reaching --max-cost-usd', state([], { cost_usd: 1 }), { ...ctx, maxCostUsd: 1 }, ['budget-reached']],
    ['the cost below --max-cost-usd', state([], { cost_usd: 0.99 }), { ...ctx, maxCostUsd: 1 }, []],
  ])('%s', (_what, s, c, expected) => {
    expect(names(s, NO_EVENTS_YET, c)).toEqual(expected);
  });

  it('tells each event once, and a task that fails again (retried by hand) again', () => {
    const first = state([failed('a', '2026-01-01T10:01:00.000Z')], {
      cost_usd: 3,
      usage_limit: { agent: 'c', message: 'm', until: '2026-01-01T11:00:00.000Z', noticed_at: '2026-01-01T10:03:00.000Z', worker_id: 1 },
    });
    const c = { ...ctx, maxCostUsd: 1 };
    const once = nextEvents(first, NO_EVENTS_YET, c);
    expect(once.events.map((e) => e.event)).toEqual(['task-failed', 'usage-limit', 'budget-reached']);
    const again = nextEvents(first, once.memory, c);
    expect(again).toEqual({ events: [], memory: once.memory });
    expect(names(state([failed('a', '2026-01-01T10:04:00.000Z')]), once.memory, c)).toEqual(['task-failed']);
  });

  it('describes a failed task with its reason, error and log', () => {
    const [event] = nextEvents(state([failed('a', '2026-01-01T10:01:00.000Z')]), NO_EVENTS_YET, ctx).events;
    expect(event).toEqual({
      event: 'task-failed',
      time: '2026-01-01T10:05:00.000Z',
      dir: '/p/.ralph',
      task: {
        id: 'a',
        type: 't',
        attempts: 1,
        reason: 'exit',
        error: 'boom a',
        worker_id: 2,
        log: '/p/.ralph/worker-2.log',
        failed_at: '2026-01-01T10:01:00.000Z',
      },
    });
  });

  it('sums a run up for run-finished, failures cut to their first line', () => {
    const event = runFinishedEvent(
      {
        state_dir: '/p/.ralph',
        stopped_by: 'completed',
        total: 2,
        counts: { pending: 0, claimed: 0, completed: 1, failed: 1 },
        usage: { cost_usd: 0.5, tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 }, runs_with_cost: 1 },
        duration_ms: 1200,
        report: '/p/.ralph/ORCHESTRATOR-REPORT.md',
        failures: [{ id: 'b', type: 't', worker_id: 1, attempts: 1, error: 'agent exited with code 3; last output:\nboom', log: null }],
      },
      1,
      ctx.now,
    );
    expect(event).toMatchObject({
      event: 'run-finished',
      exit_code: 1,
      stopped_by: 'completed',
      cost_usd: 0.5,
      failures: [{ id: 'b', error: 'agent exited with code 3; last output:' }],
    });
  });
});
