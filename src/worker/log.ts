import { closeSync, openSync, writeSync } from 'node:fs';

/** A line-oriented log: every line stamped with an ISO-8601 UTC time. */
export interface Logger {
  info(message: string): void;
  close(): void;
}

export function fileLogger(path: string, mirror?: NodeJS.WritableStream): Logger {
  const fd = openSync(path, 'a');
  let open = true;
  return {
    info(message) {
      if (!open) return;
      const stamp = new Date().toISOString();
      const text = message.split('\n').map((line) => `${stamp} ${line}\n`).join('');
      writeSync(fd, text);
      mirror?.write(text);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
