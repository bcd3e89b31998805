import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { STATE_PATH, formatSyncState, initialState } from './sync-state.js';
import type { Actor } from './sync-state.js';

/**
 * supervisor.sh / loop.sh. They are committed and pushed, so they name no path of this machine: they
 * find Ralph on the machine that runs them, in this order, or say in one line what to install (exit 2).
 */
function wrapper(command: 'supervisor' | 'loop', what: string): string {
  const self = `${command}.sh`;
  return `#!/bin/sh
# ${what}. Every argument is passed on: ./${self} --help
# Runs Ralph as found on this machine: $RALPH_BIN (a path or a command name), else this repository's
# node_modules/.bin/ralph, else ralph on PATH, else ralph-orchestrator where npx finds it installed.
if [ -n "\${RALPH_BIN:-}" ]; then
  case "$RALPH_BIN" in
    */*) [ -f "$RALPH_BIN" ] && [ -x "$RALPH_BIN" ] && exec "$RALPH_BIN" ${command} "$@" ;;
    *) command -v "$RALPH_BIN" >/dev/null 2>&1 && exec "$RALPH_BIN" ${command} "$@" ;;
  esac
  echo "${self}: RALPH_BIN=$RALPH_BIN is not an executable file or command; set it to Ralph's bin (such as node_modules/.bin/ralph) or unset it" >&2
  exit 2
fi
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 2
if [ -x "$here/node_modules/.bin/ralph" ]; then exec "$here/node_modules/.bin/ralph" ${command} "$@"; fi
if command -v ralph >/dev/null 2>&1; then exec ralph ${command} "$@"; fi
if command -v npx >/dev/null 2>&1 && npx --no --offline -- ralph-orchestrator --version >/dev/null 2>&1; then
  exec npx --no --offline -- ralph-orchestrator ${command} "$@"
fi
echo "${self}: Ralph is not installed here: install ralph-orchestrator in this repository (npm install --save-dev <its tarball or clone>) or globally (npm install -g ...), or set RALPH_BIN to its bin" >&2
exit 2
`;
}

const SUPERVISOR_PROMPT = `# Supervisor (galph)

You supervise an engineer agent ("ralph") who works on this repository in turns with you.

1. Read \`input.md\` (your last instructions), \`galph_memory.md\` if it exists, and the engineer's latest
   commits (\`git log -n 10 --stat\`).
2. Decide the single most valuable next step.
3. Rewrite \`input.md\` with precise instructions for the engineer: the goal, the files involved, how to
   check the result. Keep notes for yourself in \`galph_memory.md\`.
4. Do not change source code yourself.

End your answer with one line: \`FINDINGS: <one-paragraph summary of what you asked for and why>\`.
`;

const MAIN_PROMPT = `# Engineer (ralph)

Read \`input.md\`: it holds the supervisor's instructions for this turn. Do exactly that work in this
repository, run the checks it names, and commit your changes with a clear message (\`git commit\`).
Stay on the current branch and do not push: the loop publishes your commits with the handoff.
Do not edit \`input.md\` or \`sync/state.json\`.

End your answer with one line: \`FINDINGS: <one-paragraph summary of what you did and what remains>\`.
`;

const DEBUG_PROMPT = `# Engineer (ralph), debugging

Read \`input.md\`: it names a behaviour that differs from the reference (a parity or trace problem).
Reproduce it, trace both sides to the first point where they diverge, fix the cause, add a test that
fails without the fix, and commit.

End your answer with one line: \`FINDINGS: <where they diverged, the fix, the test>\`.
`;

const INPUT = `# Instructions for the engineer

(The supervisor rewrites this file every turn.)
`;

export interface ScaffoldResult {
  written: string[];
  kept: string[];
}

/** `ralph init --loops`: wrappers, prompts, input.md, sync/state.json, logs/ ignored. Existing files are kept. */
export function scaffoldLoops(root: string, start: Actor, now = new Date()): ScaffoldResult {
  const result: ScaffoldResult = { written: [], kept: [] };
  const files: Array<[string, string, boolean]> = [
    ['supervisor.sh', wrapper('supervisor', 'The supervisor ("galph")'), true],
    ['loop.sh', wrapper('loop', 'The engineer ("ralph")'), true],
    ['prompts/supervisor.md', SUPERVISOR_PROMPT, false],
    ['prompts/main.md', MAIN_PROMPT, false],
    ['prompts/debug.md', DEBUG_PROMPT, false],
    ['input.md', INPUT, false],
    [STATE_PATH, formatSyncState(initialState(start, now)), false],
  ];
  for (const [name, text, executable] of files) {
    const path = join(root, name);
    if (existsSync(path)) {
      result.kept.push(name);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { flag: 'wx' });
    if (executable) chmodSync(path, 0o755);
    result.written.push(name);
  }
  const gitignore = join(root, '.gitignore');
  const ignored = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  if (!ignored.split('\n').some((l) => ['logs/', 'logs', '/logs', '/logs/'].includes(l.trim()))) {
    appendFileSync(gitignore, `${ignored === '' || ignored.endsWith('\n') ? '' : '\n'}logs/\n`);
    result.written.push('.gitignore (logs/)');
  } else {
    result.kept.push('.gitignore');
  }
  return result;
}
