import { FileStore } from './file-store.js';
import type { FileStoreOptions } from './file-store.js';

/**
 * The one place a queue is opened: the state location (a `.ralph/` directory today) gives the store.
 * A second backend (a database URL) is chosen here alone; until then the file store is the only one,
 * and callers that need its files (logs, prompts, the lock) get it as such.
 */
export function openStore(location: string, options: FileStoreOptions = {}): FileStore {
  return new FileStore(location, options);
}
