import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE } from '../process/private.js';

/** What `<state dir>/.gitignore` holds: git ignores the whole state directory, wherever it is. */
export const STATE_GITIGNORE = "# Ralph's run state: never part of the repository.\n*\n";

/**
 * Writes `<dir>/.gitignore` (ignoring everything) unless there is one that does already; `keep`: unless
 * there is one at all (a file of the user's is never replaced then). Returns the file written.
 */
export function writeStateGitignore(dir: string, keep = false): string | undefined {
  const file = join(dir, '.gitignore');
  if (
    existsSync(file) &&
    (keep ||
      readFileSync(file, 'utf8')
        .split('\n')
        .some((l) => l.trim() === '*'))
  )
    return undefined;
  writeFileSync(file, STATE_GITIGNORE, { mode: PRIVATE_FILE });
  return file;
}
