import { Command, CommanderError } from 'commander';
import { RalphError, asWriteError } from '../errors.js';
import { note } from './output.js';
import { setColorFlag } from '../view/color.js';
import { closeLiveBlocks } from '../view/live-block.js';

/** A command's result: the process exits with this code. */
export type ExitCode = number;

/** Adds one command to the program. */
export type Register = (program: Command, setExit: (code: ExitCode) => void) => void;

/** The commands a program knows: their names, and how to load each one's module. */
export type CommandTable = ReadonlyArray<[names: string[], load: () => Promise<Register>]>;

/**
 * The program with the command named by `argv` registered, or all of them when it names none
 * (`ralph --help`, `ralph completion`, a misspelt command that commander then suggests a fix for).
 */
export async function createProgram(setExit: (code: ExitCode) => void, argv: readonly string[], commands: CommandTable): Promise<Command> {
  const program = new Command('ralph')
    .description(
      'Run autonomous AI coding agents unattended and in parallel, safely. A plain-file queue under ' +
        '.ralph/ feeds N worker processes; each claims one task at a time under a lock, runs an agent, records a ' +
        'short finding, and claims the next. Or: a supervisor (galph) and an engineer (ralph) agent take turns on one ' +
        'repository, locally or on two machines through sync/state.json on a shared git branch.',
    )
    .addHelpText(
      'after',
      `
Quick start:
  $ ralph init                                   # .ralph/ and an example tasks.json
  $ ralph run --tasks tasks.json --workers 4 --agent-cmd './my-agent.sh'
  $ ralph status                                 # from another terminal while it runs
  $ ralph init --loops && ./supervisor.sh --sync-via-git --branch main --agent-cmd 'claude -p'   # the loops

Exit codes: 0 success; 1 it ran and failed (tasks failed or unfinished, a turn failed, git failed); 2 it refused
to start, nothing changed (bad usage, input or environment: not a git repository, agent not found…);
129/130/143 interrupted.
Run \`ralph <command> --help\` for each command's options.`,
    )
    .version(VERSION, '-V, --version')
    .option('--no-color', 'no colour in the output (also NO_COLOR=1; FORCE_COLOR=1 colours it off a terminal too)')
    .hook('preAction', (root) => setColorFlag(root.opts().color === false ? false : undefined))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.startsWith('error:') ? `ralph: ${text}` : text) });
  // `completion` describes every command, so it has them all registered, like `ralph --help`.
  const named = argv[2] === 'completion' ? [] : commands.filter(([names]) => names.includes(argv[2] ?? ''));
  // `ralph --version` needs none of them.
  const version = argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V');
  for (const [, load] of version ? [] : named.length > 0 ? named : commands) (await load())(program, setExit);
  for (const command of program.commands) command.exitOverride();
  return program;
}

const VERSION = '0.1.0';

/** The only place that prints fatal errors and exits. */
export async function main(argv: string[], commands: CommandTable): Promise<void> {
  // A reader that went away (`ralph queue list | head`) is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // Output redirected to a full disk: say so, not "unexpected error".
    const mapped = asWriteError(error, 'the standard output');
    if (!(mapped instanceof RalphError)) throw error;
    note(`ralph: ${mapped.message}`, 'red');
    process.exit(2);
  });
  // Where stderr cannot be written (a worker's log on a full disk), there is no one left to tell.
  process.stderr.on('error', () => undefined);
  let code: ExitCode = 0;
  try {
    const program = await createProgram(
      (c) => {
        code = c;
      },
      argv,
      commands,
    );
    await program.parseAsync(argv);
  } catch (error) {
    closeLiveBlocks(); // a run that failed half-way: its live view stays above the error
    code = exitCodeFor(error);
  }
  process.exitCode = code;
  // Output to a pipe is written asynchronously: what a slow reader has not taken yet (past the 64 KiB
  // a pipe holds) would be lost by exiting now. Then exit, even if a stray handle is open.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** Resolves once everything written to `stream` so far has been handed to the system. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}

function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander already printed what went wrong otherwise.
    return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
  }
  // A file that cannot be written (a full disk, a read-only file system) wherever it happened.
  const path = (error as NodeJS.ErrnoException | null)?.path;
  if (!(error instanceof RalphError) && typeof path === 'string') error = asWriteError(error, path);
  if (error instanceof RalphError) {
    note(`ralph: ${error.message}`, 'red');
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  note(`ralph: unexpected error: ${message}`, 'red');
  if (process.env.RALPH_DEBUG && error instanceof Error && error.stack) note(error.stack);
  else note('ralph: set RALPH_DEBUG=1 to see where it happened, and please report it.');
  return 1;
}
