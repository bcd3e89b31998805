import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/agents/failure.js';
import type { ProcessOutput } from '../../src/agents/agent.js';

const out = (over: Partial<ProcessOutput> = {}): ProcessOutput => ({
  stdout: '',
  combinedTail: '',
  exitCode: 0,
  signal: null,
  timedOut: false,
  interrupted: false,
  durationMs: 10,
  ...over,
});

describe('describeFailure', () => {
  it.each<[string, Partial<ProcessOutput>]>([
    ['a clean exit', {}],
    ['a clean exit with output', { stdout: 'FINDINGS: ok', combinedTail: 'FINDINGS: ok' }],
    ['a clean exit after an interruption', { interrupted: true }],
  ])('finds nothing wrong with %s', (_what, over) => {
    expect(describeFailure(out(over), 5_000)).toBeUndefined();
  });

  it.each<[string, Partial<ProcessOutput>, number | undefined, string, string]>([
    ['a non-zero exit', { exitCode: 3 }, undefined, 'exit', 'agent exited with code 3 (no output)'],
    ['an exit without a code or signal', { exitCode: null }, undefined, 'exit', 'agent exited with code null (no output)'],
    ['a signal', { exitCode: null, signal: 'SIGTERM' }, undefined, 'signal', 'agent was killed by SIGTERM (no output)'],
    [
      'a timeout in whole seconds',
      { timedOut: true, exitCode: null, signal: 'SIGKILL' },
      30_000,
      'timeout',
      'timed out after 30s (--task-timeout) (no output)\nits process group was killed (SIGKILL)',
    ],
    [
      'a timeout in fractional seconds',
      { timedOut: true, exitCode: null },
      1_500,
      'timeout',
      'timed out after 1.5s (--task-timeout) (no output)\nits process group was killed',
    ],
    [
      'a timeout without a known limit',
      { timedOut: true, exitCode: null },
      undefined,
      'timeout',
      'timed out (--task-timeout) (no output)\nits process group was killed',
    ],
    [
      'an idle agent',
      { idleMs: 900_000, exitCode: null, signal: 'SIGTERM' },
      30_000,
      'idle-timeout',
      'printed nothing for 900s (--idle-timeout): taken for hung (no output)\nits process group was killed (SIGTERM)',
    ],
    ['a spawn error', { exitCode: null, spawnError: new Error('spawn ENOENT') }, undefined, 'spawn', 'could not start the agent: spawn ENOENT'],
  ])('describes %s', (_what, over, timeoutMs, reason, error) => {
    expect(describeFailure(out(over), timeoutMs)).toEqual({ reason, error });
  });

  it.each<[string, Partial<ProcessOutput>, string]>([
    ['a spawn error before a timeout', { spawnError: new Error('EACCES'), timedOut: true, signal: 'SIGKILL' }, 'spawn'],
    ['a timeout before its killing signal', { timedOut: true, signal: 'SIGKILL', exitCode: null }, 'timeout'],
    ['a signal before an exit code', { signal: 'SIGSEGV', exitCode: 139 }, 'signal'],
  ])('gives %s precedence', (_what, over, reason) => {
    expect(describeFailure(out(over), 1_000)?.reason).toBe(reason);
  });

  it('gives the one-line cause first, then the last output lines', () => {
    expect(describeFailure(out({ exitCode: 1, combinedTail: 'starting\n\nerror: bad input\n' }), undefined)?.error).toBe(
      'agent exited with code 1: error: bad input\nlast output:\nstarting\nerror: bad input',
    );
  });

  it('leaves the excerpt out when the cause quotes its only line', () => {
    expect(describeFailure(out({ exitCode: 1, combinedTail: 'boom\n' }), undefined)?.error).toBe('agent exited with code 1: boom');
  });

  it('keeps only the last ten non-empty lines', () => {
    const tail = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\n');
    const error = describeFailure(out({ exitCode: 1, combinedTail: tail }), undefined)!.error;
    expect(error.split('\n').slice(2)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 6}`));
  });

  it('reads the combined tail, not stdout', () => {
    expect(describeFailure(out({ exitCode: 1, stdout: 'only stdout', combinedTail: 'from stderr' }), undefined)?.error).toContain('from stderr');
  });

  it('does not add output to a spawn error', () => {
    expect(describeFailure(out({ spawnError: new Error('ENOENT'), combinedTail: 'noise' }), undefined)?.error).toBe('could not start the agent: ENOENT');
  });
});
