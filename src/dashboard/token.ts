import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A token for the dashboard's URL: 24 random bytes, URL-safe. */
export function newDashboardToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Whether `given` is the token, compared in constant time: both are hashed first, so that neither
 * their lengths nor their first differing byte show in how long the answer takes.
 */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}
