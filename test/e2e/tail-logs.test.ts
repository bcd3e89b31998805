import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import { beforeEach, describe, expect, it } from 'vitest';
import { RalphError } from '../../src/errors.js';
import { parseLogName } from '../../src/loops/logs.js';
import { parseRoles } from '../../src/loops/tail-logs/options.js';
import type { TailLogsOptions } from '../../src/loops/tail-logs/options.js';
import { cdata, renderTailLogs } from '../../src/loops/tail-logs/render.js';
import { commitFor, indexSyncCommits, newestByIteration, selectIterations } from '../../src/loops/tail-logs/select.js';
import type { LogFile } from '../../src/loops/tail-logs/select.js';
import { tailLogs } from '../../src/loops/tail-logs/tail-logs.js';
import { ralph, tempDir } from '../helpers/index.js';
import { git } from '../helpers/git.js';

function write(dir: string, path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** Commits with `subject` (and optional body) and returns the commit's short sha. */
function commit(dir: string, subject: string, body?: string): string {
  git(dir, 'add', '-A', 'docs', 'plans');
  git(dir, 'commit', '-q', '--allow-empty', '-m', subject, ...(body ? ['-m', body] : []));
  return git(dir, 'rev-parse', '--short', 'HEAD');
}

type Sha = Record<'init' | 'g1' | 'r1' | 'g2' | 'r2' | 'g3a' | 'r3fail' | 'g3b' | 'r3' | 'g4' | 'r4fail', string>;

const GALPH = { 1: '20261121_100000', 2: '20261121_110000', 3: '20261121_122000', 4: '20261121_130000', 5: '20261121_140000' } as const;
const RALPH = { 1: '20261121_101000_main', 2: '20261121_111000_main', 3: '20261121_123000_debug', 4: '20261121_131000_main' } as const;
const WEIRD = 'before ]]> after\nbell\u0007here, nul-free\n<not a tag> & "quoted" \'single\'\n]]]]>\nemoji \u{1F600} end\n';
const weirdExpected = WEIRD.replace('\u0007', '\uFFFD');

// The loops' history: iteration 3 had a failed ralph run and a galph rerun; ralph failed iteration 4;
// galph's iteration 5 has a log but no handoff yet. The last commit mentions a SYNC line only in its body.
function loopRepo(): { dir: string; sha: Sha } {
  const dir = tempDir('ralph-tail-logs-');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  write(dir, 'docs/a.md', 'a\n');
  write(dir, 'docs/b.md', 'b\n');
  write(dir, 'plans/p.md', 'p\n');
  const sha = {} as Sha;
  sha.init = commit(dir, 'initial');
  const sync = (i: number, actor: string, next: string, status: string) =>
    `[SYNC i=${i}] actor=${actor} → next=${next} status=${status} ${git(dir, 'rev-parse', '--short', 'HEAD')}`;
  sha.g1 = commit(dir, sync(1, 'galph', 'ralph', 'ok'));
  sha.r1 = commit(dir, sync(2, 'ralph', 'galph', 'ok'));
  write(dir, 'docs/c.md', 'c\n');
  sha.g2 = commit(dir, sync(2, 'galph', 'ralph', 'ok'));
  sha.r2 = commit(dir, sync(3, 'ralph', 'galph', 'ok'));
  sha.g3a = commit(dir, sync(3, 'galph', 'ralph', 'ok'));
  sha.r3fail = commit(dir, sync(3, 'ralph', 'galph', 'fail'));
  sha.g3b = commit(dir, sync(3, 'galph', 'ralph', 'ok'));
  sha.r3 = commit(dir, sync(4, 'ralph', 'galph', 'ok'));
  sha.g4 = commit(dir, sync(4, 'galph', 'ralph', 'ok'));
  sha.r4fail = commit(dir, sync(4, 'ralph', 'galph', 'fail'));
  commit(dir, 'notes', '[SYNC i=1] actor=galph → next=ralph status=ok deadbee');

  const base = 'logs/feature-x';
  for (const [i, stamp] of Object.entries(GALPH)) write(dir, `${base}/galph/iter-0000${i}_${stamp}.log`, `galph log ${i}\n`);
  for (const [i, stamp] of Object.entries(RALPH)) write(dir, `${base}/ralph/iter-0000${i}_${stamp}.log`, `ralph log ${i}\n`);
  write(dir, `${base}/galph/iter-00003_20261121_120000.log`, 'galph log 3, first run\n');
  write(dir, `${base}/ralph/iter-00003_20261121_121000_main.log`, 'ralph log 3, failed\n');
  write(dir, `${base}/galph/notes.txt`, 'not a log\n');
  write(dir, `${base}/ralph/iter-2_bad.log`, 'not a log either\n');
  for (let i = 1; i <= 4; i++) {
    write(dir, `${base}/galph-summaries/iter-0000${i}_2026112${i}_100000-summary.md`, `# galph summary ${i}\n`);
    write(dir, `${base}/ralph-summaries/iter-0000${i}_2026112${i}_110000_main-summary.md`, `# ralph summary ${i}\n`);
  }
  write(dir, 'logs/weird/galph/iter-00001_20261121_100000.log', WEIRD);
  return { dir, sha };
}

function parse(xml: string) {
  // U+FFFD is a valid character (we write it for invalid ones); xmldom only warns that it saw one.
  const onError = (level: string, message: string) => {
    if (!(level === 'warning' && /replacement character/.test(message))) throw new Error(`${level}: ${message}`);
  };
  const doc = new DOMParser({ onError }).parseFromString(xml, 'text/xml');
  return doc.documentElement!;
}

function children(e: Element, tag: string): Element[] {
  return Array.from(e.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).tagName === tag);
}

// The element's CDATA text with the layout around it taken off (leading newline, trailing indentation).
function content(e: Element): string {
  const nodes = Array.from(e.childNodes);
  expect(nodes.filter((n) => n.nodeType === 3 && n.nodeValue!.trim() !== '')).toEqual([]);
  const text = nodes
    .filter((n) => n.nodeType === 4)
    .map((n) => n.nodeValue)
    .join('');
  expect(text).toMatch(/^\n[\s\S]*\n *$/);
  return text.slice(1).replace(/ *$/, '');
}

function attrs(e: Element): Record<string, string> {
  return Object.fromEntries(Array.from(e.attributes).map((a) => [a.name, a.value]));
}

function logs(xml: string) {
  return children(parse(xml), 'log').map((e) => ({
    ...attrs(e),
    content: content(e),
    ls: children(e, 'ls').map((l) => ({ ...attrs(l), names: content(l).trimEnd().split('\n') })),
  }));
}

const ids = (xml: string) => logs(xml).map((l) => `${l.role}${l.iter}`);

describe('tailLogs on a real git repository', () => {
  let dir: string;
  let sha: Sha;
  const run = (options: Partial<TailLogsOptions> = {}) => tailLogs({ prefix: 'feature-x', cwd: dir, ...options });
  beforeEach(() => {
    ({ dir, sha } = loopRepo());
  });

  it('prints the last 3 iterations by default, galph then ralph, each with its handoff commit', () => {
    const xml = run();
    expect(attrs(parse(xml))).toEqual({ prefix: 'feature-x', count: '3', source: 'logs' });
    const subject = (id: keyof Sha, i: number, actor: string, next: string, status: string, before: keyof Sha) => ({
      commit: sha[id],
      commit_subject: `[SYNC i=${i}] actor=${actor} → next=${next} status=${status} ${sha[before]}`,
    });
    const got = logs(xml).map(({ ls, ...rest }) => rest);
    expect(got).toEqual([
      {
        role: 'galph',
        iter: '3',
        path: `logs/feature-x/galph/iter-00003_${GALPH[3]}.log`,
        source: 'log',
        format: 'text',
        content: 'galph log 3\n',
        ...subject('g3b', 3, 'galph', 'ralph', 'ok', 'r3fail'),
      },
      {
        role: 'ralph',
        iter: '3',
        path: `logs/feature-x/ralph/iter-00003_${RALPH[3]}.log`,
        source: 'log',
        format: 'text',
        content: 'ralph log 3\n',
        ...subject('r3', 4, 'ralph', 'galph', 'ok', 'g3b'),
      },
      {
        role: 'galph',
        iter: '4',
        path: `logs/feature-x/galph/iter-00004_${GALPH[4]}.log`,
        source: 'log',
        format: 'text',
        content: 'galph log 4\n',
        ...subject('g4', 4, 'galph', 'ralph', 'ok', 'r3'),
      },
      {
        role: 'ralph',
        iter: '4',
        path: `logs/feature-x/ralph/iter-00004_${RALPH[4]}.log`,
        source: 'log',
        format: 'text',
        content: 'ralph log 4\n',
        ...subject('r4fail', 4, 'ralph', 'galph', 'fail', 'g4'),
      },
      { role: 'galph', iter: '5', path: `logs/feature-x/galph/iter-00005_${GALPH[5]}.log`, source: 'log', format: 'text', content: 'galph log 5\n' },
    ]);
  });

  it("lists docs and plans as they were at each log's commit, and skips paths that do not exist there", () => {
    const all = logs(run({ count: 0 }));
    const at = (id: string) => all.find((l) => `${l.role}${l.iter}` === id)!.ls;
    expect(at('galph1')).toEqual([
      { path: 'docs', commit: sha.g1, names: ['docs/a.md', 'docs/b.md'] },
      { path: 'plans', commit: sha.g1, names: ['plans/p.md'] },
    ]);
    expect(at('galph2')).toEqual([
      { path: 'docs', commit: sha.g2, names: ['docs/a.md', 'docs/b.md', 'docs/c.md'] },
      { path: 'plans', commit: sha.g2, names: ['plans/p.md'] },
    ]);
    expect(at('ralph1').map((l) => l.commit)).toEqual([sha.r1, sha.r1]);
    expect(at('galph5')).toEqual([]);
  });

  it('-n picks the last N iterations, and -n 0 all of them', () => {
    expect(ids(run({ count: 2 }))).toEqual(['galph4', 'ralph4', 'galph5']);
    expect(attrs(parse(run({ count: 2 }))).count).toBe('2');
    expect(ids(run({ count: 0 }))).toEqual(['galph1', 'ralph1', 'galph2', 'ralph2', 'galph3', 'ralph3', 'galph4', 'ralph4', 'galph5']);
  });

  it('--min-iter and --max-iter bound the iterations before the last N are taken', () => {
    expect(ids(run({ minIter: 2, maxIter: 3, count: 5 }))).toEqual(['galph2', 'ralph2', 'galph3', 'ralph3']);
    expect(ids(run({ maxIter: 3 }))).toEqual(['galph1', 'ralph1', 'galph2', 'ralph2', 'galph3', 'ralph3']);
    expect(ids(run({ minIter: 4, count: 0 }))).toEqual(['galph4', 'ralph4', 'galph5']);
    expect(run({ minIter: 9 })).toBe('<logs prefix="feature-x" count="0" source="logs">\n</logs>');
  });

  it('--roles picks the roles and their order; iterations without a file of those roles are skipped', () => {
    expect(ids(run({ roles: ['ralph'] }))).toEqual(['ralph2', 'ralph3', 'ralph4']);
    expect(ids(run({ roles: ['ralph', 'galph'], count: 1 }))).toEqual(['galph5']);
    expect(ids(run({ roles: ['ralph', 'galph'], maxIter: 4, count: 1 }))).toEqual(['ralph4', 'galph4']);
  });

  it('--source summaries reads the summary files as markdown, annotated like the logs', () => {
    const xml = run({ source: 'summaries', count: 1, lsPaths: ['plans'] });
    expect(attrs(parse(xml))).toEqual({ prefix: 'feature-x', count: '1', source: 'summaries' });
    expect(logs(xml)).toEqual([
      {
        role: 'galph',
        iter: '4',
        path: 'logs/feature-x/galph-summaries/iter-00004_20261124_100000-summary.md',
        source: 'summary',
        format: 'markdown',
        content: '# galph summary 4\n',
        commit: sha.g4,
        commit_subject: expect.stringMatching(/^\[SYNC i=4\] actor=galph /),
        ls: [{ path: 'plans', commit: sha.g4, names: ['plans/p.md'] }],
      },
      {
        role: 'ralph',
        iter: '4',
        path: 'logs/feature-x/ralph-summaries/iter-00004_20261124_110000_main-summary.md',
        source: 'summary',
        format: 'markdown',
        content: '# ralph summary 4\n',
        commit: sha.r4fail,
        commit_subject: expect.stringMatching(/^\[SYNC i=4\] actor=ralph .* status=fail /),
        ls: [{ path: 'plans', commit: sha.r4fail, names: ['plans/p.md'] }],
      },
    ]);
  });

  it('--no-ls leaves the listings out but keeps the commits', () => {
    const all = logs(run({ ls: false, count: 0 }));
    expect(all.flatMap((l) => l.ls)).toEqual([]);
    expect(all.filter((l) => l.commit).length).toBe(8);
  });

  it('a log with ]]> and a control character is still well-formed and keeps its text, the control character replaced', () => {
    const xml = tailLogs({ prefix: 'weird', cwd: dir, ls: false });
    expect(xml).toContain(']]]]><![CDATA[>');
    expect(logs(xml)[0]!.content).toBe(weirdExpected);
  });

  it('prints exactly this document for one small case', () => {
    const xml = run({ roles: ['galph'], minIter: 1, maxIter: 1, lsPaths: ['plans', 'reports'] });
    expect(xml).toBe(`<logs prefix="feature-x" count="1" source="logs">
  <log role="galph" iter="1" path="logs/feature-x/galph/iter-00001_20261121_100000.log" source="log" format="text" commit="${sha.g1}" commit_subject="[SYNC i=1] actor=galph → next=ralph status=ok ${sha.init}">
    <![CDATA[
galph log 1
    ]]>
    <ls path="plans" commit="${sha.g1}">
      <![CDATA[
plans/p.md
      ]]>
    </ls>
  </log>
</logs>`);
  });

  it('a repository without commits gives logs without commits', () => {
    const fresh = tempDir('ralph-tail-logs-');
    git(fresh, 'init', '-q');
    write(fresh, 'logs/x/ralph/iter-00001_20261121_100000_main.log', 'r\n');
    expect(logs(tailLogs({ prefix: 'x', cwd: fresh }))).toEqual([
      { role: 'ralph', iter: '1', path: 'logs/x/ralph/iter-00001_20261121_100000_main.log', source: 'log', format: 'text', content: 'r\n', ls: [] },
    ]);
  });

  const bad: Array<[string, Partial<TailLogsOptions>, RegExp]> = [
    [
      'an unknown prefix, listing the existing ones',
      { prefix: 'feature-y' },
      /^No logs for prefix `feature-y`: logs\/feature-y is not a directory\. Prefixes under logs: feature-x, weird\.$/,
    ],
    ['a missing log directory', { logdir: 'nowhere' }, /^No log directory nowhere in .*--logdir PATH\.$/],
    [
      'a prefix with a slash',
      { prefix: 'feature/x' },
      /Expected PREFIX to be a branch name with '\/' replaced by '-' \(e\.g\. `feature-x`\), got `feature\/x`\./,
    ],
    ['a negative count', { count: -1 }, /^Expected --count to be a non-negative integer, got `-1`\.$/],
    ['a fractional --min-iter', { minIter: 1.5 }, /^Expected --min-iter to be a non-negative integer, got `1\.5`\.$/],
    ['--min-iter above --max-iter', { minIter: 4, maxIter: 2 }, /^Expected --min-iter \(4\) to be at most --max-iter \(2\)\.$/],
    ['an unknown source', { source: 'both' as never }, /^Expected --source to be logs or summaries, got `both`\.$/],
    ['an unknown role', { roles: ['galph', 'bob'] as never }, /^Expected --roles to be a comma-separated list of galph and ralph, got `galph,bob`\.$/],
  ];
  it.each(bad)('rejects %s with a RalphError for exit 2', (_name, options, message) => {
    const error = (() => {
      try {
        run(options);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RalphError);
    expect((error as RalphError).exitCode).toBe(2);
    expect((error as RalphError).message).toMatch(message);
  });

  it('rejects a directory that is not in a git repository', () => {
    const plain = tempDir('ralph-tail-logs-');
    write(plain, 'logs/x/galph/iter-00001_20261121_100000.log', 'g\n');
    expect(() => tailLogs({ prefix: 'x', cwd: plain })).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/is not inside a git repository/) }),
    );
  });

  // Needs `registerTailLogs` in src/cli/main.ts and a fresh `npm run build`.
  describe('the CLI (`ralph tail-logs`)', () => {
    it('prints the same document as tailLogs, flags mapped to options', async () => {
      const result = await ralph(['tail-logs', 'feature-x', '-n', '2', '--roles', 'ralph,galph', '--ls-paths', 'docs', '--max-iter', '4'], { cwd: dir });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${run({ count: 2, roles: ['ralph', 'galph'], lsPaths: ['docs'], maxIter: 4 })}\n`);
      const other = await ralph(['tail-logs', 'feature-x', '--source', 'summaries', '--no-ls', '--min-iter', '1', '--count', '0', '--logdir', './logs'], {
        cwd: dir,
      });
      expect(other.code).toBe(0);
      expect(other.stdout).toBe(`${run({ source: 'summaries', ls: false, minIter: 1, count: 0, logdir: './logs' })}\n`);
    });

    it.each([
      [['-n', 'x'], 'ralph: Expected --count to be a non-negative integer, got `x`.'],
      [['--min-iter', '-3'], 'ralph: Expected --min-iter to be a non-negative integer, got `-3`.'],
      [['--roles', 'galph,'], undefined],
      [['--roles', 'nobody'], 'ralph: Expected --roles to be a comma-separated list of galph and ralph, got `nobody`.'],
      [['--source', 'all'], 'ralph: Expected --source to be logs or summaries, got `all`.'],
    ])('ralph tail-logs feature-x %j', async (args, stderr) => {
      const result = await ralph(['tail-logs', 'feature-x', ...args], { cwd: dir });
      if (stderr === undefined) {
        expect(result.code).toBe(0);
        return;
      }
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`${stderr}\n`);
      expect(result.stdout).toBe('');
    });

    it('exits 2 with one line outside a git repository', async () => {
      const plain = tempDir('ralph-tail-logs-');
      const result = await ralph(['tail-logs', 'x'], { cwd: plain });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^ralph: .* is not inside a git repository \(fatal: not a git repository.*\)\. Run `ralph tail-logs` in the repository the loops commit to\.\n$/,
      );
    });
  });
});

describe('the pure parts', () => {
  it.each([
    ['iter-00017_20261121_153012.log', 'logs', { iter: 17, stamp: '20261121_153012' }],
    ['iter-00017_20261121_153412_main.log', 'logs', { iter: 17, stamp: '20261121_153412' }],
    ['iter-00017_20261121_153412_main_2.log', 'logs', { iter: 17, stamp: '20261121_153412' }],
    ['iter-123456_20261121_153412.log', 'logs', { iter: 123456, stamp: '20261121_153412' }],
    ['iter-00017_20261121_153012-summary.md', 'summaries', { iter: 17, stamp: '20261121_153012' }],
    ['iter-00017_20261121_153012_main-summary.md', 'summaries', { iter: 17, stamp: '20261121_153012' }],
    ['iter-00017_20261121_153012-summary.md', 'logs', undefined],
    ['iter-00017_20261121_153012.log', 'summaries', undefined],
    ['iter-17_20261121_153012.log', 'logs', undefined],
    ['iter-00017_20261121.log', 'logs', undefined],
    ['iter-00017_20261121_153012.log.bak', 'logs', undefined],
  ] as const)('parseLogName(%s, %s)', (name, source, expected) => {
    expect(parseLogName(name, source)).toEqual(expected);
  });

  it('newestByIteration keeps the newest file per iteration and role', () => {
    const f = (role: 'galph' | 'ralph', iter: number, stamp: string, name = stamp): LogFile => ({ role, iter, stamp, name });
    const got = newestByIteration([
      f('galph', 1, '20261121_100000'),
      f('galph', 1, '20261121_120000'),
      f('galph', 1, '20261121_110000'),
      f('ralph', 1, '20261120_235959'),
      f('ralph', 2, '20261121_1', 'b'),
      f('ralph', 2, '20261121_1', 'a'),
    ]);
    expect(got.get(1)?.get('galph')?.stamp).toBe('20261121_120000');
    expect(got.get(1)?.get('ralph')?.stamp).toBe('20261120_235959');
    expect(got.get(2)?.get('ralph')?.name).toBe('b');
  });

  it.each([
    [{ count: 3 }, [3, 4, 5]],
    [{ count: 0 }, [1, 2, 3, 4, 5]],
    [{ count: 10 }, [1, 2, 3, 4, 5]],
    [{ count: 2, maxIter: 3 }, [2, 3]],
    [{ count: 0, minIter: 2, maxIter: 4 }, [2, 3, 4]],
    [{ count: 3, minIter: 6 }, []],
  ])('selectIterations(%j)', (o, expected) => {
    expect(selectIterations([5, 1, 4, 2, 3], o)).toEqual(expected);
  });

  it('indexSyncCommits keeps the handoffs per actor and iteration, newest first, with their status', () => {
    const index = indexSyncCommits(
      [
        '9999999\t[SYNC i=5] actor=ralph status=running lease=2026-11-21T15:30:12.000Z',
        'aaaaaaa\t[SYNC i=4] actor=ralph → next=galph status=fail 1111111',
        '8888888\t[SYNC i=4] actor=ralph status=running lease=2026-11-21T15:30:12.000Z',
        'bbbbbbb\t[SYNC i=3] actor=galph → next=ralph status=ok 2222222',
        'ccccccc\t[SYNC i=3] actor=ralph → next=galph status=fail 3333333',
        'ddddddd\t[SYNC i=3] actor=galph → next=ralph status=ok 4444444',
        'eeeeeee\t[SYNC i=30] actor=galphx status=ok',
        'fffffff\tMerge [SYNC i=2] actor=galph',
        '0000000\t[SYNC i=2] actor=ralph',
        '',
      ].join('\n'),
    );
    expect(Object.fromEntries([...index].map(([k, cs]) => [k, cs.map((c) => `${c.sha} ${c.status}`)]))).toEqual({
      'ralph:4': ['aaaaaaa fail'],
      'galph:3': ['bbbbbbb ok', 'ddddddd ok'],
      'ralph:3': ['ccccccc fail'],
      'ralph:2': ['0000000 undefined'],
    });
  });

  const history = indexSyncCommits(
    [
      'r4fail\t[SYNC i=4] actor=ralph → next=galph status=fail x',
      'g4\t[SYNC i=4] actor=galph → next=ralph status=ok x',
      'r3\t[SYNC i=4] actor=ralph → next=galph status=ok x',
      'g3b\t[SYNC i=3] actor=galph → next=ralph status=ok x',
      'r3fail\t[SYNC i=3] actor=ralph → next=galph status=fail x',
      'g3a\t[SYNC i=3] actor=galph → next=ralph status=ok x',
      'r2\t[SYNC i=3] actor=ralph → next=galph status=ok x',
      'r1\t[SYNC i=2] actor=ralph → next=galph status=ok x',
      'old\t[SYNC i=1] actor=ralph x',
    ].join('\n'),
  );
  it.each([
    ['galph', 3, 'g3b'],
    ['galph', 5, undefined],
    ['ralph', 3, 'r3'], // not iteration 4's failure, although it is the newest [SYNC i=4] actor=ralph
    ['ralph', 4, 'r4fail'],
    ['ralph', 5, undefined], // not iteration 4's failure either
    ['ralph', 2, 'r2'],
    ['ralph', 1, 'r1'],
    ['ralph', 0, 'old'], // a subject without a status counts for both readings
  ] as const)('commitFor(%s, %i) is %s', (role, iter, sha) => {
    expect(commitFor(history, role, iter)?.sha).toBe(sha);
  });

  it('parseRoles keeps the order and drops repeats', () => {
    expect(parseRoles('ralph, galph,ralph')).toEqual(['ralph', 'galph']);
    expect(() => parseRoles(' , ')).toThrow(RalphError);
  });

  it.each([
    ['a\n', '  <![CDATA[\na\n  ]]>'],
    ['a', '  <![CDATA[\na\n  ]]>'],
    ['', '  <![CDATA[\n  ]]>'],
    ['x]]>y]]>', '  <![CDATA[\nx]]]]><![CDATA[>y]]]]><![CDATA[>\n  ]]>'],
    ['\u0000\u001b[0m\u000b\t\r\n\uFFFE', '  <![CDATA[\n\uFFFD\uFFFD[0m\uFFFD\t\r\n\uFFFD\n  ]]>'],
  ])('cdata(%j)', (text, expected) => {
    expect(cdata(text, '  ')).toBe(expected);
  });

  it('renderTailLogs escapes attribute values so that a parser reads them back', () => {
    const odd = `a&b<c>"d"'e'\tf\u0001`;
    const xml = renderTailLogs({ prefix: odd, source: 'logs', count: 1 }, [
      { role: 'galph', iter: 7, path: odd, content: 'x', commit: { sha: 'abc', subject: odd }, listings: [{ path: odd, commit: 'abc', names: [odd] }] },
    ]);
    const root = parse(xml);
    const log = children(root, 'log')[0]!;
    const want = odd.replace('\u0001', '\uFFFD');
    expect([root.getAttribute('prefix'), log.getAttribute('path'), log.getAttribute('commit_subject'), children(log, 'ls')[0]!.getAttribute('path')]).toEqual([
      want,
      want,
      want,
      want,
    ]);
  });
});
