import { RalphError } from '../errors.js';

/**
 * Why a `git push` failed, from git's own report (run with LC_ALL=C):
 * - `behind`: `! [rejected] … (fetch first)` or `(non-fast-forward)`, or the remote's ref moved
 *   under my push (`cannot lock ref …: is at X but expected Y`): someone pushed first; a fetch, a
 *   rebase and another push can succeed.
 * - `refused`: `! [remote rejected] … (<reason>)`: the remote received the push and said no (a hook,
 *   a protected branch, no permission, a read-only repository). Pushing again cannot help.
 * - `failed`: anything else (no such remote, network, authentication): git's message says what.
 */
export type PushFailure = { kind: 'behind' } | { kind: 'refused'; reason: string; said: string } | { kind: 'failed'; said: string };

/** Classifies a failed push from its stderr. Pure. */
export function classifyPushFailure(stderr: string): PushFailure {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const refused = lines.map((line) => /^! \[remote rejected\] .* \((.+)\)$/.exec(line)).find((m) => m !== null);
  // A branch refused as not a fast-forward, or moved by another push while the remote took mine: the
  // only cases that a fetch and a rebase can mend.
  if (lines.some((line) => /^! \[rejected\] .* \((fetch first|non-fast-forward)\)$/.test(line))) return { kind: 'behind' };
  if (refused && lines.some((line) => /cannot lock ref .*(is at [0-9a-f]+ but expected [0-9a-f]+|reference already exists)/.test(line)))
    return { kind: 'behind' };
  if (refused) return { kind: 'refused', reason: refused[1]!, said: gitSaid(lines.filter((line) => !line.startsWith('! ['))) };
  return { kind: 'failed', said: gitSaid(lines) || 'git gave no reason' };
}

// git's own words on one line: the hook's or the server's lines, without the hints and the boilerplate.
function gitSaid(lines: string[]): string {
  return lines
    .filter((line) => !/^(hint:|To |error: failed to push some refs)/.test(line))
    .map((line) => line.replace(/^((remote|error|fatal):\s*)+/i, ''))
    .filter((line) => line !== '')
    .join(' ');
}

/** The remote refused a push for good: one line with git's own reason, and what to do (`after`). */
export class PushRefusedError extends RalphError {
  constructor(command: string, failure: Extract<PushFailure, { kind: 'refused' }>, after: string) {
    super(
      'RALPH_PUSH_REFUSED',
      `${command} was refused by the remote (${failure.reason})${failure.said ? `: ${failure.said.replace(/[.\s]+$/, '')}` : ''}. ` +
        "Retrying would not help: this is the remote's answer (a hook, a protected branch, permissions or a read-only repository), not someone pushing first. " +
        after,
      { exitCode: 1 },
    );
  }
}
