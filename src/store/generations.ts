/**
 * Which journal lines the snapshots already hold, from their generations; and which combinations
 * no crash can produce. Pure.
 *
 * A compaction from generation G (both snapshots and the journal at G) writes work-queue.json at
 * g = max(queue, results, journal) + 1, then results.json at g, then a new journal at g; each
 * snapshot also records which journal it folded in (`folded`: that journal's generation, creation
 * time and the byte offset of its last line). A crash, or a write that fails (a full disk), can stop
 * it after any of these, and the next compaction starts again from what is on disk; until one
 * completes, nothing is appended to the journal (a transaction compacts first). So with a journal at
 * generation j that holds entries, exactly these are possible:
 *
 *   queue = j, results = j      the journal applies to both
 *   queue > j, results = j      the queue holds the journal already, the results do not
 *   queue ≥ results > j         both hold it
 *
 * where a snapshot above j folded this very journal, all of it (its `folded` mark says so). Anything
 * else is a file from elsewhere: an older copy restored (a snapshot below j misses what the journal's
 * earlier compactions folded in), a copy from another directory or a hand edit (a snapshot above j
 * that was not made from this journal, or one without a generation), and is refused rather than
 * guessed at: a guess drops the journal's changes to one file while applying them to the other.
 * A journal without entries cannot be applied wrongly: then anything goes.
 */

/** What a snapshot records about the journal it folded in. */
export interface FoldMark {
  generation: number;
  created_at: string;
  /** Byte offset just after the journal's last complete line when it was folded in. */
  end: number;
}

export interface SnapshotStamp {
  /** 0 when the file has none (written by hand, or by the shell implementation). */
  generation: number;
  folded?: FoldMark;
  /** The file is not there (taken as empty). */
  missing?: boolean;
}

export interface JournalStamp {
  generation: number;
  created_at: string;
  end: number;
  /** Number of entries after the header. */
  entries: number;
}

export type GenerationDecision =
  | { ok: true; applyTasks: boolean; applyResults: boolean }
  | { ok: false; file: 'queue' | 'results'; problem: string; fix: string };

export function decideGenerations(
  queue: SnapshotStamp,
  results: SnapshotStamp,
  journal: JournalStamp | undefined,
  names: { queue: string; results: string; journal: string },
): GenerationDecision {
  if (!journal) return { ok: true, applyTasks: false, applyResults: false };
  const j = journal.generation;
  const applies = { ok: true as const, applyTasks: queue.generation === j, applyResults: results.generation === j };
  // A compaction writes the queue first: no crash leaves the results newer. An older queue restored
  // beside them would run its tasks again and record them twice, even with nothing in the journal.
  if (journal.entries === 0 && !results.missing && queue.generation > 0 && queue.generation < results.generation) {
    return {
      ok: false,
      file: 'queue',
      problem: `${names.queue} (generation ${queue.generation}) is older than ${names.results} (generation ${results.generation}), which a compaction always writes after it: an older copy restored?`,
      fix: `put back the ${names.queue} that goes with ${names.results}, or restore both from the same backup`,
    };
  }
  if (journal.entries === 0) return applies;
  const changes = `${journal.entries} change(s)`;
  const aside = `move ${names.journal} aside to take the snapshots as they are (its ${changes} are then dropped)`;
  for (const file of ['queue', 'results'] as const) {
    const stamp = file === 'queue' ? queue : results;
    const where = `${names[file]} (generation ${stamp.generation})`;
    const against = `${names.journal} (generation ${j}, ${changes})`;
    if (stamp.missing) {
      return {
        ok: false,
        file,
        problem: `${names[file]} is missing, and ${names.journal} (generation ${j}) holds ${changes} to apply on top of it`,
        fix: `put it back, or ${aside}`,
      };
    }
    if (stamp.generation === 0) {
      return {
        ok: false,
        file,
        problem: `${names[file]} has no generation, so it cannot tell which of the ${changes} in ${names.journal} (generation ${j}) it already holds`,
        fix: `add "generation": ${j} to it if the journal's changes come on top of it, or ${aside}`,
      };
    }
    if (stamp.generation < j) {
      return {
        ok: false,
        file,
        problem: `${where} is older than ${against}, which follows later compactions it does not hold: an older copy restored?`,
        fix: `put back the ${names[file]} that goes with the journal, or ${aside}`,
      };
    }
    if (stamp.generation > j && !foldedThis(stamp.folded, journal)) {
      return {
        ok: false,
        file,
        problem: `${where} is ahead of ${against} but was not made from that journal: a copy from elsewhere or a backup restored?`,
        fix: `put back the files that belong together, or ${aside}`,
      };
    }
  }
  if (results.generation > j && queue.generation < results.generation) {
    return {
      ok: false,
      file: 'results',
      problem: `${names.results} (generation ${results.generation}) is newer than ${names.queue} (generation ${queue.generation}), which a compaction always writes first`,
      fix: `put back the files that belong together, or ${aside}`,
    };
  }
  return applies;
}

function foldedThis(mark: FoldMark | undefined, journal: JournalStamp): boolean {
  return mark !== undefined && mark.generation === journal.generation && mark.created_at === journal.created_at && mark.end === journal.end;
}
