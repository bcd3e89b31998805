import { describe, expect, it } from 'vitest';
import { WORKER_DEFAULTS, workerArgv, workerTimings } from '../../src/orchestrator/settings.js';
import type { WorkerSettings } from '../../src/orchestrator/settings.js';

const full: WorkerSettings = {
  agentCmd: './agent.sh --fast',
  promptTemplate: 'prompt.txt',
  taskTimeoutSec: 900,
  idleTimeoutSec: 300,
  graceSec: 5,
  leaseSec: 60,
  maxAttempts: 3,
  retries: 1,
  retryBackoffSec: 2.5,
  agent: 'codex',
  agentBin: '/opt/codex',
  model: 'gpt-5',
  agentArgs: '--config "a b"',
  permissions: 'read-only',
  permissionMode: 'acceptEdits',
  allowedTools: 'Bash,Edit',
  maxCostUsd: 1.5,
  prices: { 'my-model': { input: 3, output: 15, cache_read: 0.3 } },
  onUsageLimit: 'stop',
  usageLimitMarginSec: 3,
  usageLimitWaitSec: 30,
};

const pairs = (argv: string[]) => Object.fromEntries(argv.flatMap((v, i) => (i % 2 === 0 ? [[v, argv[i + 1]]] : [])));

describe('workerArgv', () => {
  it.each<[keyof WorkerSettings, string, string]>([
    ['agentCmd', '--agent-cmd', './agent.sh --fast'],
    ['promptTemplate', '--prompt-template', 'prompt.txt'],
    ['taskTimeoutSec', '--task-timeout', '900'],
    ['idleTimeoutSec', '--idle-timeout', '300'],
    ['graceSec', '--grace', '5'],
    ['leaseSec', '--lease', '60'],
    ['maxAttempts', '--max-attempts', '3'],
    ['retries', '--retries', '1'],
    ['retryBackoffSec', '--retry-backoff', '2.5'],
    ['agent', '--agent', 'codex'],
    ['agentBin', '--agent-bin', '/opt/codex'],
    ['model', '--model', 'gpt-5'],
    ['agentArgs', '--agent-args', '--config "a b"'],
    ['permissions', '--permissions', 'read-only'],
    ['permissionMode', '--permission-mode', 'acceptEdits'],
    ['allowedTools', '--allowed-tools', 'Bash,Edit'],
    ['maxCostUsd', '--max-cost-usd', '1.5'],
    ['prices', '--prices', '{"my-model":{"input":3,"output":15,"cache_read":0.3}}'],
    ['onUsageLimit', '--on-usage-limit', 'stop'],
    ['usageLimitMarginSec', '--usage-limit-margin', '3'],
    ['usageLimitWaitSec', '--usage-limit-wait', '30'],
  ])('passes %s as %s', (_key, flag, value) => {
    expect(pairs(workerArgv(full))[flag]).toBe(value);
  });

  it('gives one flag and one value per setting', () => {
    expect(workerArgv(full)).toHaveLength(Object.keys(full).length * 2);
  });

  it.each<[string, Partial<WorkerSettings>, string]>([
    ['no prompt template', { promptTemplate: undefined }, '--prompt-template'],
    ['no task timeout', { taskTimeoutSec: undefined }, '--task-timeout'],
  ])('omits the flag when there is %s', (_what, over, flag) => {
    expect(workerArgv({ ...full, ...over })).not.toContain(flag);
  });

  it('keeps zero values', () => {
    expect(pairs(workerArgv({ ...full, retries: 0, retryBackoffSec: 0 }))).toMatchObject({ '--retries': '0', '--retry-backoff': '0' });
  });

  it('keeps an agent command with spaces and quotes as one argument', () => {
    const argv = workerArgv({ ...full, agentCmd: `claude -p "it's $(x)"` });
    expect(argv[argv.indexOf('--agent-cmd') + 1]).toBe(`claude -p "it's $(x)"`);
  });

  it('passes each --redact name on as a flag of its own', () => {
    const argv = workerArgv({ agentCmd: 'a', graceSec: 5, leaseSec: 60, maxAttempts: 3, retries: 0, retryBackoffSec: 2, redact: ['MY_VALUE', 'OTHER'] });
    expect(argv.slice(argv.indexOf('--redact'), argv.indexOf('--redact') + 4)).toEqual(['--redact', 'MY_VALUE', '--redact', 'OTHER']);
    expect(argv.filter((a) => a === '--redact')).toHaveLength(2);
    expect(workerArgv({ agentCmd: 'a', graceSec: 5, leaseSec: 60, maxAttempts: 3, retries: 0, retryBackoffSec: 2 })).not.toContain('--redact');
  });

  it('turns the defaults into flags', () => {
    expect(workerArgv({ agentCmd: 'a', ...WORKER_DEFAULTS })).toEqual([
      '--agent-cmd',
      'a',
      '--permissions',
      'auto',
      '--on-usage-limit',
      'wait',
      '--usage-limit-margin',
      '60',
      '--usage-limit-wait',
      '900',
      '--task-timeout',
      '3600',
      '--idle-timeout',
      '900',
      '--verify-timeout',
      '600',
      '--grace',
      '5',
      '--lease',
      '60',
      '--max-attempts',
      '3',
      '--retries',
      '0',
      '--retry-backoff',
      '2',
      '--isolate',
      'none',
      '--merge',
      'merge',
      '--on-conflict',
      'keep',
    ]);
  });

  it('passes the worktree isolation on to the workers, base branch included', () => {
    expect(
      workerArgv({ agentCmd: 'a', ...WORKER_DEFAULTS, isolate: 'worktree', base: 'release/1.x', merge: 'rebase', onConflict: 'requeue' }).slice(-8),
    ).toEqual(['--isolate', 'worktree', '--base', 'release/1.x', '--merge', 'rebase', '--on-conflict', 'requeue']);
  });
});

describe('workerTimings', () => {
  const base: WorkerSettings = { graceSec: 5, leaseSec: 90, maxAttempts: 3, retries: 2, retryBackoffSec: 1.5 };

  it("turns the settings' seconds into the worker's milliseconds, with the defaults of the usage-limit policy", () => {
    expect(workerTimings({ ...base, taskTimeoutSec: 600, idleTimeoutSec: 120, maxCostUsd: 2 })).toEqual({
      graceMs: 5000,
      leaseMs: 90_000,
      maxAttempts: 3,
      retries: 2,
      retryBackoffMs: 1500,
      onUsageLimit: WORKER_DEFAULTS.onUsageLimit,
      usageLimitMarginMs: WORKER_DEFAULTS.usageLimitMarginSec * 1000,
      usageLimitWaitMs: WORKER_DEFAULTS.usageLimitWaitSec * 1000,
      maxCostUsd: 2,
      taskTimeoutMs: 600_000,
      idleTimeoutMs: 120_000,
    });
  });

  it('a task or idle timeout of 0 is no limit', () => {
    const timings = workerTimings({ ...base, taskTimeoutSec: 0, idleTimeoutSec: 0, onUsageLimit: 'stop', usageLimitMarginSec: 2, usageLimitWaitSec: 30 });
    expect(timings).not.toHaveProperty('taskTimeoutMs');
    expect(timings).not.toHaveProperty('idleTimeoutMs');
    expect(timings).toMatchObject({ onUsageLimit: 'stop', usageLimitMarginMs: 2000, usageLimitWaitMs: 30_000 });
  });

  it("a setting not given has the table's default", () => {
    expect(workerTimings({})).toEqual({
      graceMs: WORKER_DEFAULTS.graceSec * 1000,
      leaseMs: WORKER_DEFAULTS.leaseSec * 1000,
      maxAttempts: WORKER_DEFAULTS.maxAttempts,
      retries: WORKER_DEFAULTS.retries,
      retryBackoffMs: WORKER_DEFAULTS.retryBackoffSec * 1000,
      onUsageLimit: WORKER_DEFAULTS.onUsageLimit,
      usageLimitMarginMs: WORKER_DEFAULTS.usageLimitMarginSec * 1000,
      usageLimitWaitMs: WORKER_DEFAULTS.usageLimitWaitSec * 1000,
      taskTimeoutMs: WORKER_DEFAULTS.taskTimeoutSec * 1000,
      idleTimeoutMs: WORKER_DEFAULTS.idleTimeoutSec * 1000,
    });
    expect(WORKER_DEFAULTS).toMatchObject({ taskTimeoutSec: 3600, idleTimeoutSec: 900, leaseSec: 60, graceSec: 5 });
  });
});
