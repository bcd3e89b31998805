import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/process/run.js';
import type { RunProcessOptions } from '../../src/process/run.js';
import { spawnBackend } from '../../src/process/spawn.js';
import type { SpawnBackend } from '../../src/process/spawn.js';
import type { AgentInvocation } from '../../src/agents/agent.js';
import { tempDir } from '../helpers/index.js';

// `npm ci` builds the native helper on Linux. Its absence there is a failure, not a skip, unless the
// fallback was asked for on purpose (RALPH_SKIP_NATIVE=1 at install, or RALPH_SPAWN=node).
const fallbackWanted = process.env.RALPH_SPAWN === 'node' || process.env.RALPH_SKIP_NATIVE === '1' || process.platform !== 'linux';

it('the native spawn helper is built and used on Linux', () => {
  const { backend, why } = spawnBackend();
  if (fallbackWanted) expect(backend).toBe('child_process');
  else expect({ backend, why }).toEqual({ backend: 'posix_spawn', why: undefined });
});

const backends: SpawnBackend[] = fallbackWanted ? ['child_process'] : ['posix_spawn', 'child_process'];

function sh(script: string, extra: Partial<AgentInvocation> = {}): AgentInvocation {
  return { command: '/bin/sh', args: ['-c', script], env: {}, stdin: '', cwd: process.cwd(), ...extra };
}

function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it has exited.
  try {
    return procStatus(pid).State?.startsWith('Z') !== true;
  } catch {
    return false;
  }
};

describe.each(backends)('runProcess with %s', (backend) => {
  const run = (invocation: AgentInvocation, options: Partial<RunProcessOptions> = {}) => runProcess(invocation, { graceMs: 1000, backend, ...options });

  it('delivers stdin, captures stdout and stderr line by line, and reports the exit code', async () => {
    const lines: string[] = [];
    const out = await run(sh('cat; echo "to err" >&2; exit 3', { stdin: 'hello\nworld\n' }), { onLine: (s, l) => lines.push(`${s}:${l}`) });
    expect(out.exitCode).toBe(3);
    expect(out.signal).toBeNull();
    expect(out.stdout).toBe('hello\nworld\n');
    expect(lines).toEqual(expect.arrayContaining(['stdout:hello', 'stdout:world', 'stderr:to err']));
    expect(out.combinedTail).toContain('to err');
  });

  it('starts the agent with PWD naming its working directory, not the one ralph inherited (opencode, a Bun binary, works where PWD says)', async () => {
    const dir = tempDir();
    const out = await run(
      { command: process.execPath, args: ['-e', 'process.stdout.write(process.env.PWD ?? "")'], env: {}, stdin: '', cwd: dir },
      { baseEnv: { ...process.env, PWD: '/somewhere/else' } },
    );
    expect(out.stdout).toBe(dir);
  });

  it('passes a large stdin through a pipe without blocking the event loop', async () => {
    const big = `${'x'.repeat(1023)}\n`.repeat(2048); // 2 MiB, far more than a pipe buffer
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 1);
    const out = await run(sh('sleep 0.05; wc -c', { stdin: big }));
    clearInterval(timer);
    expect(out.stdout.trim()).toBe(String(big.length));
    expect(ticks).toBeGreaterThan(0);
  });

  it('decodes UTF-8 whose characters straddle the pipe reads', async () => {
    // 3-byte characters in far more than one read's worth: some are cut between two reads.
    const text = '€'.repeat(100_000);
    const out = await run(sh('cat', { stdin: text }));
    expect(out.stdout).toBe(text);
  });

  it('gives up on output held open by a process outside the group, once the agent has exited', async () => {
    const started = Date.now();
    // setsid: the background process leaves the agent's group, so killing the group misses it.
    const out = await run(sh('echo before; setsid sleep 4 & echo after'));
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe('before\nafter\n');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('survives an agent that never reads its stdin', async () => {
    const out = await run(sh('exit 0', { stdin: 'y'.repeat(1 << 20) }));
    expect(out.exitCode).toBe(0);
    expect(out.spawnError).toBeUndefined();
  });

  it('passes the environment and the working directory, and finds a bare command on the child PATH', async () => {
    const dir = tempDir();
    const out = await run({ command: 'sh', args: ['-c', 'echo "$RALPH_X|$(pwd)"'], env: { RALPH_X: 'quote" $(x) ünï' }, stdin: '', cwd: dir });
    expect(out.stdout.trim()).toBe(`quote" $(x) ünï|${dir}`);
  });

  it('reports a missing command as a spawn error naming it', async () => {
    const out = await run({ command: 'ralph-no-such-agent', args: [], env: {}, stdin: '', cwd: process.cwd() });
    expect(out.spawnError?.message).toBe('spawn ralph-no-such-agent ENOENT');
    expect((out.spawnError as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(out.exitCode).toBeNull();
  });

  it('reports a missing working directory as a spawn error', async () => {
    const out = await run(sh('true', { cwd: join(tempDir(), 'gone') }));
    expect(out.spawnError).toBeDefined();
  });

  it('starts the agent in a session of its own, with default signal handling and an empty signal mask', async () => {
    let pid = 0;
    // `exec`: the agent process itself reports, not a shell blocking signals while it waits.
    const out = await run(sh('exec cat /proc/self/stat /proc/self/status'), {
      onSpawn: (p) => {
        pid = p;
      },
    });
    const stat = out.stdout.split('\n')[0]!;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields: state ppid pgrp session
    expect(Number(fields[2])).toBe(pid);
    expect(Number(fields[3])).toBe(pid);
    // Signals 1–31 (SIGPIPE above all, which Node ignores) are back to default and none is blocked.
    // glibc's posix_spawn cannot touch its own reserved signals 32 and 33, which nothing else uses.
    const mask = (name: string) => BigInt(`0x${new RegExp(`${name}:\\s+([0-9a-f]+)`).exec(out.stdout)![1]}`);
    expect(mask('SigIgn') & 0x7fffffffn).toBe(0n);
    expect(mask('SigBlk')).toBe(0n);
  });

  it('a timeout kills the whole process group and says so', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    const out = await run(sh(`sleep 30 & echo $! > ${pids}; sleep 30`), { timeoutMs: 300, graceMs: 500 });
    expect(out.timedOut).toBe(true);
    const background = Number(readFileSync(pids, 'utf8'));
    expect(alive(background)).toBe(false);
  });

  it('an agent that prints, then goes silent past the idle timeout, is killed with its whole group', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    const lines: string[] = [];
    const out = await run(sh(`echo working; sleep 30 & echo $! > ${pids}; sleep 30`), { idleTimeoutMs: 400, graceMs: 500, onLine: (_s, l) => lines.push(l) });
    expect(lines).toContain('working');
    expect(out.idleMs).toBe(400);
    expect(out.timedOut).toBe(false);
    expect(out.signal).toBe('SIGTERM');
    expect(alive(Number(readFileSync(pids, 'utf8')))).toBe(false);
  });

  it('an agent that keeps printing (on stdout or stderr) is not idle, however long it runs', async () => {
    // Prints every 50 ms for well past the idle limit, alternating streams, then exits by itself.
    const out = await run(
      sh('i=0; while [ $i -lt 40 ]; do if [ $((i % 2)) -eq 0 ]; then echo tick; else echo tock >&2; fi; sleep 0.05; i=$((i+1)); done; echo done'),
      { idleTimeoutMs: 1000 },
    );
    expect(out.idleMs).toBeUndefined();
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain('done');
  });

  it('reports death by a signal by name', async () => {
    const out = await run(sh('kill -KILL $$'));
    expect(out.exitCode).toBeNull();
    expect(out.signal).toBe('SIGKILL');
  });

  it('reaps its children and leaks no file descriptors', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    await run(sh('true')); // warm up: the first run may open lasting handles
    const before = fds();
    const pids: number[] = [];
    for (let i = 0; i < 100; i++) await run(sh('echo hi; echo err >&2', { stdin: 'x' }), { onSpawn: (p) => pids.push(p) });
    expect(fds()).toBeLessThanOrEqual(before + 2);
    expect(pids).toHaveLength(100);
    expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
  });

  it('an abort interrupts the agent and SIGKILLs it after the grace period when it ignores SIGTERM', async () => {
    const abort = new AbortController();
    const dir = tempDir();
    const ready = join(dir, 'ready');
    writeFileSync(join(dir, 'agent.sh'), `trap '' TERM; touch ${ready}; while :; do sleep 0.05; done\n`);
    const started = Date.now();
    const done = run(sh(`exec /bin/sh ${join(dir, 'agent.sh')}`), { signal: abort.signal, graceMs: 300 });
    while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    const out = await done;
    expect(out.interrupted).toBe(true);
    expect(out.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
