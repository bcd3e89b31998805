import picomatch from 'picomatch';

/** How `git status` sees a file in the working tree. */
export type FileState = 'modified' | 'added' | 'deleted' | 'untracked' | 'ignored';

/** One changed file: `path` is relative to the repo root with `/`; `bytes` is its size in the working tree (0 if deleted). */
export interface ChangedFile {
  path: string;
  state: FileState;
  bytes: number;
}

/** Doc/meta whitelist (`--auto-commit-docs`, `--autocommit-whitelist`, `--max-autocommit-bytes`). */
export interface DocsPolicy {
  enabled: boolean;
  whitelist: string[];
  maxBytes: number;
}

/** Evidence by file type (`--auto-commit-reports`, `--report-extensions`, `--report-path-globs`, `--max-report-*-bytes`, `--force-add-reports`). */
export interface ReportsPolicy {
  enabled: boolean;
  extensions: string[];
  pathGlobs: string[];
  maxFileBytes: number;
  maxTotalBytes: number;
  forceAdd: boolean;
}

/** Regenerated tracked artifacts (`--auto-commit-tracked-outputs`, `--tracked-output-globs`, `--tracked-output-extensions`, `--max-tracked-output-*-bytes`). */
export interface TrackedOutputsPolicy {
  enabled: boolean;
  globs: string[];
  extensions: string[];
  maxFileBytes: number;
  maxTotalBytes: number;
}

/** The policies an actor uses; an absent policy is not used by this actor. */
export interface PolicyOptions {
  docs?: DocsPolicy;
  reports?: ReportsPolicy;
  trackedOutputs?: TrackedOutputsPolicy;
}

/** What to stage and commit after an agent run, and what blocks the handoff. Every array is sorted by path. */
export interface CommitPlan {
  trackedOutputs: string[];
  docs: string[];
  reports: string[];
  /** files among `reports` that git ignores and need `git add -f` */
  forceAdd: string[];
  /** Files a policy could have taken but did not and no later policy took, with a reason naming the cap or flag. */
  skipped: Array<{ path: string; why: string }>;
  /** tracked files that are dirty (modified/added/deleted) and taken by no policy: the handoff must abort */
  violations: string[];
}

export const DEFAULT_DOCS_WHITELIST = ['input.md', 'galph_memory.md', 'docs/fix_plan.md', 'plans/**/*.md', 'prompts/**/*.md'];
export const DEFAULT_REPORT_EXTENSIONS = ['.png', '.jpeg', '.npy', '.txt', '.md', '.json', '.log', '.py', '.c', '.h', '.sh'];
export const DEFAULT_TRACKED_OUTPUT_GLOBS = ['tests/fixtures/**/*.{npy,npz,json,pkl}'];
export const DEFAULT_TRACKED_OUTPUT_EXTENSIONS = ['.npy', '.npz', '.json', '.pkl'];

type Skip = CommitPlan['skipped'][number];
interface Taken {
  taken: ChangedFile[];
  skipped: Skip[];
}
interface Caps {
  maxFileBytes: number;
  fileFlag: string;
  maxTotalBytes: number;
  totalFlag: string;
}

const NOTHING: Taken = { taken: [], skipped: [] };
// Agent scratch space: never published, and not worth a line in `skipped`.
const SCRATCH_DIRS = ['logs/', 'tmp/'];

/** Decides which changed files get auto-committed: tracked outputs, then docs, then reports; dirty tracked leftovers are violations. */
export function planAutoCommit(files: ChangedFile[], options: PolicyOptions): CommitPlan {
  let left = [...files].sort(byPath);
  const outputs = options.trackedOutputs?.enabled ? takeTrackedOutputs(left, options.trackedOutputs) : NOTHING;
  left = without(left, outputs.taken);
  const docs = options.docs?.enabled ? takeDocs(left, options.docs) : NOTHING;
  left = without(left, docs.taken);
  const reports = options.reports?.enabled ? takeReports(left, options.reports) : NOTHING;
  left = without(left, reports.taken);

  const leftPaths = new Set(left.map((file) => file.path));
  return {
    trackedOutputs: paths(outputs.taken),
    docs: paths(docs.taken),
    reports: paths(reports.taken),
    forceAdd: paths(reports.taken.filter((file) => file.state === 'ignored')),
    // A file one policy skipped but a later one took is committed, so it is not reported as skipped.
    skipped: [...outputs.skipped, ...docs.skipped, ...reports.skipped].filter((skip) => leftPaths.has(skip.path)).sort(byPath),
    violations: paths(left.filter((file) => file.state === 'modified' || file.state === 'added' || file.state === 'deleted')),
  };
}

function takeTrackedOutputs(files: ChangedFile[], policy: TrackedOutputsPolicy): Taken {
  const matches = matcher(policy.globs);
  const extensions = extensionSet(policy.extensions);
  const candidates = files.filter((file) => file.state === 'modified' && matches(file.path) && extensions.has(extensionOf(file.path)));
  return withinCaps(candidates, {
    maxFileBytes: policy.maxFileBytes,
    fileFlag: '--max-tracked-output-file-bytes',
    maxTotalBytes: policy.maxTotalBytes,
    totalFlag: '--max-tracked-output-total-bytes',
  });
}

function takeDocs(files: ChangedFile[], policy: DocsPolicy): Taken {
  const matches = matcher(policy.whitelist);
  const candidates = files.filter((file) => file.state !== 'ignored' && matches(file.path));
  return withinCaps(candidates, { maxFileBytes: policy.maxBytes, fileFlag: '--max-autocommit-bytes', maxTotalBytes: Infinity, totalFlag: '' });
}

function takeReports(files: ChangedFile[], policy: ReportsPolicy): Taken {
  const extensions = extensionSet(policy.extensions);
  const inPaths = policy.pathGlobs.length === 0 ? () => true : matcher(policy.pathGlobs);
  const skipped: Skip[] = [];
  const candidates = files.filter((file) => {
    if (file.state === 'deleted' || SCRATCH_DIRS.some((dir) => file.path.startsWith(dir))) return false;
    if (!extensions.has(extensionOf(file.path)) || !inPaths(file.path)) return false;
    if (file.state === 'ignored' && !policy.forceAdd) {
      skipped.push({ path: file.path, why: 'ignored by git and --force-add-reports is off' });
      return false;
    }
    return true;
  });
  const capped = withinCaps(candidates, {
    maxFileBytes: policy.maxFileBytes,
    fileFlag: '--max-report-file-bytes',
    maxTotalBytes: policy.maxTotalBytes,
    totalFlag: '--max-report-total-bytes',
  });
  return { taken: capped.taken, skipped: [...skipped, ...capped.skipped] };
}

// Takes files in the given (path) order; one that would pass the total is skipped, later smaller ones may still fit.
function withinCaps(candidates: ChangedFile[], caps: Caps): Taken {
  const taken: ChangedFile[] = [];
  const skipped: Skip[] = [];
  let total = 0;
  for (const file of candidates) {
    const bytes = file.state === 'deleted' ? 0 : file.bytes;
    if (bytes > caps.maxFileBytes) {
      skipped.push({ path: file.path, why: `${bytes} bytes > ${caps.fileFlag} ${caps.maxFileBytes}` });
    } else if (total + bytes > caps.maxTotalBytes) {
      skipped.push({ path: file.path, why: `${bytes} bytes would bring the total to ${total + bytes} > ${caps.totalFlag} ${caps.maxTotalBytes}` });
    } else {
      total += bytes;
      taken.push(file);
    }
  }
  return { taken, skipped };
}

function matcher(globs: string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch(globs, { dot: true });
}

// Like Python's Path.suffix: from the last '.' of the file name, and a dotfile such as `.env` has none.
function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

function extensionSet(extensions: string[]): Set<string> {
  return new Set(extensions.map(normaliseExtension));
}

function normaliseExtension(extension: string): string {
  return (extension.startsWith('.') ? extension : `.${extension}`).toLowerCase();
}

function without(files: ChangedFile[], taken: ChangedFile[]): ChangedFile[] {
  const gone = new Set(taken);
  return files.filter((file) => !gone.has(file));
}

function paths(files: ChangedFile[]): string[] {
  return files.map((file) => file.path).sort(compare);
}

function byPath(a: { path: string }, b: { path: string }): number {
  return compare(a.path, b.path);
}

// Code-unit order, not locale order, so a plan is the same on every machine.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits a comma-separated flag value: `"a,b , c"` → `['a', 'b', 'c']`, blanks dropped, `""` → `[]`.
 * Commas inside `{…}` stay, so a brace glob such as `fixtures/*.{npy,json}` is one item.
 */
export function parseList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    else if (ch === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** Like `parseList`, with each extension lower-cased and starting with `.`: `"PNG, .Json"` → `['.png', '.json']`. */
export function parseExtensions(text: string): string[] {
  return parseList(text).map(normaliseExtension);
}
