import { displayWidth, wrapWidth } from './width.js';

/** A terminal stream as the live block needs it (process.stderr on a TTY). */
export interface TerminalStream {
  write(text: string): boolean;
  columns?: number;
  rows?: number;
  isTTY?: boolean;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

/** The lines of the block for a terminal of this size (each at most columns - 1 wide). */
export type Render = (columns: number, rows: number) => string[];

const ESC = '\u001b';
const SGR = /\u001b\[[0-9;]*m/g;
/** Resize events this close together are one resize (a window dragged to its size): the block is drawn once they stop. */
const SETTLE_MS = 100;

/**
 * A block of lines kept at the bottom of a terminal and redrawn in place: the cursor goes back to
 * its first line, each line is cleared and written anew, and whatever is left below is cleared, in
 * one write. Lines that must stay (failures, messages) are written above it with `above`.
 *
 * The block never reaches the last column, and lines written above it are broken to fit too: no
 * line wraps, so the rows to go back up are the lines drawn. The cursor waits at the start of the
 * row below the block (where a `^C` the terminal echoes, or a key typed, lands and is cleared), so
 * the block has at most the terminal's rows less one.
 *
 * A resize: where every line drawn still fits the terminal's width and height, no terminal has
 * moved or rewrapped them, and the block is drawn again in place. Where one does not, terminals
 * differ: some cut it, others (tmux, VTE, iTerm2, kitty…) rewrap it onto more rows and push what no
 * longer fits into the scrollback, where no cursor move reaches. Then the old frame is left whole:
 * the screen is scrolled up into the scrollback by as many rows as it has, and the block drawn anew
 * at its top. The scrollback keeps at most one old frame a resize, whole; the screen never shows a
 * frame drawn over the remains of another.
 */
export class LiveBlock {
  private drawn: string[] = [];
  private closed = false;
  private settling: NodeJS.Timeout | undefined;
  private readonly onResize = () => this.resized();

  constructor(
    readonly stream: TerminalStream,
    private readonly render: Render,
  ) {
    stream.on('resize', this.onResize);
    active.add(this);
  }

  /** The terminal's width, as the block is drawn for it (80 when it does not say). */
  get columns(): number {
    return Math.max(1, this.stream.columns || 80);
  }

  get rows(): number {
    return Math.max(2, this.stream.rows || 24);
  }

  /** Draws the block anew from `render`, unless its lines are the same as on screen (or a resize is settling). */
  refresh(force = false): void {
    if (this.closed || this.settling) return;
    const lines = this.lines();
    if (!force && lines.length === this.drawn.length && lines.every((l, i) => l === this.drawn[i])) return;
    this.draw(this.drawn.length, lines);
  }

  /** Writes `text` (one or more lines) above the block, where it stays, and draws the block again below it. */
  above(text: string): void {
    if (this.closed) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.settle();
    this.draw(this.drawn.length, this.lines(), text);
  }

  /** Leaves the last lines drawn where they are, the cursor below them. */
  close(): void {
    if (this.closed) return;
    this.settle();
    this.refresh();
    this.closed = true;
    this.stream.off('resize', this.onResize);
    active.delete(this);
  }

  private lines(): string[] {
    return this.render(this.columns - 1, this.rows - 1).slice(0, this.rows - 1);
  }

  /**
   * Back `rows` rows to the block's first line, then `text` (each line broken to fit) and the new
   * lines over the old, each row cleared first, the cursor left below them, and whatever is left
   * from there down cleared. (Never cleared from the block's first row down: tmux keeps a screen
   * cleared from its top-left corner in its scrollback, and a block at the top of the screen would
   * leave a copy there at each redraw.)
   */
  private draw(rows: number, lines: string[], text?: string): void {
    const up = rows === 0 ? '\r' : `\r${ESC}[${rows}A`;
    const above = text === undefined ? [] : text.split('\n').flatMap((line) => wrapWidth(line, this.columns - 1));
    const out = [...above, ...lines];
    if (out.length === 0) {
      // Nothing to draw: the old rows cleared one by one, the cursor back where the block was.
      this.stream.write(rows === 0 ? '' : `${up}${`${ESC}[2K${ESC}[B`.repeat(rows)}${ESC}[${rows}A`);
    } else {
      this.stream.write(`${up}${out.map((line) => `${ESC}[2K${line}\n`).join('')}${ESC}[J`);
    }
    this.drawn = lines;
  }

  private resized(): void {
    if (this.closed) return;
    if (this.settling) clearTimeout(this.settling);
    this.settling = setTimeout(() => this.settle(), SETTLE_MS);
    this.settling.unref();
  }

  /** The block after a resize (see the class): drawn in place where the old one is untouched, else below it, on a fresh screen. */
  private settle(): void {
    if (!this.settling) return;
    clearTimeout(this.settling);
    this.settling = undefined;
    const columns = this.stream.columns || 80;
    const rows = this.rows;
    const untouched = this.drawn.length + 1 <= rows && this.drawn.every((line) => displayWidth(line.replace(SGR, '')) < columns);
    if (untouched || this.drawn.length === 0) {
      this.draw(this.drawn.length, this.lines());
      return;
    }
    // The screen, with the old frame as the terminal shows it now, scrolled up into the scrollback
    // (rows newlines from any row of the screen do it), and the cursor back at its top.
    this.stream.write(`\r${'\n'.repeat(rows)}${ESC}[${rows - 1}A`);
    this.drawn = [];
    this.draw(0, this.lines());
  }
}

const active = new Set<LiveBlock>();

/** Leaves every live block where it is (an error is about to be told below it). */
export function closeLiveBlocks(): void {
  for (const block of [...active]) block.close();
}

/**
 * Writes a message line to `stream`: above the live block shown there, if any, so that the block is
 * not broken by it. (What the CLI notes on stderr during a run, such as a signal's message, goes here.)
 */
export function writeLine(stream: { write(text: string): boolean }, line: string): void {
  for (const block of active) {
    if (block.stream === stream) {
      block.above(line);
      return;
    }
  }
  stream.write(`${line}\n`);
}
