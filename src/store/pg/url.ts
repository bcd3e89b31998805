// Apart from connection.ts, so that showing a queue's URL does not load the database driver.

/** The URL as it may be shown: without its password (or the URL's scheme and host alone when it cannot be parsed). */
export function describeQueueUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    // The driver also takes a password (and a key's) as parameters.
    for (const name of [...parsed.searchParams.keys()]) if (/pass|secret|key/i.test(name) && name !== 'sslkey') parsed.searchParams.set(name, '***');
    return parsed.toString();
  } catch {
    return 'the --queue URL (it cannot be read as a URL)';
  }
}

/** A queue in a database, as it may be shown: its name, and its URL without the password. */
export function describeQueue(queue: { url: string; name: string }): string {
  return `queue ${JSON.stringify(queue.name)} at ${describeQueueUrl(queue.url)}`;
}

/** Whether a `--queue` names a PostgreSQL database (the only kind of database queue there is). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
