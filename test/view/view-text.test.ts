import { describe, expect, it } from 'vitest';
import { readableLine } from '../../src/agents/agent-line.js';
import { colorWanted } from '../../src/view/color.js';
import { displayWidth, fitWidth, padWidth, wrapWidth } from '../../src/view/width.js';

describe('displayWidth and fitWidth', () => {
  it.each<[string, string, number]>([
    ['ASCII', 'hello', 5],
    ['empty', '', 0],
    ['Latin-1', 'café', 4],
    ['a combining accent takes no column', 'e\u0301', 1],
    ['CJK is two columns a character', '日本語', 6],
    ['Hangul', '한국', 4],
    ['fullwidth forms', 'ＡＢ', 4],
    ['an emoji', '🚀', 2],
    ['symbols the view uses are one column', '✘✔…·→', 5],
    ['an escaped control character as the log shows it', 'a\\x1b[31mb', 10],
    // Emoji shown as emoji (Emoji_Presentation) take two columns in terminals.
    ['✅ check mark button', '\u2705', 2],
    ['❌ cross mark', '\u274c', 2],
    ['⏳ hourglass flowing', '\u23f3', 2],
    ['⌛ hourglass done', '\u231b', 2],
    ['⚡ high voltage', '\u26a1', 2],
    ['🟢 green circle', '\u{1f7e2}', 2],
    ['⭐ star', '\u2b50', 2],
    ['🀄 mahjong tile', '\u{1f004}', 2],
    ['emoji in text', 'done ✅ in 3s ⚡', 16],
    ['a text-style symbol made emoji by VS16 takes two', '\u2714\ufe0f', 2],
    ['a keycap (digit, VS16, enclosing keycap)', '1\ufe0f\u20e3', 2],
    ['VS15 (text style) takes none', '\u2714\ufe0e', 1],
    ['a ZWJ sequence: never fewer columns than its emoji shown apart', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}', 6],
    ['a ZWJ between letters takes none', 'a\u200db', 2],
    ['a skin tone modifier is counted as the emoji it is shown as apart', '\u{1f44d}\u{1f3fd}', 4],
    ['zero-width space and word joiner take none', 'a\u200bb\u2060c', 3],
    ['halfwidth katakana is one column', '\uff71\uff72', 2],
    ['CJK punctuation and kana are two', '\u3001\u3042\u30a2', 6],
    ['a CJK ideograph of extension B', '\u{20000}', 2],
    ['combining marks of other scripts take none', '\u0915\u0941', 1],
  ])('%s', (_what, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it.each<[string, string, number, string]>([
    ['fits: unchanged', 'hello', 5, 'hello'],
    ['cut with an ellipsis in the last column', 'hello world', 8, 'hello w…'],
    ['one column: the ellipsis alone', 'hello', 1, '…'],
    ['no room', 'hello', 0, ''],
    ['a wide character that would straddle the edge is left out', '日本語', 4, '日…'],
    ['wide characters that fit', '日本語', 6, '日本語'],
    ['an emoji that would straddle the edge is left out', 'ok ✅✅', 5, 'ok …'],
    ['an emoji whose VS16 would straddle the edge is cut before it', 'ab\u2714\ufe0f', 3, 'ab…'],
    ['a combining mark stays with its letter', 'e\u0301e\u0301e\u0301', 3, 'e\u0301e\u0301e\u0301'],
  ])('%s', (_what, text, columns, out) => {
    const fitted = fitWidth(text, columns);
    expect(fitted).toBe(out);
    expect(displayWidth(fitted)).toBeLessThanOrEqual(columns);
  });

  it('pads to the width, after cutting', () => {
    expect(padWidth('ab', 4)).toBe('ab  ');
    expect(padWidth('日本', 5)).toBe('日本 ');
    expect(padWidth('abcdef', 4)).toBe('abc…');
  });
});

describe('wrapWidth', () => {
  it.each<[string, string, number, string[]]>([
    ['fits: one line', 'hello world', 20, ['hello world']],
    [
      'after the last space that leaves the line half full',
      'ralph: SIGINT: stopping workers; in-flight tasks go back',
      24,
      ['ralph: SIGINT: stopping ', 'workers; in-flight ', 'tasks go back'],
    ],
    ['where it is full when no space is near', 'abcdefghij klm', 4, ['abcd', 'efgh', 'ij ', 'klm']],
    ['wide characters never straddle the edge', '日本語日本語', 5, ['日本', '語日', '本語']],
    ['colour codes take no column and stay', '\u001b[33mabcdef\u001b[39m', 3, ['\u001b[33mabc', 'def\u001b[39m']],
    ['a tab is a space', 'a\tb', 10, ['a b']],
  ])('%s', (_what, text, columns, lines) => {
    const out = wrapWidth(text, columns);
    expect(out).toEqual(lines);
    for (const line of out) expect(displayWidth(line.replace(/\u001b\[[0-9;]*m/g, ''))).toBeLessThanOrEqual(columns);
    expect(out.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
  });
});

describe('colorWanted', () => {
  it.each<[string, boolean, Record<string, string>, boolean | undefined, boolean]>([
    ['a terminal', true, {}, undefined, true],
    ['a pipe', false, {}, undefined, false],
    ['NO_COLOR on a terminal', true, { NO_COLOR: '1' }, undefined, false],
    ['an empty NO_COLOR does not count', true, { NO_COLOR: '' }, undefined, true],
    ['TERM=dumb', true, { TERM: 'dumb' }, undefined, false],
    ['FORCE_COLOR off a terminal', false, { FORCE_COLOR: '1' }, undefined, true],
    ['an empty FORCE_COLOR forces too', false, { FORCE_COLOR: '' }, undefined, true],
    ['FORCE_COLOR=0 on a terminal', true, { FORCE_COLOR: '0' }, undefined, false],
    ['FORCE_COLOR=false on a terminal', true, { FORCE_COLOR: 'false' }, undefined, false],
    ['FORCE_COLOR wins over NO_COLOR (as in Node)', false, { FORCE_COLOR: '1', NO_COLOR: '1' }, undefined, true],
    ['--no-color wins over FORCE_COLOR', true, { FORCE_COLOR: '1' }, false, false],
    ['--no-color on a terminal', true, {}, false, false],
  ])('%s', (_what, isTTY, env, flag, wanted) => {
    expect(colorWanted(isTTY, env, flag)).toBe(wanted);
  });
});

describe('readableLine', () => {
  it.each<[string, string, string]>([
    ['plain text, white space made one', 'compiling   src/a.ts\t(3 of 9)', 'compiling src/a.ts (3 of 9)'],
    ['colour codes dropped, raw', '\u001b[32mPASS\u001b[39m test/a.test.ts', 'PASS test/a.test.ts'],
    ['colour codes dropped, as logged', '\\x1b[31mFAIL\\x1b[39m test/b.test.ts', 'FAIL test/b.test.ts'],
    [
      'an unknown event: its type and telling facts, ids left out',
      '{"type":"system","subtype":"api_retry","attempt":2,"max_retries":10,"error_status":529,"error":"overloaded","session_id":"abc","uuid":"u-1"}',
      'system event: api_retry, error overloaded, attempt 2, max retries 10, error status 529',
    ],
    ['an event with a nested message', '{"type":"error","error":{"message":"rate limited","code":429}}', 'error event: error rate limited'],
    ['an event with nothing telling', '{"type":"ping","id":"x1"}', 'ping event'],
    ['no type at all', '{"status":"warming up","progress":0.5}', 'event: status warming up, progress 0.5'],
    ['not JSON after all', '{not json}', '{not json}'],
    ['JSON that is not an object stays as it is', '[1,2,3]', '[1,2,3]'],
    [
      "tabs in an event's facts are spaces",
      '{"type":"progress","message":"col1\\tcol2\\t\\tcol3","error":{"message":"x\\ty"}}',
      'progress event: col1 col2 col3, error x y',
    ],
  ])('%s', (_what, line, out) => {
    expect(readableLine(line)).toBe(out);
  });

  it('is short: one line, clipped', () => {
    const long = readableLine(`{"type":"x","message":"${'m'.repeat(500)}"}`);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(readableLine('a\nb', 50)).toBe('a b');
    expect(readableLine('x'.repeat(300), 100)).toHaveLength(100);
  });
});
