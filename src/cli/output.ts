import { processRedactor, redact } from '../redact/process.js';
import { safeText, stringifyJson } from '../redact/sanitize.js';
import { paintFor } from '../view/color.js';
import type { Style } from '../view/color.js';
import type { Piece } from '../view/frame.js';
import { writeLine } from '../view/live-block.js';

/**
 * Everything the CLI prints goes through here, so that commands stay testable and quiet on --json,
 * and nothing reaches a terminal unredacted or with its control characters (see redact/). Text from
 * tasks that must stay on one line is passed through `oneLine` by the command that prints it. Colour
 * is added after that, on a terminal that wants it (view/color.ts); JSON is never coloured.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${stringifyJson(processRedactor().redactDeep(value), 2)}\n`);
}

export function print(line = '', style?: Style): void {
  printPieces([[line, style]]);
}

/** A line of pieces, each made safe, then coloured as it says. */
export function printPieces(pieces: readonly Piece[]): void {
  process.stdout.write(`${styled(pieces, process.stdout)}\n`);
}

/** A line on stderr; above the live view while `ralph run` shows one there. */
export function note(line: string, style?: Style): void {
  writeLine(process.stderr, styled([[line, style]], process.stderr));
}

function styled(pieces: readonly Piece[], stream: { isTTY?: boolean }): string {
  const paint = paintFor(stream);
  return pieces
    .map(([text, style]) => {
      const safe = safeText(redact(text));
      return style
        ? safe
            .split('\n')
            .map((l) => paint(style, l))
            .join('\n')
        : safe;
    })
    .join('');
}

/** Rows as aligned columns (two spaces apart); the last cell of each row is not padded. Pure. */
export function columns(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}
