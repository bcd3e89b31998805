// Settings from a config file (ralph.config.json, or "ralph" in package.json), environment variables
// and the last run, with flags first: what `ralph run`/`ralph worker` use, and what `ralph config` says.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, script, tempDir, writeTasks } from '../helpers/index.js';

const OK_AGENT = 'echo "FINDINGS: done by $AGENT_NAME $RALPH_TASK_ID"';
const config = (dir: string, value: unknown, name = 'ralph.config.json') =>
  writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
const findings = (dir: string) => queueOf(dir).tasks.map((t: any) => t.finding);

describe('a resume without agent flags', () => {
  it("uses the last run's agent and settings: after `ralph queue retry --failed`, the suggested `ralph run` works", async () => {
    const dir = tempDir();
    // Fails until the file `ok` exists.
    script(dir, 'agent.sh', 'if [ -f ok ]; then echo "FINDINGS: fixed $RALPH_TASK_ID"; else echo boom; exit 3; fi');
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    const first = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--task-timeout', '77', '--retries', '0'], {
      cwd: dir,
    });
    expect(first.code).toBe(1);
    writeFileSync(join(dir, 'ok'), '');
    const retry = await ralph(['queue', 'retry', '--failed'], { cwd: dir });
    expect(retry.stdout).toContain('Run `ralph run`');
    const shown = JSON.parse((await ralph(['config', '--json'], { cwd: dir })).stdout);
    expect(shown.settings.agentCmd).toMatchObject({ value: './agent.sh', source: 'last-run' });
    expect(shown.settings.taskTimeout).toMatchObject({ value: 77, source: 'last-run' });
    expect(shown.settings.retries).toMatchObject({ value: 0, source: 'default' });
    const resumed = await ralph(['run'], { cwd: dir });
    expect(resumed.stderr).not.toMatch(/not found/);
    expect(resumed.code).toBe(0);
    expect(findings(dir)).toEqual(['fixed a', 'fixed b']);
    expect(queueOf(dir).run.settings).toMatchObject({ agentCmd: './agent.sh', taskTimeout: 77, workers: 2 });
  });

  it("an agent flag replaces the last run's agent with its model and binary; --reset starts from the defaults", async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', OK_AGENT);
    script(
      dir,
      'claude',
      'cat > /dev/null\nprintf \'{"type":"result","subtype":"success","is_error":false,"result":"FINDINGS: claude did %s","session_id":"s"}\\n\' "$RALPH_TASK_ID"',
    );
    writeTasks(dir, [{ id: 'a', type: 't' }], 'a.json');
    writeTasks(dir, [{ id: 'b', type: 't' }], 'b.json');
    writeTasks(dir, [{ id: 'c', type: 't' }], 'c.json');
    expect((await ralph(['run', '--tasks', 'a.json', '--agent', 'claude', '--agent-bin', './claude', '--model', 'm1'], { cwd: dir })).code).toBe(0);
    expect(queueOf(dir).run.settings).toMatchObject({ agent: 'claude', agentBin: './claude', model: 'm1' });
    const other = await ralph(['run', '--tasks', 'b.json', '--agent-cmd', './agent.sh'], { cwd: dir, env: { AGENT_NAME: 'mine' } });
    expect(other.stderr).not.toMatch(/either/);
    expect(other.code).toBe(0);
    expect(queueOf(dir).run.settings).toEqual(expect.objectContaining({ agentCmd: './agent.sh' }));
    for (const key of ['agent', 'agentBin', 'model']) expect(queueOf(dir).run.settings).not.toHaveProperty(key);
    const reset = await ralph(['run', '--reset', '--tasks', 'c.json'], { cwd: dir, env: { RALPH_CLAUDE_BIN: './claude' } });
    expect(reset.code).toBe(0);
    expect(findings(dir)).toEqual(['claude did c']);
  });

  it('does not reuse an agent command that was recorded redacted; it says to give it again', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', OK_AGENT);
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const secret = 'sk-this-is-a-long-secret-value';
    expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', `./agent.sh ${secret}`], { cwd: dir, env: { MY_API_KEY: secret } })).code).toBe(0);
    expect(JSON.stringify(queueOf(dir))).not.toContain(secret);
    writeTasks(dir, [{ id: 'b', type: 't' }], 'more.json');
    const resumed = await ralph(['run', '--tasks', 'more.json'], { cwd: dir, env: { MY_API_KEY: secret } });
    expect(resumed.code).toBe(2);
    expect(resumed.stderr.trim().split('\n')).toHaveLength(1);
    expect(resumed.stderr).toMatch(/the last run's agentCmd .*redacted.*--agent-cmd/);
  });
});

describe('ralph.config.json, package.json and the environment', () => {
  it('runs with the agent and workers of ralph.config.json; env beats the file, flags beat env; `ralph config` says where each came from', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', OK_AGENT);
    config(dir, { agentCmd: './agent.sh', workers: 2, taskTimeout: 600, redact: ['AGENT_NAME'] });
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    const run = await ralph(['run', '--tasks', 'tasks.json'], { cwd: dir, env: { AGENT_NAME: 'configured-agent' } });
    expect(run.code).toBe(0);
    expect(queueOf(dir).run).toMatchObject({ workers: 2, agent_cmd: './agent.sh' });
    expect(readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8')).toContain('[REDACTED:AGENT_NAME]');

    const shown = await ralph(['config', '--json'], { cwd: dir, env: { RALPH_WORKERS: '5', RALPH_TASK_TIMEOUT: '30' } });
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.stdout);
    expect(json.config_file).toBe(join(dir, 'ralph.config.json'));
    expect(json.settings.workers).toMatchObject({ value: 5, source: 'env', from: 'RALPH_WORKERS' });
    expect(json.settings.taskTimeout).toMatchObject({ value: 30, source: 'env' });
    expect(json.settings.agentCmd).toMatchObject({ value: './agent.sh', source: 'config', from: join(dir, 'ralph.config.json') });
    expect(json.settings.dir).toMatchObject({ value: '.ralph', source: 'default' });
    expect(json.settings.lease).toMatchObject({ value: 60, source: 'default' });
    const text = await ralph(['config'], { cwd: dir, env: { RALPH_WORKERS: '5' } });
    expect(text.stdout).toMatch(/^ *workers +5 +env RALPH_WORKERS$/m);
    expect(text.stdout).toMatch(/^ *agentCmd +\.\/agent\.sh +ralph\.config\.json$/m);

    writeTasks(dir, [{ id: 'c', type: 't' }], 'more.json');
    const flagged = await ralph(['run', '--tasks', 'more.json', '--workers', '1'], { cwd: dir, env: { RALPH_WORKERS: '4' } });
    expect(flagged.code).toBe(0);
    expect(queueOf(dir).run.workers).toBe(1);
    const env = await ralph(['run', '--tasks', 'more.json'], { cwd: dir, env: { RALPH_WORKERS: '4' } });
    expect(env.code).toBe(0);
    expect(queueOf(dir).run.workers).toBe(4);
  });

  it('reads the "ralph" key of package.json, from a subdirectory too, with paths relative to it; RALPH_DIR moves the state directory', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', OK_AGENT);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', ralph: { agentCmd: `${dir}/agent.sh`, dir: 'state', workers: 1 } }));
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const sub = join(dir, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const run = await ralph(['run', '--tasks', join(dir, 'tasks.json')], { cwd: sub, env: { AGENT_NAME: 'pkg' } });
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'state', 'work-queue.json'), 'utf8')).tasks[0].finding).toBe('done by pkg a');
    const status = await ralph(['status', '--json'], { cwd: sub });
    expect(JSON.parse(status.stdout).counts.completed).toBe(1);
    const moved = await ralph(['config', '--json'], { cwd: sub, env: { RALPH_DIR: 'elsewhere' } });
    expect(JSON.parse(moved.stdout).settings.dir).toMatchObject({ value: 'elsewhere', source: 'env' });
  });

  it.each([
    ['a value out of range', { workers: 0 }, /^ralph: ralph\.config\.json: "workers": expected a positive integer, got `0`\.$/],
    ['a value of the wrong type', { workers: '4' }, /^ralph: ralph\.config\.json: "workers": expected a number, got string "4"\.$/],
    [
      'a choice not among the choices',
      { onUsageLimit: 'later' },
      /^ralph: ralph\.config\.json: "onUsageLimit": expected one of wait, stop, fail, got "later"\.$/,
    ],
    ['an unknown key', { agent_cmd: 'x' }, /^ralph: ralph\.config\.json: unknown key "agent_cmd" \(did you mean "agentCmd"\?\).*$/],
    ['not JSON', '{ "workers": 2, }', /^ralph: ralph\.config\.json: invalid JSON at line 1, column \d+: .*\.$/],
    ['not an object', '[1]', /^ralph: ralph\.config\.json: expected an object of settings, got an array\.$/],
  ])('refuses %s in the config file in one line naming the file and the key (exit 2)', async (_what, value, message) => {
    const dir = tempDir();
    config(dir, value);
    const result = await ralph(['run', '--agent-cmd', 'true'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
  });

  it('refuses a bad "ralph" key of package.json and a bad environment variable in one line each (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ralph: { taskTimeout: -1 } }));
    const pkg = await ralph(['config'], { cwd: dir });
    expect(pkg.code).toBe(2);
    expect(pkg.stderr.trim()).toBe('ralph: package.json: "ralph.taskTimeout": expected a non-negative number of seconds, got `-1`.');
    const env = await ralph(['run', '--agent-cmd', 'true'], { cwd: tempDir(), env: { RALPH_WORKERS: 'many' } });
    expect(env.code).toBe(2);
    expect(env.stderr.trim()).toBe('ralph: RALPH_WORKERS: expected a positive integer, got `many`.');
  });

  it('`ralph config` redacts a secret in an agent command, from the environment or the file', async () => {
    const dir = tempDir();
    const secret = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';
    config(dir, { agentArgs: `--key ${secret}` });
    const result = await ralph(['config', '--json'], { cwd: dir, env: { RALPH_AGENT_CMD: `./agent.sh --token ${secret}` } });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(secret);
    expect(JSON.parse(result.stdout).settings.agentCmd.value).toMatch(/\[REDACTED:/);
    const text = await ralph(['config'], { cwd: dir, env: { RALPH_AGENT_CMD: `./agent.sh --token ${secret}` } });
    expect(text.stdout).not.toContain(secret);
  });

  it('a worker started by hand takes its agent from the config file', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', OK_AGENT);
    config(dir, { agentCmd: './agent.sh' });
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const worker = await ralph(['worker', '--id', '1'], { cwd: dir, env: { AGENT_NAME: 'hand' } });
    expect(worker.code).toBe(0);
    expect(findings(dir)).toEqual(['done by hand a']);
  });

  it('`ralph doctor` checks the agent of the config file', async () => {
    const dir = tempDir();
    config(dir, { agentCmd: './missing-agent.sh' });
    expect((await ralph(['init'], { cwd: dir })).code).toBe(0);
    const doctor = JSON.parse((await ralph(['doctor', '--json'], { cwd: dir })).stdout);
    expect(doctor.checks.find((c: any) => c.check === 'agent')).toMatchObject({
      level: 'error',
      found: expect.stringContaining('missing-agent.sh does not exist'),
    });
  });
});
