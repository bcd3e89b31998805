import { runGit } from '../git/run.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, NotAGitRepositoryError, RalphError, isErrno } from '../errors.js';

export const ROLES = ['galph', 'ralph'] as const;
export type Role = (typeof ROLES)[number];
export const SOURCES = ['logs', 'summaries'] as const;
export type Source = (typeof SOURCES)[number];

export const TAIL_LOGS_DEFAULTS = {
  count: 3,
  source: 'logs' as Source,
  roles: ['galph', 'ralph'] as readonly Role[],
  ls: true,
  lsPaths: ['docs', 'plans', 'reports'] as readonly string[],
  logdir: 'logs',
};

/** Options of {@link tailLogs}; every field but `prefix` defaults to the CLI's default. */
export interface TailLogsOptions {
  /** The branch name with '/' replaced by '-': the directory under `logdir`. */
  prefix: string;
  /** How many of the last matching iterations to print; 0 prints all. Default 3. */
  count?: number;
  minIter?: number;
  maxIter?: number;
  source?: Source;
  /** Which roles to print, in this order within an iteration. */
  roles?: readonly Role[];
  /** Whether to list `lsPaths` at each log's handoff commit. */
  ls?: boolean;
  lsPaths?: readonly string[];
  logdir?: string;
  /** The git repository to run in; default `process.cwd()`. */
  cwd?: string;
}

type Resolved = Required<Omit<TailLogsOptions, 'minIter' | 'maxIter'>> & { minIter?: number; maxIter?: number };

// ---- pure parts ----------------------------------------------------------------------------

/** Defaults filled in and every value checked; throws InputError (exit 2) on bad input. */
export function resolveTailLogsOptions(options: TailLogsOptions): Resolved {
  const o = { ...TAIL_LOGS_DEFAULTS, cwd: process.cwd(), ...stripUndefined(options) };
  if (o.prefix === '' || o.prefix === '.' || o.prefix === '..' || o.prefix.includes('/')) {
    throw new InputError(
      `Expected PREFIX to be a branch name with '/' replaced by '-' (e.g. \`${o.prefix.replaceAll('/', '-') || 'feature-x'}\`), got \`${o.prefix}\`.`,
    );
  }
  for (const [flag, value] of [
    ['--count', o.count],
    ['--min-iter', o.minIter],
    ['--max-iter', o.maxIter],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
      throw new InputError(`Expected ${flag} to be a non-negative integer, got \`${value}\`.`);
  }
  if (o.minIter !== undefined && o.maxIter !== undefined && o.minIter > o.maxIter) {
    throw new InputError(`Expected --min-iter (${o.minIter}) to be at most --max-iter (${o.maxIter}).`);
  }
  if (!SOURCES.includes(o.source)) throw new InputError(`Expected --source to be logs or summaries, got \`${o.source}\`.`);
  return { ...o, roles: parseRoles(o.roles.join(',')), lsPaths: o.lsPaths.filter((p) => p !== '') };
}

/** "ralph,galph" → ['ralph', 'galph']; unknown or no roles are an InputError. Repeats are dropped. */
export function parseRoles(text: string): Role[] {
  const names = parseList(text);
  const bad = names.find((n) => !(ROLES as readonly string[]).includes(n));
  if (names.length === 0 || bad !== undefined) throw new InputError(`Expected --roles to be a comma-separated list of galph and ralph, got \`${text}\`.`);
  return [...new Set(names as Role[])];
}

export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface LogFile {
  role: Role;
  iter: number;
  /** `YYYYMMDD_HHMMSS` from the name; sorts by time as a string. */
  stamp: string;
  name: string;
}

const NAME = {
  logs: /^iter-(\d{5,})_(\d{8}_\d{6})(?:_.+)?\.log$/,
  summaries: /^iter-(\d{5,})_(\d{8}_\d{6})(?:_.+)?-summary\.md$/,
} as const;

/** `iter-00017_20261121_153412_main.log` → { iter: 17, stamp: '20261121_153412' }; other names → undefined. */
export function parseLogName(name: string, source: Source): { iter: number; stamp: string } | undefined {
  const m = NAME[source].exec(name);
  return m ? { iter: Number.parseInt(m[1]!, 10), stamp: m[2]! } : undefined;
}

/** The newest file (by the time in its name, then by name) per iteration and role. */
export function newestByIteration(files: readonly LogFile[]): Map<number, Map<Role, LogFile>> {
  const out = new Map<number, Map<Role, LogFile>>();
  for (const f of files) {
    const roles = out.get(f.iter) ?? new Map<Role, LogFile>();
    out.set(f.iter, roles);
    const seen = roles.get(f.role);
    if (!seen || f.stamp > seen.stamp || (f.stamp === seen.stamp && f.name > seen.name)) roles.set(f.role, f);
  }
  return out;
}

/** Ascending iterations within [minIter, maxIter], then the last `count` of them (0 = all). */
export function selectIterations(available: Iterable<number>, o: { count: number; minIter?: number | undefined; maxIter?: number | undefined }): number[] {
  const inRange = [...available]
    .filter((i) => (o.minIter === undefined || i >= o.minIter) && (o.maxIter === undefined || i <= o.maxIter))
    .sort((a, b) => a - b);
  return o.count === 0 ? inRange : inRange.slice(-o.count);
}

export interface SyncCommit {
  sha: string;
  subject: string;
  /** `ok` or `fail` from the subject; undefined when it says neither. */
  status?: 'ok' | 'fail' | undefined;
}

const SYNC_SUBJECT = /^\[SYNC i=(\d+)\] actor=(galph|ralph)(?:\s|$)/;
const SYNC_STATUS = /\sstatus=(ok|fail)(?:\s|$)/;

/** `git log --format=%h%x09%s` output (newest first) → the handoff commits per `actor:i`, newest first. */
export function indexSyncCommits(gitLog: string): Map<string, SyncCommit[]> {
  const index = new Map<string, SyncCommit[]>();
  for (const line of gitLog.split('\n')) {
    const tab = line.indexOf('\t');
    const subject = line.slice(tab + 1);
    const m = tab > 0 ? SYNC_SUBJECT.exec(subject) : null;
    // Marking a turn running and renewing its lease are not handoffs.
    if (!m || / status=running(?:\s|$)/.test(subject)) continue;
    const key = `${m[2]}:${Number.parseInt(m[1]!, 10)}`;
    const status = SYNC_STATUS.exec(subject)?.[1] as SyncCommit['status'];
    index.set(key, [...(index.get(key) ?? []), { sha: line.slice(0, tab), subject, status }]);
  }
  return index;
}

// A galph log is annotated by its own handoff; a ralph log by the one that advanced to i+1 (success) or else
// by its failure at i. A status=fail at i+1 is iteration i+1's failure, a status=ok at i iteration i-1's success.
export function commitFor(index: ReadonlyMap<string, readonly SyncCommit[]>, role: Role, iter: number): SyncCommit | undefined {
  if (role === 'galph') return index.get(`galph:${iter}`)?.[0];
  return index.get(`ralph:${iter + 1}`)?.find((c) => c.status !== 'fail') ?? index.get(`ralph:${iter}`)?.find((c) => c.status !== 'ok');
}

export interface Listing {
  path: string;
  commit: string;
  names: readonly string[];
}

export interface LogEntry {
  role: Role;
  iter: number;
  path: string;
  content: string;
  commit?: SyncCommit | undefined;
  listings: readonly Listing[];
}

// Characters XML 1.0 does not allow at all, not even as references.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

export function xmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

export function xmlAttr(value: string): string {
  return xmlChars(value).replace(/[&<>"'\t\n\r]/g, (c) => ENTITY[c]!);
}

// Content goes in verbatim from column 0; a final newline is added when missing so `]]>` sits on its own line.
export function cdata(text: string, indent: string): string {
  const body = xmlChars(text).replaceAll(']]>', ']]]]><![CDATA[>');
  return `${indent}<![CDATA[\n${body}${body === '' || body.endsWith('\n') ? '' : '\n'}${indent}]]>`;
}

/** The whole document, without a final newline. */
export function renderTailLogs(head: { prefix: string; source: Source; count: number }, entries: readonly LogEntry[]): string {
  const summary = head.source === 'summaries';
  const lines = [`<logs prefix="${xmlAttr(head.prefix)}" count="${head.count}" source="${head.source}">`];
  for (const e of entries) {
    const commit = e.commit ? ` commit="${xmlAttr(e.commit.sha)}" commit_subject="${xmlAttr(e.commit.subject)}"` : '';
    lines.push(
      `  <log role="${e.role}" iter="${e.iter}" path="${xmlAttr(e.path)}" source="${summary ? 'summary' : 'log'}" format="${summary ? 'markdown' : 'text'}"${commit}>`,
    );
    lines.push(cdata(e.content, '    '));
    for (const l of e.listings) {
      lines.push(`    <ls path="${xmlAttr(l.path)}" commit="${xmlAttr(l.commit)}">`, cdata(l.names.join('\n'), '      '), '    </ls>');
    }
    lines.push('  </log>');
  }
  lines.push('</logs>');
  return lines.join('\n');
}

// ---- the edges: files and git ------------------------------------------------------------------

/**
 * The last iterations' supervisor (galph) and engineer (ralph) logs or summaries under
 * `<logdir>/<prefix>/`, as an XML document, each log with its handoff commit and a listing of
 * `lsPaths` at that commit. Throws RalphError (exit 2) on bad options, outside a git repository,
 * or when `<logdir>/<prefix>` does not exist.
 */
export function tailLogs(options: TailLogsOptions): string {
  const o = resolveTailLogsOptions(options);
  assertGitRepository(o.cwd);
  assertPrefixDir(o.cwd, o.logdir, o.prefix);
  const byIter = newestByIteration(o.roles.flatMap((role) => listLogFiles(o, role)));
  const iters = selectIterations(byIter.keys(), o);
  const commits = iters.length > 0 ? readSyncCommits(o.cwd) : new Map<string, SyncCommit[]>();
  const listed = new Map<string, Listing | undefined>();
  const listing = (commit: string, path: string): Listing | undefined => {
    const key = `${commit}\0${path}`;
    if (!listed.has(key)) {
      const names = lsTree(o.cwd, commit, path);
      listed.set(key, names.length > 0 ? { path, commit, names } : undefined);
    }
    return listed.get(key);
  };
  const entries = iters.flatMap((iter) =>
    o.roles.flatMap((role): LogEntry[] => {
      const file = byIter.get(iter)?.get(role);
      if (!file) return [];
      const dir = roleDir(o, role);
      const commit = commitFor(commits, role, iter);
      const listings = commit && o.ls ? o.lsPaths.flatMap((p) => listing(commit.sha, p) ?? []) : [];
      return [{ role, iter, path: join(dir, file.name), content: readFileSync(resolve(o.cwd, dir, file.name), 'utf8'), commit, listings }];
    }),
  );
  return renderTailLogs({ prefix: o.prefix, source: o.source, count: iters.length }, entries);
}

function roleDir(o: Resolved, role: Role): string {
  return join(o.logdir, o.prefix, o.source === 'logs' ? role : `${role}-summaries`);
}

function listLogFiles(o: Resolved, role: Role): LogFile[] {
  const names = listDir(resolve(o.cwd, roleDir(o, role)), false) ?? [];
  return names.flatMap((name) => {
    const parsed = parseLogName(name, o.source);
    return parsed ? [{ role, name, ...parsed }] : [];
  });
}

// The names of the directories (or of the other entries) in `dir`; undefined when it is not a directory.
function listDir(dir: string, directories: boolean): string[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter(
        (d) => (d.isDirectory() || (d.isSymbolicLink() && statSync(join(dir, d.name), { throwIfNoEntry: false })?.isDirectory() === true)) === directories,
      )
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}

function assertPrefixDir(cwd: string, logdir: string, prefix: string): void {
  if (statSync(resolve(cwd, logdir, prefix), { throwIfNoEntry: false })?.isDirectory()) return;
  const prefixes = listDir(resolve(cwd, logdir), true);
  if (prefixes === undefined) throw new InputError(`No log directory ${logdir} in ${cwd}: run in the repository the loops write to, or pass --logdir PATH.`);
  throw new InputError(
    `No logs for prefix \`${prefix}\`: ${join(logdir, prefix)} is not a directory. Prefixes under ${logdir}: ${prefixes.join(', ') || '(none)'}.`,
  );
}

function git(cwd: string, args: readonly string[]): string {
  const r = runGit(cwd, args, { maxBuffer: 256 * 1024 * 1024 });
  if (r.code === 0) return r.stdout;
  const stderr = r.stderr.trim().split('\n')[0] ?? '';
  throw new RalphError('RALPH_GIT_FAILED', `\`git ${args.join(' ')}\` failed in ${cwd}: ${stderr || `exit ${r.code}`}`, { exitCode: 1 });
}

function assertGitRepository(cwd: string): void {
  const r = runGit(cwd, ['rev-parse', '--git-dir']);
  if (r.code !== 0) throw new NotAGitRepositoryError(cwd, r.stderr.trim().split('\n')[0] ?? '', 'Run `ralph tail-logs` in the repository the loops commit to.');
}

// One `git log` for every handoff subject on HEAD's history; --grep only narrows what git prints.
function readSyncCommits(cwd: string): Map<string, SyncCommit[]> {
  try {
    return indexSyncCommits(git(cwd, ['-c', 'log.showSignature=false', 'log', '--format=%h%x09%s', '--grep=^\\[SYNC i=', 'HEAD', '--']));
  } catch (error) {
    if (!hasHead(cwd)) return new Map();
    throw error;
  }
}

function hasHead(cwd: string): boolean {
  try {
    git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD']);
    return true;
  } catch {
    return false;
  }
}

// -z: names come unquoted, as they are, whatever core.quotePath says.
function lsTree(cwd: string, commit: string, path: string): string[] {
  return git(cwd, ['ls-tree', '-r', '-z', '--name-only', commit, '--', path])
    .split('\0')
    .filter((n) => n !== '');
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
