/**
 * Colour, where it helps: failures red, completions green, warnings yellow, the less important dim.
 * Off unless the stream is a terminal; `FORCE_COLOR` (any value but `0` or `false`) turns it on,
 * also off a terminal, and `FORCE_COLOR=0`, `NO_COLOR` (any non-empty value), `TERM=dumb` and
 * `--no-color` turn it off. `--no-color` wins over everything, then FORCE_COLOR, as in Node itself.
 * JSON output is never coloured: its writers never call this.
 */

export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

const CODES: Record<Style, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** Colours text, or leaves it as it is: what a view is given to draw with. */
export type Paint = (style: Style, text: string) => string;

export const plain: Paint = (_style, text) => text;

export const ansi: Paint = (style, text) => {
  if (text === '') return text;
  const [on, off] = CODES[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
};

/** Whether to colour what goes to a stream: a pure decision on the flag, the environment and whether it is a terminal. */
export function colorWanted(isTTY: boolean, env: Readonly<Record<string, string | undefined>>, flag: boolean | undefined = undefined): boolean {
  if (flag === false) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

let colorFlag: boolean | undefined;
let decided = new WeakMap<object, Paint>();

/** `--no-color` (false) for this process; undefined leaves it to the environment. */
export function setColorFlag(flag: boolean | undefined): void {
  colorFlag = flag;
  decided = new WeakMap();
}

/** The paint for what this process writes to `stream` (stdout or stderr), decided once a stream. */
export function paintFor(stream: { isTTY?: boolean }): Paint {
  let paint = decided.get(stream);
  if (!paint) {
    paint = colorWanted(stream.isTTY === true, process.env, colorFlag) ? ansi : plain;
    decided.set(stream, paint);
  }
  return paint;
}
