import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ralph, script, tempDir, writeTasks } from '../helpers/index.js';

// Every file under .ralph/ with its content hash: "unchanged" means byte-for-byte.
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[path.slice(dir.length)] = createHash('sha1').update(readFileSync(path)).digest('hex');
    }
  };
  walk(join(dir, '.ralph'));
  return out;
}

describe('bad input', () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    writeTasks(dir, [{ id: 'seed', type: 't' }], 'seed.json');
    const seeded = await ralph(['run', '--tasks', 'seed.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(seeded.code).toBe(0);
  });

  const cases: Array<[string, string | undefined, string[], RegExp]> = [
    ['a missing tasks file', undefined, ['--tasks', 'nope.json'], /Tasks file nope\.json not found/],
    [
      'invalid JSON, saying where',
      '{"tasks": [\n  {"id": "a", "type": "t"},\n  {"id": "b" "type": "t"}\n]}',
      ['--tasks', 'bad.json'],
      /bad\.json: invalid JSON at line 3, column \d+/,
    ],
    ['a task without id', '[{"type": "t"}]', ['--tasks', 'bad.json'], /bad\.json: task #1: missing `id`/],
    ['a task without type', '{"tasks": [{"id": "x", "type": "t"}, {"id": "y"}]}', ['--tasks', 'bad.json'], /bad\.json: task #2: missing `type`/],
    ['an id that is not a string', '[{"id": 7, "type": "t"}]', ['--tasks', 'bad.json'], /`id` must be a string/],
    [
      'duplicate ids in the file',
      '{"id":"d","type":"t"}\n{"id":"e","type":"t"}\n{"id":"d","type":"t"}\n',
      ['--tasks', 'bad.json'],
      /line 3: duplicate task id "d" \(first at line 1\)/,
    ],
    ['a broken JSON Lines line', '{"id":"d","type":"t"}\n{"id":"e",\n', ['--tasks', 'bad.json'], /invalid JSON on line 2/],
    ['an unknown flag', '[]', ['--tasks', 'bad.json', '--wrokers', '2'], /unknown option '--wrokers'/],
    ['a negative worker count', '[]', ['--tasks', 'bad.json', '--workers', '-1'], /Expected a positive integer, got `-1`/],
    ['a fractional worker count', '[]', ['--tasks', 'bad.json', '--workers', '1.5'], /Expected a positive integer, got `1\.5`/],
    ['a negative timeout', '[]', ['--tasks', 'bad.json', '--timeout', '-5'], /Expected a positive number of seconds, got `-5`/],
    ['a negative retry count', '[]', ['--tasks', 'bad.json', '--retries', '-2'], /Expected a non-negative integer, got `-2`/],
    ['a missing prompt template', '[]', ['--tasks', 'bad.json', '--prompt-template', 'missing.md'], /Prompt template missing\.md cannot be read/],
  ];

  it.each(cases)('rejects %s with exit 2, one clear line, and .ralph/ unchanged', async (_name, content, args, message) => {
    if (content !== undefined) writeTasks(dir, content, 'bad.json');
    const before = fingerprint(dir);
    const result = await ralph(['run', '--agent-cmd', './agent.sh', ...args], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr.trim().split('\n')[0]).toMatch(/^ralph: /);
    expect(fingerprint(dir)).toEqual(before);
  });

  it('rejects an agent command that does not exist, before touching the queue', async () => {
    const before = fingerprint(dir);
    const missing = await ralph(['run', '--agent-cmd', './no-such-agent.sh --flag'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-agent\.sh.*does not exist/);
    writeFileSync(join(dir, 'not-exec.sh'), 'echo hi\n');
    const notExec = await ralph(['run', '--agent-cmd', './not-exec.sh'], { cwd: dir });
    expect(notExec.code).toBe(2);
    expect(notExec.stderr).toMatch(/not executable \(try chmod \+x/);
    const notFound = await ralph(['run', '--agent-cmd', 'surely-not-a-command-xyz'], { cwd: dir });
    expect(notFound.stderr).toMatch(/not found on PATH/);
    expect(fingerprint(dir)).toEqual(before);
  });

  it.each(['work-queue.json', 'results.json'])('refuses a truncated %s with exit 2, naming it, and never overwrites it', async (file) => {
    const path = join(dir, '.ralph', file);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    writeTasks(dir, [{ id: 'new', type: 't' }], 'more.json');
    const before = fingerprint(dir);
    for (const args of [['run', '--tasks', 'more.json', '--agent-cmd', './agent.sh'], ['status'], ['report'], ['queue', 'list']]) {
      const result = await ralph(args, { cwd: dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(`.ralph/${file} is not a valid Ralph state file`);
      expect(result.stderr).toMatch(/left untouched/);
    }
    expect(fingerprint(dir)).toEqual(before);
  });

  it('refuses a corrupt session file with a clear error', async () => {
    writeFileSync(join(dir, '.ralph', 'sessions', 'worker-1.session'), '{"worker_id": 1, "last_hea');
    const status = await ralph(['status'], { cwd: dir });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('worker-1.session is not a valid Ralph state file');
    const doctor = await ralph(['doctor', '--json'], { cwd: dir });
    expect(doctor.code).toBe(1);
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(expect.objectContaining({ level: 'error', check: 'sessions' }));
  });

  it('says what is wrong for commands without a queue', async () => {
    const empty = tempDir();
    for (const args of [['status'], ['report'], ['queue', 'retry', '--failed'], ['worker', '--id', '1', '--agent-cmd', 'true']]) {
      const result = await ralph(args, { cwd: empty });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/No queue at \.ralph\/work-queue\.json\. Create one with `ralph init`/);
    }
  });
});
