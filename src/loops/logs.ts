import { safeText } from '../redact/sanitize.js';
import type { Actor } from './sync-state.js';

/** `feature/x` → `feature-x`: the directory of a branch's logs. */
export function branchSlug(branch: string): string {
  return branch.replace(/\//g, '-');
}

/** `YYYYMMDD_HHMMSS` in UTC. */
export function stamp(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * The naming contract (relative to --logdir):
 *   <branch>/galph/iter-00017_YYYYMMDD_HHMMSS.log
 *   <branch>/ralph/iter-00017_YYYYMMDD_HHMMSS_<prompt>.log
 *   <branch>/galph-summaries/iter-00017_YYYYMMDD_HHMMSS-summary.md   (and ralph-summaries/)
 */
export function iterationFiles(branch: string, actor: Actor, iteration: number, at: Date, prompt: string): { log: string; summary: string } {
  const base = `iter-${String(iteration).padStart(5, '0')}_${stamp(at)}`;
  const dir = branchSlug(branch);
  return {
    log: `${dir}/${actor}/${base}${actor === 'ralph' ? `_${prompt}` : ''}.log`,
    summary: `${dir}/${actor}-summaries/${base}-summary.md`,
  };
}

// The names iterationFiles makes, read back (`ralph tail-logs`).
const ITERATION_FILE = {
  logs: /^iter-(\d{5,})_(\d{8}_\d{6})(?:_.+)?\.log$/,
  summaries: /^iter-(\d{5,})_(\d{8}_\d{6})(?:_.+)?-summary\.md$/,
} as const;

/** `iter-00017_20261121_153412_main.log` → { iter: 17, stamp: '20261121_153412' }; other names → undefined. */
export function parseLogName(name: string, source: 'logs' | 'summaries'): { iter: number; stamp: string } | undefined {
  const m = ITERATION_FILE[source].exec(name);
  return m ? { iter: Number.parseInt(m[1]!, 10), stamp: m[2]! } : undefined;
}

export interface IterationSummary {
  actor: Actor;
  iteration: number;
  branch: string;
  mode: 'sync' | 'async';
  prompt: string;
  startedAt: Date;
  /** The agent CLI, model, cost and tokens, when an agent CLI adapter ran (not --agent-cmd). */
  agent?: string;
  endedAt: Date;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Killed for printing nothing this long (--idle-timeout). */
  idleMs?: number;
  ok: boolean;
  error?: string;
  commits: string[];
  filesChanged: string[];
  finding: string;
  log: string;
}

/** The markdown summary beside an iteration's log. Pure. */
export function renderSummary(s: IterationSummary): string {
  const seconds = ((s.endedAt.getTime() - s.startedAt.getTime()) / 1000).toFixed(1);
  const exit =
    s.idleMs !== undefined
      ? `no output for ${s.idleMs / 1000}s (--idle-timeout)${s.signal ? `, ${s.signal}` : ''}`
      : s.timedOut
        ? `timed out (--agent-timeout)${s.signal ? `, ${s.signal}` : ''}`
        : s.signal
          ? `killed by ${s.signal}`
          : `exit ${s.exitCode ?? 'unknown'}`;
  const lines = [
    `# ${s.actor} iteration ${s.iteration}`,
    '',
    `- actor: ${s.actor}`,
    `- iteration: ${s.iteration}`,
    `- branch: ${s.branch}`,
    `- mode: ${s.mode}`,
    `- prompt: ${s.prompt}`,
    `- started: ${s.startedAt.toISOString()}`,
    `- ended: ${s.endedAt.toISOString()}`,
    `- duration: ${seconds}s`,
    `- exit status: ${exit}`,
    `- result: ${s.ok ? 'ok' : 'fail'}${s.error ? ` (${s.error.split('\n')[0]})` : ''}`,
    ...(s.agent ? [`- agent: ${s.agent}`] : []),
    `- log: ${s.log}`,
    '',
    '## Commits',
    '',
    ...(s.commits.length ? s.commits.map((c) => `- ${c}`) : ['(none)']),
    '',
    '## Files changed',
    '',
    ...(s.filesChanged.length ? s.filesChanged.map((f) => `- ${f}`) : ['(none)']),
    '',
    '## Finding',
    '',
    s.finding || '(none)',
    '',
  ];
  return safeText(lines.join('\n'));
}

/** What the dashboard shows of an iteration's summary (renderSummary's fields, read back). */
export interface SummaryFacts {
  prompt?: string;
  started?: string;
  duration?: string;
  /** `ok` or `fail`, with the one-line error after a failure. */
  result?: string;
  agent?: string;
  finding?: string;
}

/** renderSummary's text read back: its `- key: value` lines and the Finding section. Pure. */
export function parseSummary(text: string): SummaryFacts {
  const facts: SummaryFacts = {};
  // The fields are in the head, before the commits: a finding that holds such a line is not read as one.
  const head = text.split('\n## ')[0] ?? '';
  const field = (key: string): string | undefined => new RegExp(`^- ${key}: (.*)$`, 'm').exec(head)?.[1];
  for (const key of ['prompt', 'started', 'duration', 'result', 'agent'] as const) {
    const value = field(key);
    if (value !== undefined) facts[key] = value;
  }
  const finding = /^## Finding\n\n([\s\S]*)$/m.exec(text)?.[1]?.trim();
  if (finding && finding !== '(none)') facts.finding = finding;
  return facts;
}
