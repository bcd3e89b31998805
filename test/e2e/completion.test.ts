// `ralph completion bash|zsh|fish` against the real shells: every command, subcommand and option that
// `--help` lists is completed, so a command added without completion (or completion written by hand
// that drifts) fails here.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/index.js';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

function cli(args: string[], cwd = process.cwd()): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ralph ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A section of a `--help` text: its lines, up to the next blank line. */
function section(help: string, title: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

interface HelpNode {
  path: string[];
  options: string[];
  commands: string[];
}

/** `ralph <args>`'s stdout, run concurrently. */
function cliAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
}

/** What `--help` lists for every command path, read from the real CLI. */
async function helpTree(path: string[] = []): Promise<HelpNode[]> {
  const help = await cliAsync([...path, '--help']);
  const options = section(help, 'Options')
    .filter((l) => /^ {2}-/.test(l))
    .flatMap((l) =>
      l
        .trim()
        .split(/ {2,}/)[0]!
        .split(', ')
        .map((f) => f.split(' ')[0]!),
    );
  const commands = section(help, 'Commands')
    .filter((l) => /^ {2}\S/.test(l))
    .map((l) => l.trim().split(' ')[0]!);
  const node = { path, options, commands };
  // commander's implicit `help [command]` has no help of its own.
  const below = await Promise.all(commands.filter((c) => c !== 'help').map((c) => helpTree([...path, c])));
  return [node, ...below.flat()];
}

const sorted = (words: string[]) => [...new Set(words)].sort();
/** A word in single quotes for zsh. */
const sq = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

describe('ralph completion', () => {
  let dir: string;
  let tree: HelpNode[];
  // One directory for all the tests here (helpers' tempDir is removed after each test).
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ralph-completion-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'tasks.json'), '[]');
    for (const shell of ['bash', 'zsh', 'fish']) writeFileSync(join(dir, `ralph.${shell}`), cli(['completion', shell]));
    tree = await helpTree();
  });

  it('knows the commands --help lists (the test itself reads them all)', () => {
    expect(tree.find((n) => n.path.length === 0)!.commands).toEqual(expect.arrayContaining(['run', 'queue', 'stamp-handoff', 'completion', 'help']));
    expect(tree.map((n) => n.path.join(' '))).toEqual(expect.arrayContaining(['queue add', 'worktrees prune', 'tail-logs']));
    expect(tree.find((n) => n.path.join(' ') === 'run')!.options).toEqual(expect.arrayContaining(['--tasks', '--idle-timeout', '--on-event', '-h', '--help']));
  });

  describe('bash', () => {
    /** What `_ralph` offers for the words typed so far (the last one is being completed), in a real bash. */
    const complete = (...words: string[]) => {
      const r = spawnSync(
        'bash',
        ['-c', 'source ralph.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ralph; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', ...words],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean);
    };

    it('completes every command, subcommand and option that --help lists, and nothing else', () => {
      for (const node of tree) {
        expect(sorted(complete('ralph', ...node.path, '-')), `ralph ${node.path.join(' ')} -`).toEqual(sorted(node.options));
        if (node.commands.length > 0) expect(sorted(complete('ralph', ...node.path, '')), `ralph ${node.path.join(' ')}`).toEqual(sorted(node.commands));
      }
    });

    it.each<[string[], string[]]>([
      [['ralph', 'ru'], ['run']],
      [
        ['ralph', 'run', '--agent', 'c'],
        ['claude', 'codex', 'copilot', 'cursor'],
      ],
      [['ralph', 'run', '--isolate', '=', 'w'], ['worktree']],
      [['ralph', 'run', '--tasks', 't'], ['tasks.json']],
      [['ralph', 'run', '--dir', ''], ['sub']],
      [['ralph', 'run', '--workers', ''], []],
      [
        ['ralph', 'run', '--dir', '.ralph', '--tas'],
        ['--task-timeout', '--tasks'],
      ],
      [['ralph', 'stamp-handoff', 'g'], ['galph']],
      [
        ['ralph', 'stamp-handoff', 'galph', ''],
        ['fail', 'ok'],
      ],
      [['ralph', 'stamp-handoff', '--no-push', 'ralph', 'f'], ['fail']],
      [['ralph', 'queue', 'add', 't'], ['tasks.json']],
      [['ralph', 'tail-logs', '-n', '3', '--so'], ['--source']],
      [
        ['ralph', 'completion', ''],
        ['bash', 'fish', 'zsh'],
      ],
      [
        ['ralph', 'help', 'wor'],
        ['worker', 'worktrees'],
      ],
    ])('%j → %j', (words, expected) => {
      expect(sorted(complete(...words))).toEqual(expected);
    });
  });

  describe.skipIf(!has('fish'))('fish', () => {
    const complete = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', 'source ralph.fish; complete -C $argv[1]', line], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!);
    };

    it('completes every command, subcommand and long option that --help lists', () => {
      for (const node of tree) {
        const line = ['ralph', ...node.path].join(' ');
        expect(sorted(complete(`${line} --`)), line).toEqual(sorted(node.options.filter((o) => o.startsWith('--'))));
        if (node.commands.length > 0) expect(sorted(complete(`${line} `)), line).toEqual(sorted(node.commands));
      }
    });

    it.each<[string, string[]]>([
      ['ralph run --agent c', ['claude', 'codex', 'copilot', 'cursor']],
      ['ralph stamp-handoff galph ', ['fail', 'ok']],
      ['ralph queue add t', ['tasks.json']],
      ['ralph run --dir .ralph --tas', ['--task-timeout', '--tasks']],
      ['ralph tail-logs -n 3 --so', ['--source']],
    ])('%j → %j', (line, expected) => {
      expect(sorted(complete(line))).toEqual(expected);
    });
  });

  describe.skipIf(!has('zsh'))('zsh', () => {
    const cases: Array<[string, string[]]> = [
      ['ralph stamp-handoff galph ', ['fail', 'ok']],
      ['ralph run --agent c', ['claude', 'codex', 'copilot', 'cursor']],
      ['ralph queue ', ['add', 'export', 'help', 'init', 'list', 'migrate', 'pause', 'resume', 'retry', 'stop']],
      ['ralph tail-logs --so', ['--source']],
      ['ralph run --tasks t', ['tasks.json']],
    ];
    /**
     * Types each line and a Tab into one interactive zsh on a pseudo-terminal (zsh/zpty), with compadd
     * wrapped to record every match offered, and waits for the completion to end (comppostfuncs).
     */
    function completeAll(lines: string[]): string[][] {
      const out = (i: number) => join(dir, `zsh-out-${i}`);
      // Each line is cleared with ^U (not ^C, whose SIGINT would flush what is typed next). What the
      // shell prints is read as it comes: a terminal whose output nobody reads fills, and the shell stops.
      const steps = lines
        .map(
          (
            line,
            i,
          ) => `zpty -w z '_done() { : > ${out(i)}.done }; comppostfuncs=(_done); compadd() { local -a m; builtin compadd -O m "$@"; (( $#m )) && print -rl -- $m >> ${out(i)}; builtin compadd "$@" }'
zpty -wn z ${sq(`${line}\t`)}
for i in {1..200}; do [[ -e ${out(i)}.done ]] && break; zpty -rt z junk; sleep 0.05; done
zpty -wn z $'\\C-u'
while zpty -rt z junk; do :; done`,
        )
        .join('\n');
      const driver = join(dir, 'driver.zsh');
      writeFileSync(
        driver,
        `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'autoload -U compinit; compinit -u -D; source ${join(dir, 'ralph.zsh')}; unsetopt AUTO_LIST LIST_AMBIGUOUS; LISTMAX=100000'
${steps}
zpty -d z
`,
      );
      const r = spawnSync('zsh', ['-f', driver], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      return lines.map((_, i) => {
        expect(existsSync(`${out(i)}.done`), lines[i]).toBe(true);
        return existsSync(out(i)) ? readFileSync(out(i), 'utf8').split('\n').filter(Boolean) : [];
      });
    }

    it('completes commands, subcommands, options and their values in a real interactive zsh', () => {
      const all: Array<[string, string[]]> = [
        ...cases,
        ...tree
          .filter((n) => n.path.at(-1) !== 'help')
          .flatMap(
            (n): Array<[string, string[]]> => [
              [['ralph', ...n.path, '-'].join(' '), sorted(n.options)],
              ...(n.commands.length > 0 ? [[['ralph', ...n.path, ''].join(' '), sorted(n.commands)] as [string, string[]]] : []),
            ],
          ),
      ];
      const got = completeAll(all.map(([line]) => line));
      expect(all.map(([line], i) => [line, sorted(got[i]!)])).toEqual(all);
    });

    it('loads (zsh -n, compdef) and defines a function for every command path', () => {
      expect(spawnSync('zsh', ['-n', join(dir, 'ralph.zsh')]).status).toBe(0);
      const names = tree.map((n) => `_ralph${n.path.map((p) => `__${p.replace(/-/g, '_')}`).join('')}`);
      const r = spawnSync(
        'zsh',
        ['-f', '-c', `autoload -U compinit; compinit -u -D; source ralph.zsh; print -r -- $_comps[ralph]; whence -w ${names.join(' ')}`],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(r.stdout.split('\n')[0]).toBe('_ralph');
      expect(r.stdout.match(/: function$/gm)).toHaveLength(names.length);
    });
  });
});
