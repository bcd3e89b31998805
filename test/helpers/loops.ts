import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ralph as runRalph, startRalph, tempDir } from './index.js';

import { git } from './git.js';

export { git };

export interface Setup {
  root: string;
  remote: string;
  a: string;
  b: string;
  agents: string;
}

function configure(repo: string, name: string): void {
  git(repo, 'config', 'user.name', name);
  git(repo, 'config', 'user.email', `${name}@example.com`);
  git(repo, 'config', 'commit.gpgsign', 'false');
}

/** A bare remote on disk and two clones (A: supervisor, B: engineer) of a repository set up by `ralph init --loops`. */
export async function twoClones(start: 'galph' | 'ralph' = 'galph', branch = 'main'): Promise<Setup> {
  const root = tempDir('ralph-loops-');
  const remote = join(root, 'remote.git');
  git(root, 'init', '--quiet', '--bare', '-b', branch, remote);
  const a = join(root, 'a');
  git(root, 'clone', '--quiet', remote, a);
  configure(a, 'galph');
  git(a, 'checkout', '--quiet', '-b', branch);
  writeFileSync(join(a, 'README.md'), '# project\n');
  const init = await runRalph(['init', '--loops', '--start', start], { cwd: a });
  if (init.code !== 0) throw new Error(`init --loops failed: ${init.stderr}`);
  git(a, 'add', '-A');
  git(a, 'commit', '--quiet', '-m', 'set up the loops');
  git(a, 'push', '--quiet', 'origin', `HEAD:${branch}`);
  const b = join(root, 'b');
  git(root, 'clone', '--quiet', '-b', branch, remote, b);
  configure(b, 'ralph');
  const agents = join(root, 'agents');
  mkdirSync(agents);
  writeAgent(
    agents,
    'galph.sh',
    `
echo "galph iteration $RALPH_ITERATION on $RALPH_BRANCH" >> input.md
mkdir -p reports && echo "report $RALPH_ITERATION" > "reports/galph-$RALPH_ITERATION.md"
echo "FINDINGS: asked for step $RALPH_ITERATION"`,
  );
  writeAgent(
    agents,
    'ralph.sh',
    `
mkdir -p work && echo "done $RALPH_ITERATION" > "work/ralph-$RALPH_ITERATION.txt"
git add work && git commit --quiet -m "ralph: step $RALPH_ITERATION"
echo "FINDINGS: did step $RALPH_ITERATION"`,
  );
  return { root, remote, a, b, agents };
}

/** Another clone of the remote on `branch`, with its own committer name (a third machine, say). */
export function cloneAs(s: Setup, dir: string, name: string, branch = 'main'): string {
  const path = join(s.root, dir);
  git(s.root, 'clone', '--quiet', '-b', branch, s.remote, path);
  configure(path, name);
  return path;
}

/** Commits `state` as sync/state.json in `clone` and pushes it, as another machine's loop would. */
export function pushState(clone: string, state: Record<string, unknown>, subject: string, branch = 'main'): void {
  git(clone, 'pull', '--quiet', '--rebase', 'origin', branch);
  writeFileSync(join(clone, 'sync', 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  git(clone, 'commit', '--quiet', '-m', subject, '--', 'sync/state.json');
  git(clone, 'push', '--quiet', 'origin', `HEAD:${branch}`);
}

/**
 * An agent that, on its first run, works until `release` exists (30 s at most), then marks `finished`
 * and runs `body`; later runs do so at once. `started` marks that its first run began.
 */
export function gatedAgent(s: Setup, name: string, body: string): { agent: string; started: string; release: string; finished: string } {
  const [started, release, finished] = ['started', 'release', 'finished'].map((what) => join(s.root, `${name}-${what}`)) as [string, string, string];
  const agent = writeAgent(
    s.agents,
    `${name}.sh`,
    `
if [ ! -e '${started}' ]; then
  touch '${started}'
  i=0
  while [ ! -e '${release}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
fi
touch '${finished}'
${body.trim()}`,
  );
  return { agent, started, release, finished };
}

export function writeAgent(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nset -e\n${body.trim()}\n`);
  chmodSync(path, 0o755);
  return path;
}

export const FAST = ['--poll-interval', '0.2', '--grace', '1'];

export { runRalph, startRalph };

/** A command's commit on the bare remote (`git rev-parse <ref>`), or '' when the ref does not exist. */
export function remoteRev(remote: string, ref = 'main'): string {
  try {
    return git(remote, 'rev-parse', '--verify', '--quiet', ref);
  } catch {
    return '';
  }
}

/** `sync/state.json` as the bare remote has it on `branch`. */
export function remoteState(remote: string, branch = 'main'): Record<string, unknown> {
  return JSON.parse(git(remote, 'show', `${branch}:sync/state.json`)) as Record<string, unknown>;
}

/** Subjects of the handoff commits (`… → next=…`) on `ref` of `repo`, oldest first. */
export function handoffSubjects(repo: string, ref = 'main'): string[] {
  return git(repo, 'log', '--reverse', '--format=%s', ref)
    .split('\n')
    .filter((s) => s.includes('→ next='));
}

/** Starts the CLI like `startRalph`, with its output readable while it runs and a SIGKILL after `limitMs`. */
export function startWatched(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }, limitMs = 30_000) {
  const started = startRalph(args, options);
  let out = '';
  started.child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  started.child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => started.child.kill('SIGKILL'), limitMs);
  const done = started.done.finally(() => clearTimeout(timer));
  return { child: started.child, done, output: () => out };
}

/** Runs the CLI to the end, killed (SIGKILL) if it takes longer than `limitMs`. */
export function ralphWithin(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }, limitMs = 30_000) {
  return startWatched(args, options, limitMs).done;
}
