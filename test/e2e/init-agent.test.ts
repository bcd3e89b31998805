/**
 * `ralph init` writes the agent script the Quick start runs (my-agent.sh), and that script works as
 * written: the REAL Claude Code binary (pinned, scripts/ensure-claude.mjs) against the local mock of
 * the Messages API runs the shell commands the example tasks need, unattended.
 */
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ralph, resultsOf, tempDir } from '../helpers/index.js';
import { claudeBinary, claudeEnv, claudeSupported, cleanupClaudeHomes } from '../helpers/claude-env.js';
import { findToolResult, lastUserText, onMainLoop, startMockAnthropic } from '../helpers/mock-anthropic.js';
import type { MockAnthropic, Reply } from '../helpers/mock-anthropic.js';

/** Started from a shell, not through npx (as the tests may be): the hints say `ralph`. */
const PLAIN = { npm_lifecycle_event: '' };

describe('ralph init writes my-agent.sh', () => {
  it('next to the example tasks, executable; an existing one is left as it is', async () => {
    const dir = tempDir();
    const first = await ralph(['init'], { cwd: dir, env: PLAIN });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Wrote tasks.json with 3 example tasks.');
    expect(first.stdout).toContain('Wrote my-agent.sh');
    expect(first.stdout).toMatch(/^Next: ralph run --tasks tasks\.json --workers 3 --agent-cmd \.\/my-agent\.sh$/m);
    const agent = join(dir, 'my-agent.sh');
    expect(statSync(agent).mode & 0o111).toBe(0o111);
    const text = readFileSync(agent, 'utf8');
    expect(text).toMatch(/^#!\/bin\/sh\n/);
    expect(text).toMatch(/^exec claude -p --permission-mode acceptEdits --allowedTools Bash < "\$RALPH_PROMPT_FILE"$/m);

    writeFileSync(agent, '#!/bin/sh\necho "FINDINGS: mine"\n');
    const second = await ralph(['init'], { cwd: dir, env: PLAIN });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('my-agent.sh exists; left as it is.');
    expect(readFileSync(agent, 'utf8')).toBe('#!/bin/sh\necho "FINDINGS: mine"\n');

    // One the user wrote before ever running init is kept too.
    const other = tempDir();
    writeFileSync(join(other, 'my-agent.sh'), 'my own\n');
    const third = await ralph(['init', '--tasks', 'work.json'], { cwd: other, env: PLAIN });
    expect(third.code, third.stderr).toBe(0);
    expect(readFileSync(join(other, 'my-agent.sh'), 'utf8')).toBe('my own\n');
    expect(third.stdout).toContain('Next: ralph run --tasks work.json');
  });
});

/** The task id the default prompt names ("Task id: example-1"), from the first user message. */
const taskIdIn = (body: any) => /Task id: (\S+)/.exec(lastUserText({ messages: (body?.messages ?? []).slice(0, 1) }))?.[1] ?? 'unknown';

describe.runIf(claudeSupported)('the my-agent.sh that ralph init wrote, with the real Claude Code', () => {
  let mock: MockAnthropic;
  beforeAll(async () => {
    claudeBinary();
    mock = await startMockAnthropic();
  }, 15 * 60_000);
  afterAll(async () => {
    await mock?.close();
  });
  afterEach(() => cleanupClaudeHomes());

  it('lets Claude Code run the programs a task needs, unattended (acceptEdits alone refuses them)', async () => {
    const dir = tempDir();
    expect((await ralph(['init'], { cwd: dir })).code).toBe(0);
    // `claude` on PATH, as the script expects it.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(claudeBinary(), join(bin, 'claude'));
    // Each task's first turn runs a program (node; agents run their checks, `npm test`, the same way):
    // acceptEdits alone lets Claude Code run file commands such as ls, wc or mkdir, and refuses these.
    // The turn that carries the command's result ends with the finding, saying whether it ran.
    mock.setScript(
      onMainLoop(({ body }): Reply => {
        const id = taskIdIn(body);
        const result = findToolResult(body, `toolu_${id}`);
        const command = `node -e "require('fs').writeFileSync('lines-${id}.txt', require('fs').readFileSync('tasks.json', 'utf8').split('\\n').length + ' lines')"`;
        if (!result) return { kind: 'tool_use', id: `toolu_${id}`, name: 'Bash', input: { command, description: 'count lines' } };
        return { kind: 'text', text: `FINDINGS: ${id}: the command ${result.is_error ? 'was refused' : 'ran'}` };
      }),
    );
    const env = claudeEnv(mock.url);
    env.PATH = `${bin}:${env.PATH}`;
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', './my-agent.sh'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const findings = resultsOf(dir)
      .findings.map((f: any) => f.finding)
      .sort();
    expect(findings).toEqual(['example-1', 'example-2', 'example-3'].map((id) => `${id}: the command ran`));
    for (const id of ['example-1', 'example-2', 'example-3']) {
      expect(readFileSync(join(dir, `lines-${id}.txt`), 'utf8')).toMatch(/^\d+ lines$/);
    }
  }, 120_000);
});
