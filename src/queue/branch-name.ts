import { createHash } from 'node:crypto';

// Apart from queue/isolation.ts, which every worker loads: node:crypto costs a worker ~10 ms to
// start, and only a worker that isolates tasks in worktrees names branches.

const REF_UNSAFE = /[^A-Za-z0-9._-]+/g;
const HASHED = /-[0-9a-f]{8}$/;

/**
 * The branch of a task: `ralph/<id>` with everything git does not allow in a ref name (and
 * anything but letters, digits, `.`, `_`, `-`) replaced. Ids changed by that get a short hash of
 * the id (as do ids that end like such a hash), so two ids never share a branch.
 */
export function taskBranch(id: string): string {
  let name = id
    .replace(REF_UNSAFE, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/[.]+$/, '');
  if (name.endsWith('.lock')) name = `${name.slice(0, -5)}-lock`;
  if (name.length > 80) name = name.slice(0, 80).replace(/[.]+$/, '');
  // An id that already looks like a hashed name gets its own hash too, so it cannot take another id's branch.
  if (name !== id || name === '' || HASHED.test(name)) name = `${name === '' ? 'task' : name}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
  return `ralph/${name}`;
}
