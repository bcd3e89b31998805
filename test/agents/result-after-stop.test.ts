import { describe, expect, it } from 'vitest';
import { resultAfterStop } from '../../src/agents/agent.js';
import type { AgentResult, ProcessOutput } from '../../src/agents/agent.js';
import { CommandAgent } from '../../src/agents/command.js';

const output = (over: Partial<ProcessOutput>): ProcessOutput => ({
  stdout: '',
  combinedTail: '',
  exitCode: 0,
  signal: null,
  timedOut: false,
  interrupted: true,
  durationMs: 5,
  ...over,
});
const result = (over: Partial<AgentResult>): AgentResult => ({ ok: true, text: '', finding: 'done', explicit: true, ...over });

describe("resultAfterStop: a stopped agent's result is recorded only when it finished its turn", () => {
  it.each([
    ['exited 0 with an explicit result within the grace period', output({}), result({}), true],
    ['not stopped at all (the ordinary path decides)', output({ interrupted: false }), result({}), false],
    ['SIGKILLed after the grace period', output({ exitCode: null, signal: 'SIGKILL' }), result({ ok: false }), false],
    ['died of the SIGTERM', output({ exitCode: null, signal: 'SIGTERM' }), result({ ok: false }), false],
    ['exited 143 (its shell passed the SIGTERM on)', output({ exitCode: 143 }), result({ ok: false }), false],
    ['exited 0 with nothing to show', output({}), result({ explicit: false }), false],
    ['exited 0 but the adapter read an error', output({}), result({ ok: false }), false],
    ['timed out, then exited 0', output({ timedOut: true }), result({}), false],
  ])('%s → %s', (_what, out, res, expected) => {
    expect(resultAfterStop(out, res)).toBe(expected);
  });

  it("a command's result is explicit only with a FINDINGS: line", () => {
    const agent = new CommandAgent('./agent.sh');
    expect(agent.parse(output({ stdout: 'work\nFINDINGS: fixed it\n' }))).toMatchObject({ ok: true, finding: 'fixed it', explicit: true });
    expect(agent.parse(output({ stdout: 'some output, no marker\n' }))).toMatchObject({ ok: true, explicit: false });
  });
});
