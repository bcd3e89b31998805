// A prefix unique to this process (its pid, its start, 48 random bits), then a counter: unique
// across processes and hosts like a random token per call, for the price of an increment (a worker
// makes two per task: its claim and the lock's). Math.random, not crypto: loading node:crypto costs
// every worker ~10 ms of its start, and these tokens only tell owners apart.
const PREFIX = [process.pid, Date.now(), Math.floor(Math.random() * 2 ** 48)].map((n) => n.toString(36)).join('-');
let counter = 0;

/** A token no other claim or lock owner has: for telling whose a claim or a lock is. */
export function newToken(): string {
  return `${PREFIX}.${(counter++).toString(36)}`;
}
