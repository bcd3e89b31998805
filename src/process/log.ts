import { closeSync, writeSync } from 'node:fs';
import { asWriteError } from '../errors.js';
import { redact } from '../redact/process.js';
import { logLine } from '../redact/sanitize.js';
import { openPrivateAppend } from './private.js';

/**
 * A line-oriented log: every line stamped with an ISO-8601 UTC time. One message is one line:
 * secrets are redacted and control characters shown escaped (`\n`, `\x1b`), so that nothing in a
 * task or in an agent's output can forge a line or reach a terminal that shows the log.
 */
export interface Logger {
  info(message: string): void;
  close(): void;
}

/**
 * A log file, appended to. A line that cannot be written (a full disk, a file-size limit) is dropped,
 * never an error: the log must not stop the work it describes. The next line that can be written
 * says how many were lost, and why.
 */
export function fileLogger(path: string, mirror?: NodeJS.WritableStream): Logger {
  let fd: number;
  try {
    fd = openPrivateAppend(path);
  } catch (error) {
    throw asWriteError(error, path);
  }
  let open = true;
  let lost = 0;
  let why = '';
  const append = (text: string): boolean => {
    const bytes = Buffer.from(text, 'utf8');
    try {
      // An append writes at the end whatever the position; the rest of a short write follows it.
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      return true;
    } catch (error) {
      why = (error as NodeJS.ErrnoException).code ?? String(error);
      return false;
    }
  };
  return {
    info(message) {
      if (!open) return;
      const stamp = new Date().toISOString();
      const text = `${stamp} ${logLine(redact(message))}\n`;
      if (lost > 0 && append(`${stamp} (${lost} log line(s) could not be written: ${why})\n`)) lost = 0;
      if (lost > 0 || !append(text)) lost += 1;
      mirror?.write(text);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
