import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { InputError, StateMissingError } from '../../errors.js';
import { readLoopsView } from '../../loops/view.js';
import { leanHeap } from '../../process/lean-heap.js';
import { portNumber } from '../../config/parsers.js';
import { startDashboard } from '../../dashboard/server.js';
import { print, printJson } from '../output.js';
import { dirOption, openExistingQueue, queueOption, untilStopped } from './common.js';
import type { QueueFlags } from './common.js';

interface Flags extends QueueFlags {
  host: string;
  port: number;
  token?: string;
  open?: boolean;
  json?: boolean;
  logdir: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function registerDashboard(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('dashboard')
    .description('serve a live web page of the queue, and of the loops of this repository, until Ctrl-C; prints its address with a token')
    .option('--host <host>', 'the address to listen on; another than 127.0.0.1 needs --token', '127.0.0.1')
    .option('--port <n>', 'the port (0: any free one)', portNumber, 0)
    .option(
      '--token <token>',
      'the token every request must carry (default: RALPH_DASHBOARD_TOKEN, else a new random one); on the command line, other users of the machine can see it',
    )
    .option('--open', 'also open the page in the browser')
    .option('--logdir <dir>', "the supervisor/engineer loops' log directory (their --logdir), for their last iterations", 'logs')
    .option('--json', 'print the address as JSON ({"url": …}) instead of a sentence');
  queueOption(dirOption(command));
  command.addHelpText(
    'after',
    `
Open the printed URL (it carries the token). The JSON endpoints (/api/status, /api/tasks?status=&
offset=&limit=, /api/events, and the POSTs of docs/dashboard.md) take it as "Authorization: Bearer TOKEN".

Examples:
  $ ralph dashboard
  $ RALPH_DASHBOARD_TOKEN=$(openssl rand -hex 16) ralph dashboard --host 0.0.0.0
  $ curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:PORT/api/status`,
  );
  command.action(async (flags: Flags) => {
    // A long-lived process that mostly waits, as a worker is: its heap kept near what it holds.
    leanHeap();
    flags.token ??= process.env.RALPH_DASHBOARD_TOKEN || undefined;
    if (!LOOPBACK.has(flags.host) && flags.token === undefined)
      throw new InputError(`--host ${flags.host} lets other machines reach the dashboard: give it a --token of your own choosing as well.`);
    if (flags.token !== undefined && flags.token.length < 16) throw new InputError('--token must be at least 16 characters long.');
    // A repository of the supervisor/engineer loops may have no queue: then the page shows the loops alone.
    const store = await openExistingQueue(flags, { load: false }).catch((error: unknown) => {
      if (error instanceof StateMissingError && readLoopsView(process.cwd())) return undefined;
      throw error;
    });
    try {
      setExit(
        await untilStopped(async (signal) => {
          const dashboard = await startDashboard(store, {
            host: flags.host,
            port: flags.port,
            ...(flags.token ? { token: flags.token } : {}),
            logdir: flags.logdir,
            onError: (message) => process.stderr.write(`ralph dashboard: ${message}\n`),
          });
          if (flags.json) printJson({ url: dashboard.url });
          else print(`ralph dashboard: serving ${store?.location ?? 'the loops of this repository'} at ${dashboard.url} (Ctrl-C to stop)`);
          if (flags.open) openBrowser(dashboard.url);
          if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          await dashboard.close();
        }),
      );
    } finally {
      await store?.close();
    }
  });
}

/** The system's opener, from an argument array (the URL is never part of a shell string). */
function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`ralph dashboard: could not start ${command}; open the address above yourself\n`));
  child.unref();
}
