// Tasks whose data is too large for the environment: the agent gets it through RALPH_TASK_DATA_FILE.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, script, tempDir } from '../helpers/index.js';

describe('large task data', () => {
  it('runs tasks with 1 MiB of data each: the data in RALPH_TASK_DATA_FILE, left out of RALPH_TASK_DATA (the log says so)', async () => {
    const dir = tempDir();
    // The agent reports whether RALPH_TASK_DATA is set, and the size and the `n` of the data file.
    script(
      dir,
      'agent.sh',
      [
        'if [ -n "${RALPH_TASK_DATA+set}" ]; then env=set; else env=unset; fi',
        'size=$(wc -c < "$RALPH_TASK_DATA_FILE")',
        'n=$(node -e \'console.log(JSON.parse(require("fs").readFileSync(process.env.RALPH_TASK_DATA_FILE, "utf8")).n)\')',
        'echo "FINDINGS: env=$env size=$size n=$n"',
      ].join('\n'),
    );
    const blob = 'x'.repeat(1 << 20);
    const tasks = Array.from({ length: 8 }, (_, n) => ({ id: `big-${n}`, type: 't', data: { n, blob } }));
    tasks.push({ id: 'small', type: 't', data: { n: 99, blob: 'tiny' } });
    writeFileSync(join(dir, 'tasks.json'), JSON.stringify({ tasks }));
    const run = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(run.code).toBe(0);
    const findings = new Map(resultsOf(dir).findings.map((f: { task_id: string; finding: string }) => [f.task_id, f.finding]));
    const size = Buffer.byteLength(JSON.stringify({ n: 0, blob }));
    for (let n = 0; n < 8; n++) expect(findings.get(`big-${n}`)).toBe(`env=unset size=${size} n=${n}`);
    expect(findings.get('small')).toBe(`env=set size=${Buffer.byteLength(JSON.stringify({ n: 99, blob: 'tiny' }))} n=99`);
    expect(queueOf(dir).tasks.every((t: { status: string }) => t.status === 'completed')).toBe(true);
    const logs = [1, 2].map((id) => readFileSync(join(dir, '.ralph', `worker-${id}.log`), 'utf8')).join('');
    expect(logs.match(/its data is too large for RALPH_TASK_DATA \(over 64 KiB\): the agent finds it in RALPH_TASK_DATA_FILE only/g)).toHaveLength(8);
  });
});
