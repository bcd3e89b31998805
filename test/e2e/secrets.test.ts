import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, queueOf, resultsOf, script, tempDir, writeTasks } from '../helpers/index.js';
import type { Result } from '../helpers/index.js';

// Shaped like the real thing, random enough that nothing else in the files can match by chance.
const ANTHROPIC_KEY = `sk-ant-api03-${'Zq9'.repeat(10)}-${Date.now().toString(36)}AA`;
const GITHUB_TOKEN = `ghp_${'a1B2c3D4e5'.repeat(3)}x7Y8z9`;
const CUSTOM = 'hunter2-not-shaped-like-anything';

/** The CLI under `umask 022`, so that a file's mode shows what Ralph asked for, not a strict umask. */
function ralph022(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const child = spawn('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, CLI, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

/** Every file and directory under `dir`, recursively. */
function walk(dir: string): Array<{ path: string; dir: boolean }> {
  const out: Array<{ path: string; dir: boolean }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push({ path, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...walk(path));
  }
  return out;
}

describe('secrets in agent output', () => {
  it('are redacted from every file under .ralph/ and every JSON output, which are private (0600/0700)', async () => {
    const dir = tempDir();
    // The agent prints the key, a GitHub token and a custom value on stdout and stderr, in its
    // finding, and (for task "bad") in the output tail of a failure.
    script(
      dir,
      'agent.sh',
      [
        'echo "working with key $ANTHROPIC_API_KEY"',
        `echo "pushing with ${GITHUB_TOKEN}" >&2`,
        'echo "custom: $MY_CUSTOM_VALUE"',
        'if [ "$RALPH_TASK_ID" = bad ]; then echo "failing with $ANTHROPIC_API_KEY"; exit 3; fi',
        `echo "FINDINGS: used $ANTHROPIC_API_KEY and ${GITHUB_TOKEN} and $MY_CUSTOM_VALUE"`,
      ].join('\n'),
    );
    writeTasks(dir, [
      { id: 'good', type: 't' },
      { id: 'bad', type: 't' },
    ]);
    const env = { ANTHROPIC_API_KEY: ANTHROPIC_KEY, MY_CUSTOM_VALUE: CUSTOM };
    const run = await ralph022(
      ['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--redact', 'MY_CUSTOM_VALUE', '--json'],
      dir,
      env,
    );
    expect(run.code, run.stderr).toBe(1);

    // What was recorded says that something was redacted, and which variable or shape, never the value.
    const finding = resultsOf(dir).findings.find((f: any) => f.task_id === 'good').finding;
    expect(finding).toBe('used [REDACTED:ANTHROPIC_API_KEY] and [REDACTED:github-token] and [REDACTED:MY_CUSTOM_VALUE]');
    const bad = queueOf(dir).tasks.find((t: any) => t.id === 'bad');
    expect(bad.error).toContain('failing with [REDACTED:ANTHROPIC_API_KEY]');
    const log = [1, 2]
      .map((n) => join(dir, '.ralph', `worker-${n}.log`))
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p, 'utf8'))
      .join('');
    expect(log).toContain('[out] working with key [REDACTED:ANTHROPIC_API_KEY]');
    expect(log).toContain('[err] pushing with [REDACTED:github-token]');

    const outputs: Array<[string, string]> = [['run --json', run.stdout + run.stderr]];
    for (const args of [['report', '--json'], ['queue', 'list', '--json'], ['status', '--json'], ['queue', 'list'], ['status']]) {
      const r = await ralph022(args, dir, env);
      expect(r.stdout.length).toBeGreaterThan(0);
      outputs.push([args.join(' '), r.stdout + r.stderr]);
    }
    const entries = walk(join(dir, '.ralph'));
    for (const entry of entries.filter((e) => !e.dir)) outputs.push([entry.path, readFileSync(entry.path, 'utf8')]);
    // Every kind of file is there (a worker that found no task left may not have written its own).
    const names = entries.map((e) => e.path.slice(dir.length).replace(/-\d+\./, '-N.'));
    expect(names).toEqual(
      expect.arrayContaining([
        '/.ralph/work-queue.json',
        '/.ralph/results.json',
        '/.ralph/journal/queue.ndjson',
        '/.ralph/sessions/worker-N.session',
        '/.ralph/worker-N.log',
        '/.ralph/prompts/worker-N.prompt.md',
        '/.ralph/ORCHESTRATOR-REPORT.md',
      ]),
    );
    for (const [where, text] of outputs) {
      for (const secret of [ANTHROPIC_KEY, GITHUB_TOKEN, CUSTOM]) expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
    }

    // Private: files 0600, directories 0700 (created under umask 022).
    const modes = entries.map((e) => `${e.path.slice(dir.length)} ${(statSync(e.path).mode & 0o777).toString(8)}`);
    expect(modes).toEqual(entries.map((e) => `${e.path.slice(dir.length)} ${e.dir ? '700' : '600'}`));
    expect((statSync(join(dir, '.ralph')).mode & 0o777).toString(8)).toBe('700');
  });
});
