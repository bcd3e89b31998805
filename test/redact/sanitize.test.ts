import { describe, expect, it } from 'vitest';
import { jsonSafe, logLine, oneLine, safeText, stringifyJson } from '../../src/redact/sanitize.js';

describe('sanitising text for terminals and logs', () => {
  const hostile = 'a\u001b]0;pwned\u0007b\u001b[2Jc\u0000d\re\u009b31mf\u007fg\th\ni';

  it.each([
    ['oneLine escapes every control character but the tab, newlines too', oneLine, 'a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x00d\\re\\x9b31mf\\x7fg\th\\ni'],
    ['safeText keeps the newlines', safeText, 'a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x00d\\re\\x9b31mf\\x7fg\th\ni'],
  ])('%s', (_what, fn, expected) => {
    expect(fn(hostile)).toBe(expected);
  });

  it.each([
    ['plain text is returned as it is', 'FINDINGS: ok ✓ 日本語', 'FINDINGS: ok ✓ 日本語'],
    ['a CRLF ending is dropped', 'line\r', 'line'],
    ['a forged line stays on this one', 'id\n2026-01-01T00:00:00.000Z ✔ forged', 'id\\n2026-01-01T00:00:00.000Z ✔ forged'],
  ])('logLine: %s', (_what, text, expected) => {
    expect(logLine(text)).toBe(expected);
  });

  it('the bidi embedding, override and isolate controls are escaped (they reorder what a terminal shows after them)', () => {
    const bidi = 'if admin \u202e } \u2066 { \u202a\u202b\u202c\u202d\u2067\u2068\u2069 end';
    const shown = 'if admin \\u202e } \\u2066 { \\u202a\\u202b\\u202c\\u202d\\u2067\\u2068\\u2069 end';
    expect(oneLine(bidi)).toBe(shown);
    expect(safeText(`${bidi}\nnext`)).toBe(`${shown}\nnext`);
    expect(logLine(bidi)).toBe(shown);
    // Other marks stay: a right-to-left mark does not reorder anything after it by itself.
    expect(oneLine('abc \u200f def')).toBe('abc \u200f def');
  });

  it('safeText turns CRLF into LF and shows a lone CR', () => {
    expect(safeText('a\r\nb\rc')).toBe('a\nb\\rc');
  });

  it('JSON keeps the exact text and holds no raw control character (DEL and C1 escaped too)', () => {
    const value = { finding: hostile, id: 'x\n\u0085y' };
    const json = stringifyJson(value, 2);
    expect(json).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(json)).toEqual(value);
    expect(jsonSafe('{"a":"\u007f\u0080\u009f"}')).toBe('{"a":"\\u007f\\u0080\\u009f"}');
    expect(jsonSafe('{"a":1}')).toBe('{"a":1}');
  });
});

describe('an iteration summary of the loops', () => {
  it('shows the control characters of a finding escaped, its lines kept', async () => {
    const { renderSummary } = await import('../../src/loops/logs.js');
    const at = new Date('2026-01-01T00:00:00.000Z');
    const text = renderSummary({
      actor: 'ralph',
      iteration: 1,
      branch: 'main',
      mode: 'sync',
      prompt: 'main',
      startedAt: at,
      endedAt: at,
      exitCode: 0,
      signal: null,
      timedOut: false,
      ok: true,
      commits: [],
      filesChanged: [],
      finding: 'a\u001b[2Jb\nc\u0007',
      log: 'l.log',
    });
    expect(text).toContain('a\\x1b[2Jb\nc\\x07');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
