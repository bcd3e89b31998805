import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anchorCommand, checkCommandLine } from '../../src/agents/command.js';
import { tempDir } from '../helpers/index.js';

let root: string;
let cwd: string;
let bin: string;
let PATH: string;

/** Writes a file into `dir` with the given mode. */
function file(dir: string, name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho FINDINGS: ok\n');
  chmodSync(path, mode);
  return path;
}

beforeEach(() => {
  root = tempDir('ralph-preflight-');
  cwd = join(root, 'project');
  bin = join(root, 'bin');
  const other = join(root, 'other-bin');
  for (const dir of [cwd, bin, other, join(cwd, 'scripts'), join(bin, 'a-dir')]) mkdirSync(dir, { recursive: true });
  file(bin, 'on-path', 0o755);
  file(bin, 'plain-on-path', 0o644);
  file(other, 'plain-on-path', 0o755);
  file(cwd, 'agent.sh', 0o755);
  file(cwd, 'not-exec.sh', 0o644);
  file(join(cwd, 'scripts'), 'run.sh', 0o700);
  PATH = [bin, other].join(':');
});

describe('checkCommandLine finds', () => {
  it.each([
    ['a command on PATH', 'on-path'],
    ['a command on PATH with arguments', 'on-path -p --fast "quoted arg"'],
    ['a command found in a later PATH directory', 'plain-on-path'],
    ['a relative path from the working directory', './agent.sh'],
    ['a relative path into a subdirectory', 'scripts/run.sh --x'],
    ['a quoted relative path', '"./agent.sh" arg'],
    ['a single-quoted relative path', "'./agent.sh'"],
    ['a command after environment assignments', 'FOO=1 BAR_2=x on-path'],
    ['a path after an environment assignment', 'DEBUG=1 ./agent.sh'],
    ['a command with surrounding spaces', '   on-path   '],
  ])('%s', (_what, command) => {
    expect(checkCommandLine(command, cwd, PATH)).toBeUndefined();
  });

  it('an absolute path', () => {
    expect(checkCommandLine(join(cwd, 'agent.sh'), '/', '')).toBeUndefined();
  });
});

describe('checkCommandLine skips what it cannot judge', () => {
  it.each([
    ['the shell builtin echo', 'echo FINDINGS: done'],
    ['exec', 'exec ./missing.sh'],
    ['cd', 'cd somewhere && ./missing.sh'],
    ['a dot script', '. ./env.sh'],
    ['a subshell', '( ./missing.sh )'],
    ['a brace group', '{ ./missing.sh; }'],
    ['negation', '! false'],
    ['an if statement', 'if true; then x; fi'],
    ['a variable as the command', '$AGENT --flag'],
    ['a command substitution', '`which agent` -p'],
    ['a glob', './agent*.sh'],
    ['only environment assignments', 'FOO=1 BAR=2'],
  ])('%s', (_what, command) => {
    expect(checkCommandLine(command, cwd, '')).toBeUndefined();
  });
});

describe('checkCommandLine reports', () => {
  it.each([
    ['an empty command', '', 'the agent command is empty'],
    ['a blank command', '  \t ', 'the agent command is empty'],
  ])('%s', (_what, command, message) => {
    expect(checkCommandLine(command, cwd, PATH)).toBe(message);
  });

  it.each([
    ['a command missing from PATH', 'no-such-agent -p'],
    ['a command that is only a directory on PATH', 'a-dir'],
  ])('%s with a hint', (_what, command) => {
    const word = command.split(' ')[0];
    expect(checkCommandLine(command, cwd, PATH)).toBe(`agent command ${word}: not found on PATH; install it or give its path`);
  });

  it('a command that is on PATH only as a non-executable file', () => {
    expect(checkCommandLine('plain-on-path', cwd, bin)).toBe('agent command plain-on-path: not found on PATH; install it or give its path');
  });

  it('any command when PATH is empty', () => {
    expect(checkCommandLine('on-path', cwd, '')).toMatch(/not found on PATH/);
  });

  it.each([
    ['a missing relative path', './missing.sh', () => `${join(cwd, 'missing.sh')} does not exist`],
    [
      'a relative path that is not executable',
      './not-exec.sh',
      () => `${join(cwd, 'not-exec.sh')} is not executable (try chmod +x ${join(cwd, 'not-exec.sh')})`,
    ],
    ['a relative path to a directory', './scripts', () => `${join(cwd, 'scripts')} is not a file`],
    ['a missing path after an assignment', 'X=1 scripts/nope.sh', () => `${join(cwd, 'scripts', 'nope.sh')} does not exist`],
  ])('%s', (_what, command, problem) => {
    const word = command.split(' ').at(-1)!;
    expect(checkCommandLine(command, cwd, PATH)).toBe(`agent command ${word}: ${problem()}`);
  });

  it('a missing absolute path', () => {
    expect(checkCommandLine('/nonexistent/agent', cwd, PATH)).toBe('agent command /nonexistent/agent: /nonexistent/agent does not exist');
  });
});

describe('checkCommandLine with a home-relative path', () => {
  let savedHome: string | undefined;
  beforeEach(() => {
    savedHome = process.env.HOME;
    process.env.HOME = cwd;
  });
  afterEach(() => {
    process.env.HOME = savedHome;
  });

  // `/bin/sh -c '~/agent.sh'` runs $HOME/agent.sh, but the check resolves `~` as a directory
  // named "~" under the working directory, so `ralph run` refuses a command that would work.
  it('accepts ~/agent.sh when it exists in $HOME', () => {
    expect(checkCommandLine('~/agent.sh', root, PATH)).toBeUndefined();
  });
});

describe('anchorCommand: a relative agent command run from a worktree means the file where ralph started', () => {
  it.each([
    ['./agent.sh', '/home/u/proj', '/wt', "'/home/u/proj/agent.sh'"],
    ['./agent.sh --fast "x y"', '/home/u/proj', '/wt', `'/home/u/proj/agent.sh' --fast "x y"`],
    ['  ../bin/run', '/home/u/proj', '/wt', "  '/home/u/bin/run'"],
    ["./it's.sh", '/p', '/wt', "./it's.sh"],
    ['./agent.sh', "/home/o'neil", '/wt', `'/home/o'\\''neil/agent.sh'`],
    ['claude -p', '/p', '/wt', 'claude -p'],
    ['/abs/agent.sh', '/p', '/wt', '/abs/agent.sh'],
    ['FOO=1 ./agent.sh', '/p', '/wt', 'FOO=1 ./agent.sh'],
    ['./agent.sh;rm x', '/p', '/wt', './agent.sh;rm x'],
    ['./agent.sh', '/p', '/p', './agent.sh'],
    ['./agent.sh', undefined, '/wt', './agent.sh'],
  ])('%j from %s, run in %s → %s', (command, launchDir, cwd, expected) => {
    expect(anchorCommand(command, launchDir, cwd)).toBe(expected);
  });
});
