import { closeSync, fstatSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { asWriteError } from '../errors.js';
import { writeAllSync } from '../store/atomic-write.js';
import { PRIVATE_FILE } from '../process/private.js';

/**
 * The file a worker writes each task's prompt to (`RALPH_PROMPT_FILE`), kept open and rewritten in
 * place: creating a file per task costs an inode allocation, and truncating to zero before writing
 * makes ext4 flush it. Writing first and then cutting the file to the new length does neither. If
 * the file was removed or replaced meanwhile, a new one is opened.
 */
export class PromptFile {
  readonly path: string;
  private fd: number | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Throws a StateWriteError when the file cannot be written (a full disk, a read-only directory). */
  write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    try {
      const fd = this.current();
      writeAllSync(fd, bytes, 0);
      ftruncateSync(fd, bytes.length);
    } catch (error) {
      throw asWriteError(error, this.path);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private current(): number {
    if (this.fd !== undefined) {
      let sameFile = false;
      try {
        sameFile = statSync(this.path).ino === fstatSync(this.fd).ino;
      } catch {
        /* removed */
      }
      if (sameFile) return this.fd;
      this.close();
    }
    this.fd = openSync(this.path, 'w', PRIVATE_FILE);
    return this.fd;
  }
}
