/**
 * Messages to the agents (`ralph say`): one JSON line each in the state directory's messages.jsonl.
 * Each new task's prompt carries the messages its worker has not given an agent yet (to every
 * worker, or to it). Pure.
 */
export interface Message {
  /** Its place in the log, from 1. */
  n: number;
  at: string;
  text: string;
  /** A worker's id (`--to worker-3`), or absent: every worker. */
  to?: number;
  /** Who said it: `user`, or the worker whose agent ran `ralph say`. */
  from: string;
}

/** The messages in the log's text (a line that is not one is skipped: a write cut short). */
export function parseMessages(text: string): Message[] {
  const out: Message[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const m = JSON.parse(line) as Partial<Message>;
      if (typeof m.text !== 'string' || typeof m.at !== 'string') continue;
      out.push({
        n: out.length + 1,
        at: m.at,
        text: m.text,
        from: typeof m.from === 'string' ? m.from : 'user',
        ...(typeof m.to === 'number' ? { to: m.to } : {}),
      });
    } catch {
      /* a line cut short */
    }
  }
  return out;
}

/** `worker-3` or `3` → 3; anything else → undefined. */
export function parseRecipient(text: string): number | undefined {
  const m = /^(?:worker-)?(\d{1,9})$/.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

/** The messages for worker `id` after the first `seen` of the log. */
export function unseenFor(messages: readonly Message[], id: number, seen: number): Message[] {
  return messages.slice(seen).filter((m) => m.to === undefined || m.to === id);
}

/** The messages as a prompt gives them: a line each, oldest first. */
export function renderMessages(messages: readonly Message[]): string {
  return messages.map((m) => `- ${m.text}${m.from === 'user' ? '' : ` (from ${m.from})`}`).join('\n');
}
