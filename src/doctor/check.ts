/** One line of doctor's verdict: how it stands, what was looked at, what was found, how to fix it. */
export type Level = 'ok' | 'warn' | 'error';

export interface Check {
  level: Level;
  check: string;
  found: string;
  fix?: string;
}
