import { Redactor, secretsFromEnv } from './redactor.js';

/**
 * The redactor of this process, built once from its environment: the values of secret-looking
 * variables, those named by `--redact` (`configureRedaction`) or `RALPH_REDACT` (comma-separated
 * names, inherited by workers and every later command), and the well-known token shapes. Every
 * writer of logs, reports and JSON output applies it; agent output is redacted where it enters Ralph.
 */
let current: Redactor | undefined;
let named: string[] = [];

export const REDACT_ENV = 'RALPH_REDACT';

export function processRedactor(): Redactor {
  current ??= new Redactor(secretsFromEnv(process.env, [...namesFromEnv(process.env), ...named]));
  return current;
}

/** Adds the variables named by `--redact` (the redactor is built again on next use). */
export function configureRedaction(names: readonly string[]): void {
  named = [...names];
  current = undefined;
}

/** Shorthand for `processRedactor().redact(text)`. */
export function redact(text: string): string {
  return processRedactor().redact(text);
}

function namesFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env[REDACT_ENV] ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

/** What is redacted (the names, never the values), for the first line of a worker's log. */
export function describeRedaction(redactor = processRedactor()): string {
  const names = redactor.names();
  return `redacting ${names.length > 0 ? `the values of ${names.join(', ')} and ` : ''}well-known token shapes from agent output, logs and reports`;
}
