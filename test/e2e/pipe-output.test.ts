// Output longer than a pipe holds (64 KiB) reaches a reader whole: the CLI waits for its output to
// drain before it exits (seen: `ralph queue list --json | jq` got the first 64 KiB).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ralph, tempDir, writeTasks } from '../helpers/index.js';

/** Runs the CLI with its stdout on a pipe that is not read for a while, then read to its end. */
function slowlyRead(args: string[], cwd: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.stdout.resume();
    }, 300);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString() }));
  });
}

describe('output to a pipe', () => {
  it('ralph queue list --json and ralph report --json reach a slow reader whole', async () => {
    const dir = tempDir();
    writeTasks(
      dir,
      Array.from({ length: 3000 }, (_, i) => ({ id: `task-${i}`, type: 't', data: { text: 'x'.repeat(40) } })),
    );
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const list = await slowlyRead(['queue', 'list', '--json'], dir);
    expect(list.code).toBe(0);
    expect(list.stdout.length).toBeGreaterThan(256 * 1024);
    expect(JSON.parse(list.stdout)).toHaveLength(3000);
    const report = await slowlyRead(['report', '--json'], dir);
    expect(report.stdout.length).toBeGreaterThan(65_536);
    expect(JSON.parse(report.stdout).tasks).toHaveLength(3000);
  });
});
