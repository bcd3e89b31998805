import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext, AgentResult, ProcessOutput } from '../../src/agents/agent.js';
import { CliAgent, binVariable, findBinary } from '../../src/agents/cli-agent.js';
import type { BinaryLookup } from '../../src/agents/cli-agent.js';
import type { AgentOptions, BuildContext, CliSpec, ParsedOutput } from '../../src/agents/cli-spec.js';
import { CommandAgent } from '../../src/agents/command.js';
import { AGENT_NAMES } from '../../src/agents/names.js';
import { createAgent, listAgents, splitAgentArgs } from '../../src/agents/registry.js';
import { InputError } from '../../src/errors.js';

/** A small CLI spec: fixed args and env, and whatever parse result the test gives. */
function fakeSpec(
  parse: CliSpec['parse'] = () => ({ text: '', isError: false }),
  over: Partial<CliSpec> = {},
): CliSpec & { builds: Array<[string, AgentOptions, BuildContext]> } {
  const builds: Array<[string, AgentOptions, BuildContext]> = [];
  return {
    name: 'fake',
    title: 'Fake CLI',
    bin: 'fakebin',
    install: 'npm install -g fake-cli',
    formatNote: 'made up for tests',
    build(prompt, options, ctx) {
      builds.push([prompt, options, ctx]);
      return { args: ['--print', '--json'], env: { FAKE_MODE: 'batch' }, stdin: 'from the spec' };
    },
    parse,
    builds,
    ...over,
  };
}

/** A spec whose parse records its inputs and answers from a list, one answer per call. */
function recordingSpec(answers: ParsedOutput[], errorsOnStderr: boolean) {
  const calls: Array<[string, number | null]> = [];
  const spec = fakeSpec(
    (stdout, exitCode) => {
      calls.push([stdout, exitCode]);
      return answers[Math.min(calls.length - 1, answers.length - 1)]!;
    },
    errorsOnStderr ? { errorsOnStderr: true } : {},
  );
  return { spec, calls };
}

const output = (over: Partial<ProcessOutput> = {}): ProcessOutput => ({
  stdout: 'raw stdout',
  combinedTail: 'raw stdout\nraw stderr',
  exitCode: 0,
  signal: null,
  timedOut: false,
  interrupted: false,
  durationMs: 1_000,
  ...over,
});

let dir: string;
let exe: string;
let other: string;
let plain: string;
let binDir: string;
let lockedDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralph-cli-agent-'));
  const file = (path: string, mode: number) => {
    writeFileSync(path, '#!/bin/sh\necho hi\n');
    chmodSync(path, mode);
    return path;
  };
  exe = file(join(dir, 'exe'), 0o755);
  other = file(join(dir, 'other'), 0o755);
  plain = file(join(dir, 'plain'), 0o644);
  mkdirSync(join(dir, 'sub'));
  file(join(dir, 'sub', 'tool'), 0o755);
  binDir = join(dir, 'bin');
  mkdirSync(binDir);
  file(join(binDir, 'fakebin'), 0o755);
  // A directory on PATH whose fakebin is not executable: the lookup goes on to the next one.
  lockedDir = join(dir, 'locked');
  mkdirSync(lockedDir);
  file(join(lockedDir, 'fakebin'), 0o644);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('binVariable', () => {
  it.each([
    ['claude', 'RALPH_CLAUDE_BIN'],
    ['cursor', 'RALPH_CURSOR_BIN'],
    ['codex', 'RALPH_CODEX_BIN'],
    ['fake', 'RALPH_FAKE_BIN'],
    ['my-agent.2', 'RALPH_MY_AGENT_2_BIN'],
  ])('%s → %s', (name, variable) => {
    expect(binVariable(name)).toBe(variable);
  });
});

describe('findBinary', () => {
  type Case = [string, () => { bin?: string; env: NodeJS.ProcessEnv }, () => BinaryLookup];
  it.each<Case>([
    [
      'an explicit bin wins over the variable and PATH',
      () => ({ bin: exe, env: { RALPH_FAKE_BIN: other, PATH: binDir } }),
      () => ({ source: 'flag', wanted: exe, found: exe }),
    ],
    ['the variable wins over PATH', () => ({ env: { RALPH_FAKE_BIN: other, PATH: binDir } }), () => ({ source: 'env', wanted: other, found: other })],
    [
      'an empty variable is ignored',
      () => ({ env: { RALPH_FAKE_BIN: '', PATH: binDir } }),
      () => ({ source: 'path', wanted: 'fakebin', found: join(binDir, 'fakebin') }),
    ],
    ['the spec bin is looked up on PATH', () => ({ env: { PATH: binDir } }), () => ({ source: 'path', wanted: 'fakebin', found: join(binDir, 'fakebin') })],
    [
      'a non-executable match on PATH is skipped',
      () => ({ env: { PATH: [lockedDir, '', binDir].join(delimiter) } }),
      () => ({ source: 'path', wanted: 'fakebin', found: join(binDir, 'fakebin') }),
    ],
    ['a relative bin is resolved against cwd', () => ({ bin: './exe', env: {} }), () => ({ source: 'flag', wanted: './exe', found: exe })],
    [
      'a relative bin with a directory is resolved against cwd',
      () => ({ bin: 'sub/tool', env: {} }),
      () => ({ source: 'flag', wanted: 'sub/tool', found: join(dir, 'sub', 'tool') }),
    ],
    ['a relative variable is resolved against cwd', () => ({ env: { RALPH_FAKE_BIN: './other' } }), () => ({ source: 'env', wanted: './other', found: other })],
    [
      'a bare name as bin is looked up on PATH',
      () => ({ bin: 'fakebin', env: { PATH: binDir } }),
      () => ({ source: 'flag', wanted: 'fakebin', found: join(binDir, 'fakebin') }),
    ],
    ['a missing file', () => ({ bin: join(dir, 'missing'), env: {} }), () => ({ source: 'flag', wanted: join(dir, 'missing'), problem: 'does not exist' })],
    ['a non-executable file', () => ({ bin: plain, env: {} }), () => ({ source: 'flag', wanted: plain, problem: 'is not executable' })],
    [
      'a non-executable file from the variable',
      () => ({ env: { RALPH_FAKE_BIN: plain } }),
      () => ({ source: 'env', wanted: plain, problem: 'is not executable' }),
    ],
    ['a directory', () => ({ bin: binDir, env: {} }), () => ({ source: 'flag', wanted: binDir, problem: 'is not a file' })],
    [
      'a name not on PATH',
      () => ({ bin: 'no-such-agent', env: { PATH: binDir } }),
      () => ({ source: 'flag', wanted: 'no-such-agent', problem: 'not found on PATH' }),
    ],
    ['the spec bin with no PATH at all', () => ({ env: {} }), () => ({ source: 'path', wanted: 'fakebin', problem: 'not found on PATH' })],
    [
      'the spec bin only non-executable on PATH',
      () => ({ env: { PATH: lockedDir } }),
      () => ({ source: 'path', wanted: 'fakebin', problem: 'not found on PATH' }),
    ],
  ])('%s', (_what, input, expected) => {
    const { bin, env } = input();
    expect(findBinary(fakeSpec(), bin, env, dir)).toEqual(expected());
  });
});

describe('CliAgent.preflight', () => {
  it.each<[string, () => { bin?: string; env: NodeJS.ProcessEnv }, () => string, string | undefined]>([
    ['a missing --agent-bin', () => ({ bin: join(dir, 'missing'), env: {} }), () => `${join(dir, 'missing')} does not exist`, '--agent-bin'],
    ['a non-executable RALPH_FAKE_BIN', () => ({ env: { RALPH_FAKE_BIN: plain } }), () => `${plain} is not executable`, 'RALPH_FAKE_BIN'],
    // "not found on PATH" says where it looked already.
    ['a binary not on PATH', () => ({ env: { PATH: lockedDir } }), () => 'fakebin not found on PATH', undefined],
  ])('explains %s', (_what, input, tried, how) => {
    const { bin, env } = input();
    const agent = new CliAgent(fakeSpec(), { extraArgs: [], ...(bin === undefined ? {} : { bin }) }, { env });
    const message = agent.preflight(dir);
    expect(message).toBe(
      `agent fake (Fake CLI): ${tried()}${how ? ` (from ${how})` : ''}; install it (npm install -g fake-cli) or point --agent-bin or RALPH_FAKE_BIN at the binary`,
    );
  });

  it.each<[string, () => string]>([
    ['the agent name', () => 'agent fake (Fake CLI)'],
    ['the path tried', () => join(dir, 'missing')],
    ['where it came from', () => '(from --agent-bin)'],
    ['the install hint', () => 'npm install -g fake-cli'],
  ])('names %s', (_what, part) => {
    const agent = new CliAgent(fakeSpec(), { extraArgs: [], bin: join(dir, 'missing') }, { env: {} });
    expect(agent.preflight(dir)).toContain(part());
  });

  it('passes when the binary is found, and the invocation then uses it', () => {
    const agent = new CliAgent(fakeSpec(), { extraArgs: [] }, { env: { PATH: binDir } });
    expect(agent.preflight(dir)).toBeUndefined();
    expect(agent.describe()).toBe(`Fake CLI: ${join(binDir, 'fakebin')}`);
  });
});

describe('CliAgent.invocation', () => {
  const ctx: AgentContext = {
    task: { id: 't-1', type: 'fix', data: { file: 'a.ts' }, attempt: 2 },
    prompt: 'Fix a.ts',
    promptFile: '/tmp/ralph/prompt-1.md',
    workerId: 4,
    stateDir: '/srv/.ralph',
    cwd: '/srv',
  };

  it('builds the command, args, env and stdin', () => {
    const spec = fakeSpec();
    const agent = new CliAgent(spec, { extraArgs: ['--x'], model: 'm1' }, { env: { RALPH_FAKE_BIN: exe } });
    expect(agent.invocation(ctx)).toEqual({
      command: exe,
      args: ['--print', '--json'],
      env: {
        RALPH_TASK_ID: 't-1',
        RALPH_TASK_TYPE: 'fix',
        RALPH_TASK_DATA: '{"file":"a.ts"}',
        RALPH_WORKER_ID: '4',
        RALPH_ATTEMPT: '2',
        RALPH_PROMPT_FILE: '/tmp/ralph/prompt-1.md',
        RALPH_DIR: '/srv/.ralph',
        FAKE_MODE: 'batch',
      },
      stdin: 'from the spec',
      cwd: '/srv',
    });
    expect(spec.builds).toEqual([
      ['Fix a.ts', { extraArgs: ['--x'], model: 'm1' }, { promptFile: '/tmp/ralph/prompt-1.md', cwd: '/srv', isRoot: process.getuid?.() === 0 }],
    ]);
  });

  it.each<[string, () => NodeJS.ProcessEnv, () => string]>([
    ['the binary found on PATH', () => ({ PATH: binDir }), () => join(binDir, 'fakebin')],
    ['the spec bin when nothing is found', () => ({}), () => 'fakebin'],
  ])('runs %s', (_what, env, command) => {
    expect(new CliAgent(fakeSpec(), { extraArgs: [] }, { env: env() }).invocation(ctx).command).toBe(command());
  });
});

describe('CliAgent.parse', () => {
  const facts = { costUsd: 0.0123, tokens: { input: 100, output: 20 }, sessionId: 'sess-9' };
  const limit = { message: "You've hit your limit · resets 3pm", resetsAt: '2026-04-10T15:00:00.000Z' };

  type Case = [string, ParsedOutput, Partial<ProcessOutput>, Partial<AgentOptions>, AgentResult];
  it.each<Case>([
    [
      'an ok run with every fact',
      { text: 'Done.\n\nFINDINGS: fixed it', isError: false, model: 'm-parsed', ...facts },
      {},
      {},
      { ok: true, text: 'Done.\n\nFINDINGS: fixed it', finding: 'fixed it', explicit: true, agent: 'fake', model: 'm-parsed', ...facts },
    ],
    [
      'an ok run: the parsed model wins over --model',
      { text: 'FINDINGS: x', isError: false, model: 'm-parsed' },
      {},
      { model: 'm-opt' },
      { ok: true, text: 'FINDINGS: x', finding: 'x', explicit: true, agent: 'fake', model: 'm-parsed' },
    ],
    [
      'an ok run: --model when the output names none',
      { text: 'FINDINGS: x', isError: false },
      {},
      { model: 'm-opt' },
      { ok: true, text: 'FINDINGS: x', finding: 'x', explicit: true, agent: 'fake', model: 'm-opt' },
    ],
    [
      'an ok run with no facts: only the agent name',
      { text: 'first\n\nlast paragraph', isError: false },
      {},
      {},
      { ok: true, text: 'first\n\nlast paragraph', finding: 'last paragraph', explicit: true, agent: 'fake' },
    ],
    [
      'an ok run with no text: nothing explicit to show (what counts after a stop)',
      { text: '', isError: false },
      {},
      {},
      { ok: true, text: '', finding: '', explicit: false, agent: 'fake' },
    ],
    [
      'an error reported with exit code 0',
      { text: 'partial', isError: true, error: 'API overloaded', ...facts },
      { exitCode: 0 },
      {},
      {
        ok: false,
        text: 'partial',
        finding: 'partial',
        reason: 'agent-error',
        error: 'API overloaded — fake reported an error: API overloaded\nlast output:\nraw stdout\nraw stderr',
        agent: 'fake',
        ...facts,
      },
    ],
    [
      'an error reported with exit code 1',
      { text: '', isError: true, error: 'auth failed' },
      { exitCode: 1 },
      {},
      {
        ok: false,
        text: '',
        finding: '',
        reason: 'agent-error',
        error: 'fake reported an error (exit code 1): auth failed\nlast output:\nraw stdout\nraw stderr',
        agent: 'fake',
      },
    ],
    [
      'an error without a message',
      { text: '', isError: true },
      { exitCode: 0 },
      {},
      {
        ok: false,
        text: '',
        finding: '',
        reason: 'agent-error',
        error: 'fake reported an error: no message\nlast output:\nraw stdout\nraw stderr',
        agent: 'fake',
      },
    ],
    [
      'a usage limit',
      { text: '', isError: true, usageLimit: limit, ...facts },
      { exitCode: 1 },
      {},
      { ok: false, text: '', finding: '', reason: 'usage-limit', error: `usage limit: ${limit.message}`, usageLimit: limit, agent: 'fake', ...facts },
    ],
    [
      'a usage limit with exit code 0 and no isError',
      { text: 'x', isError: false, usageLimit: { message: 'quota exceeded' } },
      { exitCode: 0 },
      {},
      {
        ok: false,
        text: 'x',
        finding: 'x',
        reason: 'usage-limit',
        error: 'usage limit: quota exceeded',
        usageLimit: { message: 'quota exceeded' },
        agent: 'fake',
      },
    ],
  ])('%s', (_what, parsed, over, options, expected) => {
    const agent = new CliAgent(
      fakeSpec(() => parsed),
      { extraArgs: [], ...options },
      { env: {} },
    );
    expect(agent.parse(output(over))).toEqual(expected);
  });

  it.each<[string, ParsedOutput, Partial<ProcessOutput>, AgentResult['reason'], string]>([
    [
      'a timed-out run whose output shows a usage limit',
      { text: '', isError: true, usageLimit: limit },
      { timedOut: true, exitCode: null, signal: 'SIGKILL' },
      'timeout',
      'timed out after 5s (--task-timeout)',
    ],
    [
      'a timed-out run that reported an error',
      { text: '', isError: true, error: 'boom' },
      { timedOut: true, exitCode: null, signal: 'SIGTERM' },
      'timeout',
      'timed out after 5s',
    ],
    [
      'a timed-out run that looked fine',
      { text: 'FINDINGS: ok', isError: false },
      { timedOut: true, exitCode: null, signal: 'SIGKILL' },
      'timeout',
      'its process group was killed (SIGKILL)',
    ],
    [
      'a killed run whose output shows a usage limit',
      { text: '', isError: false, usageLimit: limit },
      { exitCode: null, signal: 'SIGTERM' },
      'signal',
      'agent was killed by SIGTERM',
    ],
    ['a killed run', { text: 'FINDINGS: half', isError: false }, { exitCode: null, signal: 'SIGKILL' }, 'signal', 'agent was killed by SIGKILL'],
    [
      'a spawn error',
      { text: '', isError: false },
      { exitCode: null, spawnError: new Error('spawn fakebin ENOENT') },
      'spawn',
      'could not start the agent: spawn fakebin ENOENT',
    ],
    [
      'a non-zero exit without a reported error',
      { text: 'FINDINGS: meh', isError: false },
      { exitCode: 3, combinedTail: 'oops' },
      'exit',
      'agent exited with code 3: oops',
    ],
  ])('%s fails with reason %s', (_what, parsed, over, reason, message) => {
    const agent = new CliAgent(
      fakeSpec(() => ({ ...parsed, costUsd: 0.5 })),
      { extraArgs: [] },
      { env: {}, timeoutMs: 5_000, timeoutFlag: '--task-timeout' },
    );
    const result = agent.parse(output(over));
    expect(result).toMatchObject({ ok: false, reason, agent: 'fake', costUsd: 0.5 });
    expect(result.error).toContain(message);
    expect(result).not.toHaveProperty('usageLimit');
  });

  it.each<[string, boolean, ParsedOutput[], Array<[string, number | null]>]>([
    [
      're-parses stdout and stderr together after an error when the spec says so',
      true,
      [
        { text: '', isError: true, error: 'see stderr' },
        { text: '', isError: true, error: 'quota from stderr' },
      ],
      [
        ['raw stdout', 1],
        ['raw stdout\nraw stderr', 1],
      ],
    ],
    ['parses once when the spec does not say so', false, [{ text: '', isError: true, error: 'see stderr' }], [['raw stdout', 1]]],
    ['parses once when the first parse found no error', true, [{ text: 'FINDINGS: fine', isError: false }], [['raw stdout', 1]]],
  ])('%s', (_what, errorsOnStderr, answers, calls) => {
    const recorded = recordingSpec(answers, errorsOnStderr);
    new CliAgent(recorded.spec, { extraArgs: [] }, { env: {} }).parse(output({ exitCode: 1 }));
    expect(recorded.calls).toEqual(calls);
  });

  it.each([0, 1])('parses stdout and stderr together from the start when the spec reads stderr (exit %i)', (exitCode) => {
    const calls: string[] = [];
    const spec = fakeSpec(
      (text) => {
        calls.push(text);
        return { text: '', isError: exitCode !== 0 };
      },
      { readsStderr: true },
    );
    new CliAgent(spec, { extraArgs: [] }, { env: {} }).parse(output({ exitCode }));
    expect(calls).toEqual(['raw stdout\nraw stderr']);
  });

  it('uses the second parse when errors are on stderr', () => {
    const recorded = recordingSpec(
      [
        { text: '', isError: true, error: 'see stderr' },
        { text: '', isError: true, error: 'quota from stderr', usageLimit: { message: 'quota exceeded' } },
      ],
      true,
    );
    const result = new CliAgent(recorded.spec, { extraArgs: [] }, { env: {} }).parse(output({ exitCode: 1 }));
    expect(result).toMatchObject({ ok: false, reason: 'usage-limit', usageLimit: { message: 'quota exceeded' } });
  });
});

describe("the runner's safety nets (no spec needs its own)", () => {
  it('a parser that throws gives a failed run that says so, not an exception', () => {
    const spec = fakeSpec(() => {
      throw new TypeError("Cannot read properties of null (reading 'x')");
    });
    const result = new CliAgent(spec, { extraArgs: [] }, { env: {} }).parse(output());
    expect(result).toMatchObject({ ok: false, reason: 'agent-error' });
    expect(result.error).toContain("could not read the output: Cannot read properties of null (reading 'x')");
  });

  it('a line renderer that throws leaves the line as it came (undefined), and a failure excerpt still renders', () => {
    const spec = fakeSpec(() => ({ text: '', isError: true, error: 'it broke' }), {
      renderLine: (line) => {
        if (line.includes('bad')) throw new RangeError('bad line');
        return `shown: ${line}`;
      },
    });
    const agent = new CliAgent(spec, { extraArgs: [] }, { env: {} });
    expect(agent.renderLine('stdout', 'a bad line')).toBeUndefined();
    expect(agent.renderLine('stdout', 'a good line')).toBe('shown: a good line');
    expect(() => agent.parse(output({ exitCode: 1, combinedTail: 'a bad line\na good line' }))).not.toThrow();
  });
});

describe('createAgent', () => {
  it.each<[string, Parameters<typeof createAgent>[0], string, unknown]>([
    ['--agent-cmd alone', { agentCmd: 'node agent.mjs' }, 'command', CommandAgent],
    ['--agent-cmd with --agent command', { agentCmd: 'node agent.mjs', agent: 'command' }, 'command', CommandAgent],
    ['nothing: the default agent', {}, 'claude', CliAgent],
    ['--agent codex', { agent: 'codex' }, 'codex', CliAgent],
    ['--agent cursor', { agent: 'cursor' }, 'cursor', CliAgent],
  ])('%s', (_what, choice, name, type) => {
    const agent = createAgent(choice, { env: {} });
    expect(agent).toBeInstanceOf(type as typeof CliAgent);
    expect(agent.name).toBe(name);
  });

  it('passes the options to the CLI agent', () => {
    const agent = createAgent(
      { agent: 'codex', agentBin: '/opt/codex', model: 'gpt-5', agentArgs: '--a "b c"', sandbox: 'read-only', permissionMode: 'plan', allowedTools: 'Bash' },
      { env: {} },
    );
    expect(agent).toBeInstanceOf(CliAgent);
    expect((agent as CliAgent).options).toEqual({
      extraArgs: ['--a', 'b c'],
      bin: '/opt/codex',
      model: 'gpt-5',
      own: { sandbox: 'read-only', permissionMode: 'plan', allowedTools: 'Bash' },
    });
  });

  it.each<[string, Parameters<typeof createAgent>[0], RegExp]>([
    ['--agent-cmd with another --agent', { agentCmd: 'node agent.mjs', agent: 'codex' }, /give either --agent codex or --agent-cmd, not both/],
    ['an unknown agent', { agent: 'nope' }, new RegExp(`unknown agent "nope"; known: ${AGENT_NAMES.join(', ')}`)],
    ['bad --agent-args', { agent: 'claude', agentArgs: '"unbalanced' }, /--agent-args/],
  ])('rejects %s with an InputError', (_what, choice, message) => {
    expect(() => createAgent(choice, { env: {} })).toThrow(InputError);
    expect(() => createAgent(choice, { env: {} })).toThrow(message);
  });
});

describe('splitAgentArgs', () => {
  it.each<[string, string | undefined, string[]]>([
    ['quotes and escapes', '--a "b c" d\\ e', ['--a', 'b c', 'd e']],
    ['single quotes', "--x 'y z'", ['--x', 'y z']],
    ['extra spaces', '  --a   b  ', ['--a', 'b']],
    ['an empty string', '', []],
    ['only whitespace', ' \t\n ', []],
    ['nothing', undefined, []],
  ])('%s', (_what, text, args) => {
    expect(splitAgentArgs(text)).toEqual(args);
  });

  it.each(['"unbalanced', "it's", '--a "b'])('rejects %s with an InputError naming --agent-args', (text) => {
    expect(() => splitAgentArgs(text)).toThrow(InputError);
    expect(() => splitAgentArgs(text)).toThrow(/--agent-args/);
  });
});

describe('listAgents', () => {
  it('lists all eight agents in order', () => {
    expect(listAgents({}, dir).map((a) => a.spec.name)).toEqual(['claude', 'codex', 'gemini', 'opencode', 'aider', 'amp', 'cursor', 'copilot']);
  });

  it('looks up each binary', () => {
    const list = listAgents({ RALPH_CURSOR_BIN: exe }, dir);
    expect(list.find((a) => a.spec.name === 'cursor')?.lookup).toEqual({ source: 'env', wanted: exe, found: exe });
    expect(list.find((a) => a.spec.name === 'claude')?.lookup).toMatchObject({ source: 'path', problem: 'not found on PATH' });
  });
});
