/**
 * `ralph run --permissions auto|edit|read-only` with REAL agent CLIs against their mock APIs (the
 * probes of permission-probes.ts): one run per level, all at once. Each level's mapping
 * (src/agents/permission-table.ts, the table in docs/agents.md) is proven by what happened: the files written,
 * the tools the CLI offered the model, what it answered to a refused call.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, writeTasks } from './index.js';
import { cleanupClaudeHomes } from './claude-env.js';
import { cleanupCodexHomes } from './codex-env.js';
import { cleanupCopilotHomes } from './copilot-env.js';
import { cleanupGeminiHomes } from './gemini-env.js';
import { cleanupOpencodeHomes } from './opencode-env.js';
import { EDIT_FILE, FINDING, SHELL_FILE } from './permission-probes.js';
import type { Level, Probe } from './permission-probes.js';

/**
 * `auto` is not run here: it is every CLI's default, under which each test/agents/<cli>-real test has
 * the agent run a shell command that writes a file, and it grants no less than `edit` (run here).
 */
const LEVELS: readonly Level[] = ['edit', 'read-only'];

export function permissionsSuite(probes: readonly Probe[]): void {
  const dirs: string[] = [];
  afterAll(() => {
    cleanupClaudeHomes();
    cleanupCodexHomes();
    cleanupCopilotHomes();
    cleanupGeminiHomes();
    cleanupOpencodeHomes();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function runAt(probe: Probe, bin: string, level: Level) {
    // Not helpers' tempDir(): it removes its dirs after each test, and these run at once.
    const dir = mkdtempSync(join(tmpdir(), `perms-${probe.agent}-`));
    dirs.push(dir);
    writeTasks(dir, { tasks: [{ id: 't1', type: 'probe' }] });
    const probed = await probe.start(dir);
    try {
      const r = await ralph(
        ['run', '--tasks', 'tasks.json', '--agent', probe.agent, '--agent-bin', bin, '--workers', '1', '--permissions', level, ...probe.args],
        { cwd: dir, env: probed.env },
      );
      return {
        level,
        r,
        task: queueOf(dir).tasks[0],
        offered: probed.offered(),
        answers: probed.results(),
        shell: existsSync(join(dir, SHELL_FILE)),
        edit: existsSync(join(dir, EDIT_FILE)),
      };
    } finally {
      await probed.close();
    }
  }

  describe.concurrent('--permissions with the real agent CLIs', () => {
    for (const probe of probes) {
      describe.runIf(probe.supported)(probe.agent, () => {
        let bin: string;
        beforeAll(() => {
          bin = probe.binary();
        }, 15 * 60_000);

        it('edit: the file tool only; read-only: neither', async () => {
          const runs = await Promise.all(LEVELS.map((level) => runAt(probe, bin, level)));
          for (const run of runs) {
            const want = probe.expected[run.level];
            const what = `${probe.agent} --permissions ${run.level}: ${JSON.stringify(run.answers)}\n${run.r.stdout}${run.r.stderr}`;
            expect(run.r.code, what).toBe(0);
            expect(run.task, what).toMatchObject({ status: 'completed', finding: FINDING });
            expect({ shell: run.shell, edit: run.edit }, what).toEqual({ shell: want.shell, edit: want.edit });
            expect(run.offered.includes(probe.shellTool), what).toBe(want.shellOffered);
            expect(run.offered.includes(probe.editTool), what).toBe(want.editOffered);
            if (want.shellAnswer) expect(run.answers.shell, what).toMatch(want.shellAnswer);
            if (want.editAnswer) expect(run.answers.edit, what).toMatch(want.editAnswer);
          }
        }, 90_000);
      });
    }
  });
}
