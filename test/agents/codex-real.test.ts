// Ralph driving the REAL Codex CLI (pinned 0.171.0, installed by scripts/ensure-codex.mjs into a
// cache) against the local mock of the Responses API: `ralph run --agent codex`, end to end, offline.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, tempDir, writeTasks } from '../helpers/index.js';
import { parseEvents, runClaude } from '../helpers/claude-env.js';
import { CODEX_EXEC_ARGS, CODEX_VERSION, cleanupCodexHomes, codexBinary, codexEnv, codexSupported } from '../helpers/codex-env.js';
import type { CodexEnvOptions } from '../helpers/codex-env.js';
import { closedPort, functionCallOutput, replySequence, startMockResponses, userText } from '../helpers/mock-responses.js';
import type { MockResponses, Reply } from '../helpers/mock-responses.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'codex');
const USAGE = { input_tokens: 1000, cached_tokens: 300, cache_write_tokens: 40, output_tokens: 200, reasoning_tokens: 64 };
const taskIdIn = (body: any) => /Task id: (\S+)/.exec(userText(body))?.[1] ?? 'unknown';
const logsOf = (dir: string) =>
  readdirSync(join(dir, '.ralph'))
    .filter((n) => n.endsWith('.log'))
    .map((n) => readFileSync(join(dir, '.ralph', n), 'utf8'))
    .join('\n');

// Fails (not skipped) where the pinned binary cannot be installed: codexBinary() throws saying why.
describe.runIf(codexSupported)('ralph with the real Codex CLI', () => {
  let bin: string;
  let mock: MockResponses;
  beforeAll(async () => {
    bin = codexBinary();
    mock = await startMockResponses();
  }, 15 * 60_000);
  afterAll(async () => {
    await mock?.close();
  });
  afterEach(() => cleanupCodexHomes());

  const run = (cwd: string, args: string[], env: CodexEnvOptions & { url?: string } = {}) =>
    ralph(['run', '--tasks', 'tasks.json', '--agent', 'codex', '--agent-bin', bin, '--json', '--workers', '1', ...args], {
      cwd,
      env: codexEnv(env.url ?? mock.url, env),
    });

  it('runs 2 tasks whose agent writes a file with its shell tool: findings, tokens (cache writes too), session ids', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: ['t1', 't2'].map((id) => ({ id, type: 'write', data: { file: `${id}.txt` } })) });
    mock.setScript(({ body }): Reply => {
      const id = taskIdIn(body);
      return functionCallOutput(body, `call_${id}`) === undefined
        ? { kind: 'tool_call', callId: `call_${id}`, arguments: { cmd: `printf 'made by ${id}' > ${id}.txt` }, usage: USAGE }
        : { kind: 'text', text: `Wrote ${id}.txt.\n\nFINDINGS: ${id}.txt written by the shell tool`, usage: USAGE };
    });
    const r = await run(dir, ['--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    for (const id of ['t1', 't2']) expect(readFileSync(join(dir, `${id}.txt`), 'utf8')).toBe(`made by ${id}`);
    const findings = resultsOf(dir).findings;
    expect(findings.map((f: any) => f.finding).sort()).toEqual(['t1.txt written by the shell tool', 't2.txt written by the shell tool']);
    for (const f of findings) {
      expect(f).toMatchObject({ agent: 'codex', session_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f-]{27}$/) });
      // Two model turns of USAGE each, as Codex adds them up in turn.completed.
      expect(f.tokens).toEqual({ input: 2000, output: 400, cache_read: 600, cache_write: 80, reasoning: 128 });
    }
    expect(JSON.parse(r.stdout).usage.tokens).toMatchObject({ input: 4000, output: 800, cache_read: 1200, cache_write: 160 });
    expect(logsOf(dir)).toMatch(/command: .*printf 'made by t1' > t1\.txt.* → exit 0/);
  }, 60_000);

  // Codex says when a usage limit lifts as a clock time in its own zone: "try again at 3:15 PM", or
  // "try again at Dec 8th, 2026 3:15 PM" when that is not today. Minutes only: the reset is read down
  // to the minute.
  it.each([
    ['later today (a clock time)', 5 * 60],
    ['tomorrow (a date and a clock time)', 30 * 3600],
  ])(
    'a usage limit under TZ=Asia/Tokyo, lifting %s: reason usage-limit, the reset time right',
    async (_what, ahead) => {
      const dir = tempDir();
      writeTasks(dir, { tasks: [{ id: 'limited', type: 'noop' }] });
      const resetsAt = Math.floor(Date.now() / 1000) + ahead;
      mock.setScript(replySequence({ kind: 'usage-limit', resetsAt }));
      const r = await run(dir, ['--on-usage-limit', 'stop'], { tz: 'Asia/Tokyo' });
      expect(r.code, r.stderr).not.toBe(null);
      const minute = new Date(Math.floor(resetsAt / 60) * 60_000).toISOString();
      expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'usage-limit', agent: 'codex', error: expect.stringContaining('hit your usage limit') });
      expect(queueOf(dir).stop).toMatchObject({ reason: 'usage-limit', resets_at: minute });
    },
    60_000,
  );

  it('a usage limit lifting within the minute (TZ=Asia/Tokyo): the worker waits the margin, then completes the task, attempt not counted', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'soon', type: 'noop' }] });
    // "try again at 2:23 PM" with the reset 2 s ahead: the minute it names has begun (unless those 2 s
    // cross into the next one), and it must not be read as tomorrow's.
    let resetsAt = 0;
    mock.setScript((): Reply => {
      if (resetsAt > 0) return { kind: 'text', text: 'FINDINGS: done after the limit', usage: USAGE };
      resetsAt = Math.floor(Date.now() / 1000) + 2;
      return { kind: 'usage-limit', resetsAt };
    });
    const r = await run(dir, ['--usage-limit-margin', '0.5', '--timeout', '8'], { tz: 'Asia/Tokyo' });
    expect(r.code, r.stderr).toBe(0);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'completed', attempts: 1, finding: 'done after the limit' });
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'usage-limit', outcome: 'deferred' });
    expect(queueOf(dir).usage_limit).toMatchObject({ agent: 'codex', resets_at: new Date(Math.floor(resetsAt / 60) * 60_000).toISOString() });
  }, 60_000);

  it.each<[string, Reply | undefined, CodexEnvOptions, RegExp]>([
    [
      'the API refuses the key (401)',
      { kind: 'error', status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided: sk-ralph***.' },
      {},
      /^auth failure — codex reported an error \(exit code 1\): unexpected status 401 Unauthorized: Incorrect API key provided/,
    ],
    [
      'no key in the environment',
      undefined,
      { key: null },
      /^auth failure — codex reported an error \(exit code 1\): Missing environment variable: `RALPH_TEST_CODEX_KEY`/,
    ],
  ])(
    'an auth failure (%s): a clear one-line cause',
    async (_what, reply, env, cause) => {
      const dir = tempDir();
      writeTasks(dir, { tasks: [{ id: 'denied', type: 'noop' }] });
      mock.setScript(replySequence(reply ?? { kind: 'text', text: 'never asked' }));
      const r = await run(dir, [], env);
      expect(r.code).toBe(1);
      const task = queueOf(dir).tasks[0];
      expect(task.status).toBe('failed');
      expect(task.error.split('\n')[0]).toMatch(cause);
      expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'agent-error', agent: 'codex' });
    },
    60_000,
  );

  it('the API unreachable: Codex waits for the network until --task-timeout; the cause says the API is unreachable', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'offline', type: 'noop' }] });
    const port = await closedPort();
    const r = await run(dir, ['--task-timeout', '3', '--grace', '1'], { url: `http://127.0.0.1:${port}/v1` });
    expect(r.code).toBe(1);
    const task = queueOf(dir).tasks[0];
    expect(task.error.split('\n')[0]).toMatch(/^API unreachable — timed out after 3s \(--task-timeout\).*Connection failed/);
  }, 60_000);
});

/**
 * The pinned binary run directly (as the adapter starts it), each run's stdout checked against its
 * recorded fixture (test/fixtures/agents/codex/real-*.jsonl, which the adapter's unit tests read):
 * the same events in the same order. RALPH_UPDATE_CODEX_FIXTURES=1 writes the fixtures again, each
 * with a first line naming the version, the recording time (the unit tests' clock) and the zone.
 */
describe.runIf(codexSupported)('the real Codex CLI, run directly: the recorded fixtures', () => {
  let mock: MockResponses | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    cleanupCodexHomes();
  });

  const shapeOf = (stdout: string) =>
    parseEvents(stdout)
      .filter((e) => e.fixture === undefined)
      .map((e) => [e.type, e.item?.type].filter((t) => t !== undefined).join(':'));

  async function record(name: string, reply: Reply[] | undefined, options: CodexEnvOptions & { url?: string; killWhen?: (stdout: string) => boolean } = {}) {
    if (reply) mock = await startMockResponses(replySequence(...reply));
    const cwd = tempDir();
    const recordedAt = new Date();
    const tz = options.tz ?? 'UTC';
    const run = await runClaude({
      bin: codexBinary(),
      args: CODEX_EXEC_ARGS,
      env: codexEnv(options.url ?? mock!.url, options),
      cwd,
      stdin: 'Write the file, then report.',
      ...(options.killWhen ? { killWhen: options.killWhen } : {}),
      timeoutMs: 20_000,
    });
    const path = join(FIXTURES, name);
    if (process.env.RALPH_UPDATE_CODEX_FIXTURES === '1') {
      const header = {
        fixture: `codex-cli ${CODEX_VERSION}`,
        recorded_at: recordedAt.toISOString(),
        tz,
        by: 'test/agents/codex-real.test.ts (RALPH_UPDATE_CODEX_FIXTURES=1)',
      };
      writeFileSync(path, `${JSON.stringify(header)}\n${run.stdout}`);
    }
    expect(shapeOf(run.stdout), `${name}: what ${CODEX_VERSION} prints now`).toEqual(shapeOf(readFileSync(path, 'utf8')));
    return { ...run, cwd };
  }

  it('a shell tool call, then the answer', async () => {
    const r = await record('real-tool-use.jsonl', [
      { kind: 'tool_call', callId: 'call_1', arguments: { cmd: "printf 'made' > made.txt" }, usage: USAGE },
      { kind: 'text', text: 'Wrote made.txt.\n\nFINDINGS: made.txt written by the shell tool', usage: USAGE },
    ]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(r.cwd, 'made.txt'), 'utf8')).toBe('made');
  }, 30_000);

  it.each([
    ['real-usage-limit-today.jsonl', 5 * 60],
    ['real-usage-limit-date.jsonl', 30 * 3600],
  ])(
    '%s (TZ=Asia/Tokyo)',
    async (name, ahead) => {
      const r = await record(name, [{ kind: 'usage-limit', resetsAt: Math.floor(Date.now() / 1000) + ahead }], { tz: 'Asia/Tokyo' });
      expect(r.code).toBe(1);
    },
    30_000,
  );

  it('a 401, and no key at all', async () => {
    expect(
      (await record('real-auth.jsonl', [{ kind: 'error', status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided: sk-ralph***.' }])).code,
    ).toBe(1);
    expect((await record('real-missing-key.jsonl', [{ kind: 'text', text: 'never asked' }], { key: null })).code).toBe(1);
  }, 30_000);

  it('the API unreachable (killed once it waits for the network)', async () => {
    const port = await closedPort();
    const r = await record('real-unreachable-killed.jsonl', undefined, { url: `http://127.0.0.1:${port}/v1`, killWhen: (out) => out.includes('Reconnecting') });
    expect(r.signal).toBe('SIGKILL');
  }, 30_000);
});
