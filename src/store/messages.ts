import { readFileSync } from 'node:fs';
import { parseMessages } from '../queue/messages.js';
import type { Message } from '../queue/messages.js';

/** The messages to the agents (`ralph say`) in the state directory's log; none when there is none. */
export function readMessages(path: string): Message[] {
  try {
    return parseMessages(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
