import { spawn } from 'node:child_process';
import { split } from 'shlex';
import { InputError, errorMessage } from '../errors.js';
import { processRedactor } from '../redact/process.js';
import { oneLine, stringifyJson } from '../redact/sanitize.js';
import type { RalphEvent } from './run-events.js';

/** One run of a hook command at a time, so that it is told its events in order; they wait their turn (the run never does). */
const MAX_RUNNING = 1;
/** Events waiting for one hook beyond this are dropped (and the drop is said once). */
const MAX_WAITING = 1000;
const STDERR_TAIL = 2000;

interface Running {
  pid?: number;
  done: Promise<void> /** Killed because the run is over. */;
  ended?: boolean;
}
interface Hook {
  argv: string[];
  waiting: Array<{ event: RalphEvent; input: string }>;
  running: Set<Running>;
}

export interface HookOptions {
  /** A hook still running after this long is killed with its process group. */
  timeoutMs: number;
  /** Where a hook's failure is told (a log line; never an error of the run). */
  say: (line: string) => void;
}

/** Each `--on-event CMD` as an argument array (split like a shell would; no shell runs). Bad input: InputError. */
export function hookCommands(commands: readonly string[]): string[][] {
  return commands.map((command) => {
    let argv: string[];
    try {
      argv = split(command);
    } catch (error) {
      throw new InputError(`--on-event ${JSON.stringify(command)}: ${errorMessage(error)}.`);
    }
    if (argv.length === 0) throw new InputError('--on-event: the command is empty.');
    return argv;
  });
}

/**
 * Runs the `--on-event` commands for each event: started from an argument array in a process group
 * of their own, the event as one redacted JSON object on stdin (and its name in RALPH_EVENT), killed
 * after the timeout. `emit` never waits; a hook that fails, hangs or cannot start is logged, never
 * fatal. `drain` waits for what is left, at most one timeout, and kills the rest.
 */
export class EventHooks {
  private readonly hooks: Hook[];
  private dropped = 0;

  constructor(
    commands: string[][],
    private readonly options: HookOptions,
  ) {
    this.hooks = commands.map((argv) => ({ argv, waiting: [], running: new Set() }));
  }

  emit(event: RalphEvent): void {
    const input = `${stringifyJson(processRedactor().redactDeep(event))}\n`;
    for (const hook of this.hooks) {
      if (hook.waiting.length >= MAX_WAITING) {
        this.dropped++;
        continue;
      }
      hook.waiting.push({ event, input });
      this.pump(hook);
    }
  }

  /** Waits for the hooks still running or waiting, at most `timeoutMs` in all; then kills what runs. */
  async drain(): Promise<void> {
    const deadline = Date.now() + this.options.timeoutMs;
    const busy = () => this.hooks.flatMap((h) => [...h.running]);
    while (this.hooks.some((h) => h.running.size > 0 || h.waiting.length > 0) && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ...busy().map((r) => r.done),
        new Promise<void>((r) => {
          timer = setTimeout(r, deadline - Date.now());
        }),
      ]);
      clearTimeout(timer);
    }
    for (const hook of this.hooks) {
      if (hook.waiting.length > 0) {
        this.options.say(
          `ralph: --on-event hook ${oneLine(hook.argv.join(' '))}: ${hook.waiting.length} event(s) not told (${hook.waiting.map((w) => w.event.event).join(', ')}): it was still busy when the run ended`,
        );
        hook.waiting.length = 0;
      }
    }
    for (const run of busy()) {
      run.ended = true;
      if (run.pid !== undefined) killGroup(run.pid);
    }
    await Promise.all(busy().map((r) => r.done));
    if (this.dropped > 0) this.options.say(`ralph: --on-event: ${this.dropped} event(s) dropped: too many were waiting for their hook`);
  }

  /** Starts the hook's next event: a hook that hangs holds up only its own events. */
  private pump(hook: Hook): void {
    while (hook.running.size < MAX_RUNNING && hook.waiting.length > 0) {
      const next = hook.waiting.shift()!;
      const run: Running = { done: Promise.resolve() };
      run.done = this.run(hook.argv, next.event, next.input, run).finally(() => {
        hook.running.delete(run);
        this.pump(hook);
      });
      hook.running.add(run);
    }
  }

  private run(argv: string[], event: RalphEvent, input: string, run: Running): Promise<void> {
    const name = `--on-event hook ${oneLine(argv.join(' '))} (${event.event})`;
    return new Promise((done) => {
      let settled = false;
      const resolve = () => {
        settled = true;
        done();
      };
      let stderr = '';
      let timedOut = false;
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], detached: true, env: { ...process.env, RALPH_EVENT: event.event } });
      run.pid = child.pid;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) killGroup(child.pid);
      }, this.options.timeoutMs);
      child.stdin.on('error', () => undefined); // a hook that does not read its stdin
      child.stdin.end(input);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        stderr = (stderr + text).slice(-STDERR_TAIL);
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        if (settled) return;
        this.options.say(`ralph: ${name} could not start: ${errorMessage(error)}`);
        resolve();
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (settled) return;
        // What it left running in its group goes with it.
        if (child.pid !== undefined) killGroup(child.pid);
        const said = oneLine(stderr.trim().split('\n').pop() ?? '');
        if (run.ended) this.options.say(`ralph: ${name} was still running when the run ended; killed it`);
        else if (timedOut) this.options.say(`ralph: ${name} still ran after ${this.options.timeoutMs / 1000}s; killed it`);
        else if (code !== 0) this.options.say(`ralph: ${name} failed (${signal ? `killed by ${signal}` : `exit ${code}`})${said ? `: ${said}` : ''}`);
        resolve();
      });
    });
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
