import { readFileSync } from 'node:fs';

/**
 * The fields of `/proc/<pid>/stat` that follow the command name, so that `[0]` is field 3 (the
 * state), `[2]` field 5 (the process group), `[19]` field 22 (the start time); undefined where
 * there is no such file (the process is gone, or this is not Linux).
 */
export function procStat(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces and parentheses.
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}

/**
 * When a process started, in clock ticks since boot (field 22 of its stat), as a string; undefined
 * where unknown. With its pid it names one process: a pid that is reused gets another start time.
 */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** The process group of a process (Linux), or undefined. */
export function processGroupOf(pid: number): number | undefined {
  const group = procStat(pid)?.[2];
  return group === undefined ? undefined : Number(group);
}
