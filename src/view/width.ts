/**
 * How many terminal columns text takes, and text cut to fit a number of columns. Pure.
 *
 * From the Unicode properties, as terminals count (wcwidth): combining marks, format and other
 * default-ignorable characters (ZWJ, zero-width space, variation selectors) take none; emoji shown
 * as emoji (Emoji_Presentation, or any emoji followed by VS16 U+FE0F) and East Asian wide and
 * fullwidth characters take two; everything else one. Where terminals differ (a ZWJ sequence, a
 * flag), the count is never lower than any of them shows it: a line that fits here fits there.
 *
 * Control characters (a tab, or any other that reached here) count as one column: `visible` makes
 * them a space, and whatever draws on a terminal draws `visible` text (fitWidth does).
 */

const ZERO = /[\p{Mn}\p{Me}\p{Default_Ignorable_Code_Point}]/u;
const EMOJI_WIDE = /\p{Emoji_Presentation}/u;
const EMOJI = /\p{Emoji}/u;
const VS16 = 0xfe0f;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * East Asian Wide (W) and Fullwidth (F) code points that are not emoji (those are found by their
 * property). JavaScript has no property escape for East_Asian_Width; these are the W and F blocks of
 * Unicode 15's EastAsianWidth.txt, merged, starts and ends inclusive.
 */
const EAST_ASIAN_WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x16ff0, 0x16ff1],
  [0x17000, 0x18cd5],
  [0x18d00, 0x18d08],
  [0x1aff0, 0x1b2fb],
  [0x1f200, 0x1f2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function eastAsianWide(code: number): boolean {
  for (const [from, to] of EAST_ASIAN_WIDE) {
    if (code < from) return false;
    if (code <= to) return true;
  }
  return false;
}

/** Columns one character (code point) takes, after `previous` (the code point before it, if any). */
export function charWidth(char: string, previous?: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x300) return 1; // the common case first: ASCII and Latin-1 (controls: see `visible`)
  // VS16 asks for the emoji form of the character before it: two columns in all, one more than it took.
  if (code === VS16)
    return previous !== undefined && EMOJI.test(previous) && !EMOJI_WIDE.test(previous) && !eastAsianWide(previous.codePointAt(0) ?? 0) ? 1 : 0;
  if (ZERO.test(char)) return 0;
  return EMOJI_WIDE.test(char) || eastAsianWide(code) ? 2 : 1;
}

export function displayWidth(text: string): number {
  // ASCII: one column a character.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let width = 0;
  let previous: string | undefined;
  for (const char of text) {
    width += charWidth(char, previous);
    previous = char;
  }
  return width;
}

/** `text` as it may be written to a terminal: a tab, or any other control character, made one space. */
export function visible(text: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text) ? text.replace(CONTROL, ' ') : text;
}

/** `text` (made `visible`) in at most `columns` columns: cut, with `…` as its last column, when it is wider. */
export function fitWidth(text: string, columns: number): string {
  if (columns <= 0) return '';
  const shown = visible(text);
  if (displayWidth(shown) <= columns) return shown;
  let out = '';
  let used = 0;
  let previous: string | undefined;
  for (const char of shown) {
    const w = charWidth(char, previous);
    if (used + w > columns - 1) break;
    out += char;
    used += w;
    previous = char;
  }
  return `${out}…`;
}

/** `text` padded with spaces to `columns` columns (cut first when wider). */
export function padWidth(text: string, columns: number): string {
  const fitted = fitWidth(text, columns);
  return fitted + ' '.repeat(Math.max(0, columns - displayWidth(fitted)));
}

const SGR_AT = /\u001b\[[0-9;]*m/y;

/**
 * `text` (one line, which may hold colour codes: they take no column) broken into lines of at most
 * `columns` columns each: after the last space that leaves a line at least half full, else where it
 * is full. Other control characters are made spaces (see `visible`). Nothing is lost.
 */
export function wrapWidth(text: string, columns: number): string[] {
  if (columns <= 0 || displayWidth(text.replace(/\u001b\[[0-9;]*m/g, '')) <= columns) return [visibleKeepingSgr(text)];
  const lines: string[] = [];
  let line = '';
  let used = 0;
  /** Where in `line` the last space ends, and the columns up to there. */
  let space: { at: number; used: number } | undefined;
  let previous: string | undefined;
  for (let i = 0; i < text.length; ) {
    SGR_AT.lastIndex = i;
    const sgr = SGR_AT.exec(text);
    if (sgr) {
      line += sgr[0];
      i += sgr[0].length;
      continue;
    }
    const char = visible(String.fromCodePoint(text.codePointAt(i)!));
    i += char.length;
    const w = charWidth(char, previous);
    previous = char;
    if (used + w > columns) {
      if (space && space.used >= columns / 2) {
        lines.push(line.slice(0, space.at));
        line = line.slice(space.at);
        used -= space.used;
      } else {
        lines.push(line);
        line = '';
        used = 0;
      }
      space = undefined;
    }
    line += char;
    used += w;
    if (char === ' ') space = { at: line.length, used };
  }
  lines.push(line);
  return lines;
}

function visibleKeepingSgr(text: string): string {
  return text
    .split(/(\u001b\[[0-9;]*m)/)
    .map((part, i) => (i % 2 === 1 ? part : visible(part)))
    .join('');
}
