import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RalphError } from '../errors.js';
import type { Git } from '../git/git.js';
import { processRedactor } from '../redact/process.js';
import type { Redactor } from '../redact/redactor.js';

/** A file that holds the value of a known secret: its path and the variable's name, never the value. */
export interface SecretInFile {
  path: string;
  name: string;
}

/** The files among `paths` whose content (as `read` gives it; undefined: none) holds a known secret value. */
export function secretsIn(paths: readonly string[], read: (path: string) => string | undefined, redactor: Redactor = processRedactor()): SecretInFile[] {
  if (redactor.secrets.length === 0) return [];
  const found: SecretInFile[] = [];
  for (const path of paths) {
    const text = read(path);
    const name = text === undefined ? undefined : redactor.findValue(text);
    if (name !== undefined) found.push({ path, name });
  }
  return found;
}

/** Reads a file of the working tree (relative to `root`); undefined if it is gone or not a file. */
export function workingTree(root: string): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFileSync(join(root, path), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/**
 * What the commits `from..to` would publish that holds a known secret value: the files they changed,
 * as `to` has them, and their commit messages.
 */
export function secretsInCommits(git: Git, from: string, to: string, files: readonly string[], redactor: Redactor = processRedactor()): SecretInFile[] {
  if (redactor.secrets.length === 0) return [];
  const found = secretsIn(
    files,
    (path) => {
      const r = git.run(['show', `${to}:${path}`]);
      return r.code === 0 ? r.stdout : undefined;
    },
    redactor,
  );
  const name = redactor.findValue(git.check(['log', '--format=%B', `${from}..${to}`]));
  if (name !== undefined) found.push({ path: `the commit messages of ${from}..${to}`, name });
  return found;
}

/**
 * Stops a handoff that would publish a secret: names each file and whose value it holds, never the
 * value. `how` says what was not done and how to take the secret out.
 */
export function refuseSecrets(found: readonly SecretInFile[], how: { refused: string; fix: string }): void {
  if (found.length === 0) return;
  const files = found.map((f) => `${f.path} holds the value of ${f.name}`).join('; ');
  throw new RalphError(
    'RALPH_SECRET_IN_FILE',
    `handoff aborted, state not changed: ${how.refused}: ${files} (a secret). ${how.fix}, then rerun; the turn is resumed.`,
    { exitCode: 1 },
  );
}
