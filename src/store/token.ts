import { randomBytes } from 'node:crypto';

// 72 random bits per process, then a counter: unique across processes and hosts like a random token
// per call, for the price of an increment (a worker makes two per task: its claim and the lock's).
const PREFIX = randomBytes(9).toString('base64url');
let counter = 0;

/** A token no other claim or lock owner has: for telling whose a claim or a lock is. */
export function newToken(): string {
  return `${PREFIX}.${(counter++).toString(36)}`;
}
