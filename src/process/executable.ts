import { accessSync, constants, statSync } from 'node:fs';

/** Why `path` cannot be run as a program, or undefined when it can. */
export function executableProblem(path: string): 'does not exist' | 'is not a file' | 'is not executable' | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
  } catch {
    return 'does not exist';
  }
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return 'is not executable';
  }
}
