// Nothing an agent started outlives its task: not a grandchild in a session of its own (setsid),
// not one whose parent exited at once (a double fork). Checked after the task (by the next task of
// the same worker) and after the run, by the claim tokens in /proc/<pid>/environ, with agents
// started by posix_spawn (the worker a child subreaper) and by child_process (the token scan).
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { queueOf, ralph, script, tempDir, writeTasks } from '../helpers/index.js';

/** The pids of the processes whose environment holds one of the tokens. */
function carrying(tokens: string[]): number[] {
  const needles = tokens.map((t) => Buffer.from(`RALPH_CLAIM_TOKEN=${t}\0`));
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`);
      if (needles.some((n) => env.includes(n))) found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

const linux = process.platform === 'linux';

describe.skipIf(!linux)('processes an agent leaves behind', () => {
  it.each([
    ['posix_spawn', ''],
    ['child_process', 'node'],
  ])('are gone after its task and after the run (agents started with %s)', async (_backend, spawn) => {
    const dir = tempDir();
    const tokens = join(dir, 'tokens');
    mkdirSync(tokens);
    let seen: string[] = [];
    const tokensNow = () => (seen = readdirSync(tokens).map((f) => readFileSync(join(tokens, f), 'utf8').trim()));
    // Whatever the outcome, nothing of this test outlives it.
    onTestFinished(() => {
      for (const pid of carrying(seen)) process.kill(pid, 'SIGKILL');
    });
    script(
      dir,
      'agent.sh',
      [
        'case "$RALPH_TASK_ID" in',
        // A grandchild in its own session and process group, still holding the output pipes.
        '  setsid) echo "$RALPH_CLAIM_TOKEN" > "$TOKENS/setsid"; setsid sleep 300 & ;;',
        // A double fork: the grandchild's parent exits at once; its output goes elsewhere.
        '  double) echo "$RALPH_CLAIM_TOKEN" > "$TOKENS/double"; ( setsid sh -c "sleep 300" > /dev/null 2>&1 & ) ;;',
        // Runs after both, on the same worker: are their processes still there?
        '  check) n=0; for t in "$TOKENS"/*; do n=$((n + $(grep -lsa "RALPH_CLAIM_TOKEN=$(cat "$t")" /proc/[0-9]*/environ | wc -l))); done',
        '         echo "FINDINGS: $n left" ; exit 0 ;;',
        'esac',
        'echo "FINDINGS: started a grandchild"',
      ].join('\n'),
    );
    writeTasks(
      dir,
      ['setsid', 'double', 'check'].map((id) => ({ id, type: 't' })),
    );
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], {
      cwd: dir,
      env: { TOKENS: tokens, RALPH_SPAWN: spawn },
    });
    expect(result.code).toBe(0);
    expect(tokensNow()).toHaveLength(2);
    const tasks = Object.fromEntries(queueOf(dir).tasks.map((t: any) => [t.id, t]));
    expect(tasks.check).toMatchObject({ status: 'completed', finding: '0 left' });
    expect(carrying(tokensNow())).toEqual([]);
  });
});
