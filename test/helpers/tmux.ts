// A real terminal for the tests: a tmux server of its own (its own socket), one pane of a given size
// running a command given as an argument array (no shell), read back as a person sees it with
// capture-pane, resized with resize-window, typed into with send-keys.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The exit status of a process that has exited and not been waited for yet, else undefined. */
function zombieStatus(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, exit_code field 52.
  if (fields[0] !== 'Z') return undefined;
  const code = Number(fields[49]);
  return (code & 0x7f) === 0 ? (code >> 8) & 0xff : 128 + (code & 0x7f);
}

/** Whether tmux runs here: tried for real. */
export const hasTmux: boolean = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

export interface TermOptions {
  width: number;
  height: number;
  cwd: string;
  argv: string[];
  /** The environment of the tmux server, and so of the command (TMUX is removed). */
  env?: NodeJS.ProcessEnv;
}

export class Term {
  private readonly socket: string;
  private readonly conf: string;

  constructor(options: TermOptions) {
    const tag = randomBytes(6).toString('hex');
    this.socket = join(tmpdir(), `ralph-tmux-${tag}`);
    this.conf = join(tmpdir(), `ralph-tmux-${tag}.conf`);
    // The pane stays after its command exits (its last screen, and how it exited, can be read).
    writeFileSync(this.conf, 'set -g remain-on-exit on\nset -g history-limit 10000\n');
    const env = { ...(options.env ?? process.env) };
    delete env.TMUX;
    this.tmux(['new-session', '-d', '-s', 't', '-x', String(options.width), '-y', String(options.height), '-c', options.cwd, ...options.argv], env);
  }

  /** The screen as shown (with `history`, the scrollback above it too), a wrapped line joined into one unless `rows`. */
  capture(options: { history?: boolean; escapes?: boolean; rows?: boolean } = {}): string {
    return this.tmux([
      'capture-pane',
      '-p',
      ...(options.rows ? [] : ['-J']),
      ...(options.escapes ? ['-e'] : []),
      ...(options.history ? ['-S', '-'] : []),
      '-t',
      't',
    ]);
  }

  /** The screen's lines without the empty ones at the end, and without tmux's "Pane is dead" line. */
  lines(options: { history?: boolean; rows?: boolean } = {}): string[] {
    const lines = this.capture(options)
      .split('\n')
      .filter((l) => !l.startsWith('Pane is dead'));
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
    return lines;
  }

  /** When the terminal was last resized (ms since the epoch; 0: never). */
  resizedAt = 0;

  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', 't', '-x', String(width), '-y', String(height)]);
    this.resizedAt = Date.now();
  }

  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 't', ...keys]);
  }

  /** The pane's title (what an OSC escape sequence would set). */
  title(): string {
    return this.tmux(['display', '-p', '-t', 't', '#{pane_title}']).trim();
  }

  /** The width tmux has for the pane now. */
  width(): number {
    return Number(this.tmux(['display', '-p', '-t', 't', '#{pane_width}']).trim());
  }

  /** Waits (with a deadline) until the command has exited; its exit status. `probe` runs at each look. */
  async exited(probe: () => void = () => {}, timeoutMs = 45_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      probe();
      const status = this.exitStatus();
      if (status !== undefined) return status;
      if (Date.now() > deadline) {
        const pane = this.tmux(['display', '-p', '-t', 't', '#{pane_pid} #{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}']).trim();
        throw new Error(`timed out waiting for the command in the terminal to exit (pane ${pane}):\n${this.capture()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The command's exit status once it has exited (128 + N when killed by signal N), else undefined.
   * tmux marks a pane dead when its terminal closes, which can be before it has collected the exit
   * status (and, seen under load, it sometimes leaves the process a zombie for good): then the
   * status is read from the zombie itself (/proc/<pid>/stat, field 52, as waitpid reports it).
   */
  exitStatus(): number | undefined {
    const [pid, dead, status, signal] = this.tmux(['display', '-p', '-t', 't', '#{pane_pid}|#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}'])
      .trim()
      .split('|');
    if (dead !== '1') return undefined;
    if (status !== undefined && status !== '') return Number(status);
    if (signal !== undefined && signal !== '') return 128 + Number(signal);
    return zombieStatus(Number(pid));
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore' });
    rmSync(this.socket, { force: true });
    rmSync(this.conf, { force: true });
  }

  private tmux(args: string[], env?: NodeJS.ProcessEnv): string {
    const r = spawnSync('tmux', ['-S', this.socket, '-f', this.conf, ...args], { encoding: 'utf8', ...(env ? { env } : {}) });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  }
}
