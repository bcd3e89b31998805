import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DOCS_WHITELIST,
  DEFAULT_REPORT_EXTENSIONS,
  DEFAULT_TRACKED_OUTPUT_EXTENSIONS,
  DEFAULT_TRACKED_OUTPUT_GLOBS,
  parseExtensions,
  parseList,
  planAutoCommit,
} from '../../src/loops/policies.js';
import type { ChangedFile, CommitPlan, DocsPolicy, FileState, PolicyOptions, ReportsPolicy, TrackedOutputsPolicy } from '../../src/loops/policies.js';

const MiB = 1_048_576;
const file = (path: string, state: FileState = 'modified', bytes = 100): ChangedFile => ({ path, state, bytes });
const outputs = (over: Partial<TrackedOutputsPolicy> = {}): TrackedOutputsPolicy => ({
  enabled: true,
  globs: DEFAULT_TRACKED_OUTPUT_GLOBS,
  extensions: DEFAULT_TRACKED_OUTPUT_EXTENSIONS,
  maxFileBytes: 1000,
  maxTotalBytes: 2500,
  ...over,
});
const docs = (over: Partial<DocsPolicy> = {}): DocsPolicy => ({ enabled: true, whitelist: DEFAULT_DOCS_WHITELIST, maxBytes: 1000, ...over });
const reports = (over: Partial<ReportsPolicy> = {}): ReportsPolicy => ({
  enabled: true,
  extensions: DEFAULT_REPORT_EXTENSIONS,
  pathGlobs: [],
  maxFileBytes: 1000,
  maxTotalBytes: 2500,
  forceAdd: true,
  ...over,
});
const plan = (over: Partial<CommitPlan> = {}): CommitPlan => ({
  trackedOutputs: [],
  docs: [],
  reports: [],
  forceAdd: [],
  skipped: [],
  violations: [],
  ...over,
});
const skip = (path: string, why: string) => ({ path, why });

type Case = [string, ChangedFile[], PolicyOptions, CommitPlan];

describe('planAutoCommit: tracked outputs', () => {
  it.each<Case>([
    ['takes a modified fixture', [file('tests/fixtures/a.npy')], { trackedOutputs: outputs() }, plan({ trackedOutputs: ['tests/fixtures/a.npy'] })],
    ['expands the brace glob to .npz', [file('tests/fixtures/a.npz')], { trackedOutputs: outputs() }, plan({ trackedOutputs: ['tests/fixtures/a.npz'] })],
    ['expands the brace glob to .json', [file('tests/fixtures/a.json')], { trackedOutputs: outputs() }, plan({ trackedOutputs: ['tests/fixtures/a.json'] })],
    ['expands the brace glob to .pkl', [file('tests/fixtures/a.pkl')], { trackedOutputs: outputs() }, plan({ trackedOutputs: ['tests/fixtures/a.pkl'] })],
    ['takes a fixture nested deep', [file('tests/fixtures/x/y/z.npz')], { trackedOutputs: outputs() }, plan({ trackedOutputs: ['tests/fixtures/x/y/z.npz'] })],
    [
      'takes a fixture under a dot directory',
      [file('tests/fixtures/.cache/a.npy')],
      { trackedOutputs: outputs() },
      plan({ trackedOutputs: ['tests/fixtures/.cache/a.npy'] }),
    ],
    ['leaves an untracked fixture alone', [file('tests/fixtures/a.npy', 'untracked')], { trackedOutputs: outputs() }, plan()],
    ['does not take an added fixture', [file('tests/fixtures/a.npy', 'added')], { trackedOutputs: outputs() }, plan({ violations: ['tests/fixtures/a.npy'] })],
    [
      'does not take a deleted fixture',
      [file('tests/fixtures/a.npy', 'deleted', 0)],
      { trackedOutputs: outputs() },
      plan({ violations: ['tests/fixtures/a.npy'] }),
    ],
    ['does not take an ignored fixture', [file('tests/fixtures/a.npy', 'ignored')], { trackedOutputs: outputs() }, plan()],
    ['does not take a file outside the globs', [file('tests/other/a.npy')], { trackedOutputs: outputs() }, plan({ violations: ['tests/other/a.npy'] })],
    [
      'does not take a matching path whose extension is not listed',
      [file('tests/fixtures/notes.md')],
      { trackedOutputs: outputs({ globs: ['tests/fixtures/**'] }) },
      plan({ violations: ['tests/fixtures/notes.md'] }),
    ],
    [
      'needs the extension even when the glob matches it',
      [file('tests/fixtures/a.pkl')],
      { trackedOutputs: outputs({ extensions: ['.npy'] }) },
      plan({ violations: ['tests/fixtures/a.pkl'] }),
    ],
    [
      'compares the extension in lower case',
      [file('tests/fixtures/A.NPY')],
      { trackedOutputs: outputs({ globs: ['tests/fixtures/**'] }) },
      plan({ trackedOutputs: ['tests/fixtures/A.NPY'] }),
    ],
    ['takes nothing with no globs', [file('tests/fixtures/a.npy')], { trackedOutputs: outputs({ globs: [] }) }, plan({ violations: ['tests/fixtures/a.npy'] })],
    [
      'takes a file exactly at the per-file cap',
      [file('tests/fixtures/a.npy', 'modified', 1000)],
      { trackedOutputs: outputs() },
      plan({ trackedOutputs: ['tests/fixtures/a.npy'] }),
    ],
    [
      'skips a file over the per-file cap, which stays a violation',
      [file('tests/fixtures/a.npy', 'modified', 1001)],
      { trackedOutputs: outputs() },
      plan({
        skipped: [skip('tests/fixtures/a.npy', '1001 bytes > --max-tracked-output-file-bytes 1000')],
        violations: ['tests/fixtures/a.npy'],
      }),
    ],
    [
      'does nothing when disabled',
      [file('tests/fixtures/a.npy')],
      { trackedOutputs: outputs({ enabled: false }) },
      plan({ violations: ['tests/fixtures/a.npy'] }),
    ],
  ])('%s', (_what, files, options, expected) => {
    expect(planAutoCommit(files, options)).toEqual(expected);
  });

  it('fills the total cap in path order, skipping a file that would pass it but taking a later smaller one', () => {
    const files = [
      file('tests/fixtures/d.npy', 'modified', 400),
      file('tests/fixtures/c.npy', 'modified', 1000),
      file('tests/fixtures/a.npy', 'modified', 1000),
      file('tests/fixtures/b.npy', 'modified', 1000),
    ];
    expect(planAutoCommit(files, { trackedOutputs: outputs() })).toEqual(
      plan({
        trackedOutputs: ['tests/fixtures/a.npy', 'tests/fixtures/b.npy', 'tests/fixtures/d.npy'],
        skipped: [skip('tests/fixtures/c.npy', '1000 bytes would bring the total to 3000 > --max-tracked-output-total-bytes 2500')],
        violations: ['tests/fixtures/c.npy'],
      }),
    );
  });

  it('does not count a file skipped for the per-file cap towards the total', () => {
    const files = [
      file('tests/fixtures/a.npy', 'modified', 1001),
      file('tests/fixtures/b.npy', 'modified', 1000),
      file('tests/fixtures/c.npy', 'modified', 1000),
    ];
    expect(planAutoCommit(files, { trackedOutputs: outputs({ maxTotalBytes: 2000 }) }).trackedOutputs).toEqual([
      'tests/fixtures/b.npy',
      'tests/fixtures/c.npy',
    ]);
  });
});

describe('planAutoCommit: docs whitelist', () => {
  it.each([
    'input.md',
    'galph_memory.md',
    'docs/fix_plan.md',
    'plans/x.md',
    'plans/a/b/c.md',
    'prompts/main.md',
    'prompts/sub/debug.md',
    'plans/.drafts/x.md',
    'prompts/.hidden.md',
  ])('takes the whitelisted %s', (path) => {
    expect(planAutoCommit([file(path)], { docs: docs() })).toEqual(plan({ docs: [path] }));
  });

  it.each<[FileState]>([['modified'], ['added'], ['deleted'], ['untracked']])('takes a whitelisted file that is %s', (state) => {
    expect(planAutoCommit([file('plans/x.md', state)], { docs: docs() })).toEqual(plan({ docs: ['plans/x.md'] }));
  });

  it.each<Case>([
    ['ignores an ignored whitelisted file without listing it as skipped', [file('plans/x.md', 'ignored')], { docs: docs() }, plan()],
    ['does not take a markdown file outside the whitelist', [file('docs/other.md')], { docs: docs() }, plan({ violations: ['docs/other.md'] })],
    ['does not take a non-markdown file under plans/', [file('plans/x.txt')], { docs: docs() }, plan({ violations: ['plans/x.txt'] })],
    ['matches input.md only at the root', [file('sub/input.md')], { docs: docs() }, plan({ violations: ['sub/input.md'] })],
    ['matches a dotfile glob', [file('.github/notes.md')], { docs: docs({ whitelist: ['.github/*.md'] }) }, plan({ docs: ['.github/notes.md'] })],
    [
      'expands a brace glob',
      [file('docs/b.md'), file('docs/c.md')],
      { docs: docs({ whitelist: ['docs/{a,b}.md'] }) },
      plan({ docs: ['docs/b.md'], violations: ['docs/c.md'] }),
    ],
    ['takes a file exactly at the cap', [file('input.md', 'modified', 1000)], { docs: docs() }, plan({ docs: ['input.md'] })],
    [
      'skips a file over the cap, which stays a violation',
      [file('input.md', 'modified', 1001)],
      { docs: docs() },
      plan({
        skipped: [skip('input.md', '1001 bytes > --max-autocommit-bytes 1000')],
        violations: ['input.md'],
      }),
    ],
    [
      'skips an untracked file over the cap without a violation',
      [file('plans/new.md', 'untracked', 5000)],
      { docs: docs() },
      plan({
        skipped: [skip('plans/new.md', '5000 bytes > --max-autocommit-bytes 1000')],
      }),
    ],
    ['always fits a deleted file', [file('plans/old.md', 'deleted', 5000)], { docs: docs() }, plan({ docs: ['plans/old.md'] })],
    [
      'has no total cap',
      [file('plans/a.md', 'modified', 1000), file('plans/b.md', 'modified', 1000), file('plans/c.md', 'modified', 1000)],
      { docs: docs() },
      plan({
        docs: ['plans/a.md', 'plans/b.md', 'plans/c.md'],
      }),
    ],
    ['takes nothing with an empty whitelist', [file('input.md')], { docs: docs({ whitelist: [] }) }, plan({ violations: ['input.md'] })],
    ['does nothing when disabled', [file('input.md')], { docs: docs({ enabled: false }) }, plan({ violations: ['input.md'] })],
  ])('%s', (_what, files, options, expected) => {
    expect(planAutoCommit(files, options)).toEqual(expected);
  });
});

describe('planAutoCommit: reports', () => {
  it.each(DEFAULT_REPORT_EXTENSIONS)('takes an untracked %s file by default', (extension) => {
    const path = `reports/evidence${extension}`;
    expect(planAutoCommit([file(path, 'untracked')], { reports: reports() })).toEqual(plan({ reports: [path] }));
  });

  it.each<[FileState]>([['untracked'], ['modified'], ['added']])('takes a report that is %s', (state) => {
    expect(planAutoCommit([file('out/plot.png', state)], { reports: reports() })).toEqual(plan({ reports: ['out/plot.png'] }));
  });

  it.each<Case>([
    [
      'does not take a deleted report, which is a violation',
      [file('out/plot.png', 'deleted', 0)],
      { reports: reports() },
      plan({ violations: ['out/plot.png'] }),
    ],
    [
      'force-adds an ignored report when forceAdd is on',
      [file('out/plot.png', 'ignored')],
      { reports: reports() },
      plan({ reports: ['out/plot.png'], forceAdd: ['out/plot.png'] }),
    ],
    [
      'skips an ignored report when forceAdd is off',
      [file('out/plot.png', 'ignored')],
      { reports: reports({ forceAdd: false }) },
      plan({
        skipped: [skip('out/plot.png', 'ignored by git and --force-add-reports is off')],
      }),
    ],
    ['does not list an ignored file of another type as skipped', [file('build/app.o', 'ignored')], { reports: reports({ forceAdd: false }) }, plan()],
    [
      'force-adds only the ignored ones',
      [file('b.png', 'ignored'), file('a.png', 'untracked')],
      { reports: reports() },
      plan({ reports: ['a.png', 'b.png'], forceAdd: ['b.png'] }),
    ],
    ['leaves an untracked file of another type alone', [file('out/data.csv', 'untracked')], { reports: reports() }, plan()],
    ['does not take a modified file of another type', [file('src/app.ts')], { reports: reports() }, plan({ violations: ['src/app.ts'] })],
    ['compares the extension in lower case', [file('out/PLOT.PNG', 'untracked')], { reports: reports() }, plan({ reports: ['out/PLOT.PNG'] })],
    [
      'accepts extensions given without a dot or in upper case',
      [file('out/plot.png', 'untracked')],
      { reports: reports({ extensions: ['PNG'] }) },
      plan({ reports: ['out/plot.png'] }),
    ],
    [
      'takes the extension from the last dot',
      [file('out/archive.tar.json', 'untracked'), file('out/v1.2/data', 'untracked')],
      { reports: reports() },
      plan({ reports: ['out/archive.tar.json'] }),
    ],
    ['takes a dotfile that has an extension', [file('.eslintrc.json', 'untracked')], { reports: reports() }, plan({ reports: ['.eslintrc.json'] })],
    ['reads a bare dotfile as having no extension', [file('.env', 'untracked')], { reports: reports({ extensions: ['.env'] }) }, plan()],
    ['skips logs/ silently', [file('logs/run.log', 'untracked', 99_999), file('logs/old.log', 'ignored')], { reports: reports({ forceAdd: false }) }, plan()],
    ['skips tmp/ silently', [file('tmp/scratch.txt', 'untracked'), file('tmp/big.npy', 'ignored', 99_999)], { reports: reports() }, plan()],
    ['still counts a tracked change under logs/ as a violation', [file('logs/keep.log')], { reports: reports() }, plan({ violations: ['logs/keep.log'] })],
    [
      'skips logs/ and tmp/ only at the root',
      [file('reports/logs/run.log', 'untracked'), file('logsx/a.log', 'untracked'), file('tmpfile.txt', 'untracked')],
      { reports: reports() },
      plan({
        reports: ['logsx/a.log', 'reports/logs/run.log', 'tmpfile.txt'],
      }),
    ],
    ['skips logs/ and tmp/ even when a path glob names them', [file('logs/run.log', 'untracked')], { reports: reports({ pathGlobs: ['logs/**'] }) }, plan()],
    [
      'takes only paths matching the path globs',
      [file('reports/a.png', 'untracked'), file('other/a.png', 'untracked')],
      { reports: reports({ pathGlobs: ['reports/**'] }) },
      plan({ reports: ['reports/a.png'] }),
    ],
    [
      'expands a brace path glob',
      [file('plots/a.png', 'untracked'), file('reports/b.png', 'untracked'), file('other/c.png', 'untracked')],
      { reports: reports({ pathGlobs: ['{reports,plots}/**'] }) },
      plan({
        reports: ['plots/a.png', 'reports/b.png'],
      }),
    ],
    [
      'matches dot directories with the path globs',
      [file('reports/.cache/a.json', 'untracked')],
      { reports: reports({ pathGlobs: ['reports/**'] }) },
      plan({ reports: ['reports/.cache/a.json'] }),
    ],
    ['still needs a listed extension inside the path globs', [file('reports/a.csv', 'untracked')], { reports: reports({ pathGlobs: ['reports/**'] }) }, plan()],
    [
      'skips a report over the per-file cap',
      [file('out/huge.npy', 'untracked', 7_340_032)],
      { reports: reports({ maxFileBytes: 5 * MiB, maxTotalBytes: 20 * MiB }) },
      plan({
        skipped: [skip('out/huge.npy', '7340032 bytes > --max-report-file-bytes 5242880')],
      }),
    ],
    [
      'skips a modified report over the cap, which stays a violation',
      [file('out/plot.png', 'modified', 1001)],
      { reports: reports() },
      plan({
        skipped: [skip('out/plot.png', '1001 bytes > --max-report-file-bytes 1000')],
        violations: ['out/plot.png'],
      }),
    ],
    [
      'does not force-add an ignored report over the cap',
      [file('out/plot.png', 'ignored', 1001)],
      { reports: reports() },
      plan({
        skipped: [skip('out/plot.png', '1001 bytes > --max-report-file-bytes 1000')],
      }),
    ],
    [
      'does nothing when disabled',
      [file('out/plot.png', 'untracked'), file('out/x.png')],
      { reports: reports({ enabled: false }) },
      plan({ violations: ['out/x.png'] }),
    ],
  ])('%s', (_what, files, options, expected) => {
    expect(planAutoCommit(files, options)).toEqual(expected);
  });

  it('fills the total cap in path order, skipping a file that would pass it but taking a later smaller one', () => {
    const files = [file('r/d.txt', 'untracked', 400), file('r/c.txt', 'untracked', 1000), file('r/b.txt', 'ignored', 1000), file('r/a.txt', 'untracked', 1000)];
    expect(planAutoCommit(files, { reports: reports() })).toEqual(
      plan({
        reports: ['r/a.txt', 'r/b.txt', 'r/d.txt'],
        forceAdd: ['r/b.txt'],
        skipped: [skip('r/c.txt', '1000 bytes would bring the total to 3000 > --max-report-total-bytes 2500')],
      }),
    );
  });
});

describe('planAutoCommit: order of the policies', () => {
  const all = (over: { trackedOutputs?: Partial<TrackedOutputsPolicy>; docs?: Partial<DocsPolicy>; reports?: Partial<ReportsPolicy> } = {}): PolicyOptions => ({
    trackedOutputs: outputs(over.trackedOutputs),
    docs: docs(over.docs),
    reports: reports(over.reports),
  });

  it.each<Case>([
    [
      'a modified fixture .json goes to tracked outputs, not reports',
      [file('tests/fixtures/a.json')],
      all(),
      plan({ trackedOutputs: ['tests/fixtures/a.json'] }),
    ],
    ['an untracked fixture .json goes to reports', [file('tests/fixtures/a.json', 'untracked')], all(), plan({ reports: ['tests/fixtures/a.json'] })],
    ['an added fixture .json goes to reports', [file('tests/fixtures/a.json', 'added')], all(), plan({ reports: ['tests/fixtures/a.json'] })],
    ['a whitelisted markdown file goes to docs, not reports', [file('plans/x.md', 'untracked')], all(), plan({ docs: ['plans/x.md'] })],
    [
      'a whitelisted .md under tests/fixtures goes to docs',
      [file('tests/fixtures/plans.md')],
      all({ docs: { whitelist: ['tests/**/*.md'] }, trackedOutputs: { globs: ['tests/**'] } }),
      plan({ docs: ['tests/fixtures/plans.md'] }),
    ],
    [
      'a fixture over the tracked-output cap but within the report cap goes to reports and is not listed as skipped',
      [file('tests/fixtures/a.json', 'modified', 2000)],
      all({ reports: { maxFileBytes: 5000 } }),
      plan({
        reports: ['tests/fixtures/a.json'],
      }),
    ],
    [
      'a fixture over both caps is skipped twice, in policy order, and is a violation',
      [file('tests/fixtures/a.json', 'modified', 6000)],
      all({ reports: { maxFileBytes: 5000 } }),
      plan({
        skipped: [
          skip('tests/fixtures/a.json', '6000 bytes > --max-tracked-output-file-bytes 1000'),
          skip('tests/fixtures/a.json', '6000 bytes > --max-report-file-bytes 5000'),
        ],
        violations: ['tests/fixtures/a.json'],
      }),
    ],
    [
      'a doc over the docs cap may still be a report',
      [file('plans/big.md', 'untracked', 1500)],
      all({ reports: { maxFileBytes: 2000 } }),
      plan({ reports: ['plans/big.md'] }),
    ],
    [
      'each policy has its own total',
      [
        file('tests/fixtures/a.npy', 'modified', 1000),
        file('tests/fixtures/b.npy', 'modified', 1000),
        file('r/a.txt', 'untracked', 1000),
        file('r/b.txt', 'untracked', 1000),
      ],
      all(),
      plan({
        trackedOutputs: ['tests/fixtures/a.npy', 'tests/fixtures/b.npy'],
        reports: ['r/a.txt', 'r/b.txt'],
      }),
    ],
  ])('%s', (_what, files, options, expected) => {
    expect(planAutoCommit(files, options)).toEqual(expected);
  });
});

describe('planAutoCommit: violations', () => {
  it.each<Case>([
    ['nothing changed', [], {}, plan()],
    [
      'with no policies every dirty tracked file is a violation',
      [file('c.ts', 'deleted', 0), file('b.ts', 'added'), file('a.ts')],
      {},
      plan({ violations: ['a.ts', 'b.ts', 'c.ts'] }),
    ],
    ['untracked and ignored files are never violations', [file('new.ts', 'untracked'), file('dist/x.js', 'ignored')], {}, plan()],
    [
      'absent policies take nothing',
      [file('input.md'), file('tests/fixtures/a.npy'), file('out/plot.png')],
      {},
      plan({ violations: ['input.md', 'out/plot.png', 'tests/fixtures/a.npy'] }),
    ],
  ])('%s', (_what, files, options, expected) => {
    expect(planAutoCommit(files, options)).toEqual(expected);
  });

  it('sorts a mixed run into every bucket, each sorted by path', () => {
    const files = [
      file('src/z.ts'),
      file('tmp/out.txt', 'untracked'),
      file('tests/fixtures/b.npz'),
      file('reports/z.png', 'untracked'),
      file('reports/big.npy', 'untracked', 2000),
      file('prompts/main.md'),
      file('reports/a.log', 'ignored'),
      file('input.md'),
      file('tests/fixtures/a.npy'),
      file('src/a.ts', 'deleted', 0),
      file('node_modules/x.js', 'ignored'),
    ];
    expect(planAutoCommit(files, { trackedOutputs: outputs(), docs: docs(), reports: reports() })).toEqual({
      trackedOutputs: ['tests/fixtures/a.npy', 'tests/fixtures/b.npz'],
      docs: ['input.md', 'prompts/main.md'],
      reports: ['reports/a.log', 'reports/z.png'],
      forceAdd: ['reports/a.log'],
      skipped: [skip('reports/big.npy', '2000 bytes > --max-report-file-bytes 1000')],
      violations: ['src/a.ts', 'src/z.ts'],
    });
  });

  it('sorts by code unit, not by locale', () => {
    expect(planAutoCommit([file('b.ts'), file('B.ts'), file('a.ts')], {}).violations).toEqual(['B.ts', 'a.ts', 'b.ts']);
  });

  it('leaves its input untouched', () => {
    const files = Object.freeze([file('b.png', 'untracked'), file('a.png', 'untracked')]);
    planAutoCommit(files as ChangedFile[], { reports: reports() });
    expect(files.map((f) => f.path)).toEqual(['b.png', 'a.png']);
  });
});

describe('parseList', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['   ', []],
    [',', []],
    [' , ,', []],
    ['a', ['a']],
    ['a,b , c', ['a', 'b', 'c']],
    ['a,,b,', ['a', 'b']],
    ['  plans/**/*.md ,input.md', ['plans/**/*.md', 'input.md']],
    ['tests/fixtures/**/*.{npy,npz,json,pkl}', ['tests/fixtures/**/*.{npy,npz,json,pkl}']],
    ['a/*.{x,y},b/{c,{d,e}}/*.md', ['a/*.{x,y}', 'b/{c,{d,e}}/*.md']],
    ['a},b', ['a}', 'b']],
  ])('parses %j', (text, expected) => {
    expect(parseList(text)).toEqual(expected);
  });
});

describe('parseExtensions', () => {
  it.each<[string, string[]]>([
    ['', []],
    [' , ', []],
    ['.png', ['.png']],
    ['png', ['.png']],
    ['PNG, .Jpeg ,npy', ['.png', '.jpeg', '.npy']],
    ['.png,.jpeg,.npy,.txt,.md,.json,.log,.py,.c,.h,.sh', DEFAULT_REPORT_EXTENSIONS],
    ['.npy,.npz,.json,.pkl', DEFAULT_TRACKED_OUTPUT_EXTENSIONS],
  ])('parses %j', (text, expected) => {
    expect(parseExtensions(text)).toEqual(expected);
  });
});
