import { describe, expect, it } from 'vitest';
import { clip } from '../../src/agents/parse/text.js';

describe('clip', () => {
  it.each<[string, string, number, string]>([
    ['short text as it is', 'hello', 10, 'hello'],
    ['cut with an ellipsis', 'hello world', 6, 'hello…'],
    ['newlines shown as ⏎', 'a\nb', 10, 'a ⏎ b'],
    // '🚀' is two UTF-16 code units: a cut between them would leave half a character (a lone surrogate).
    ['never between the halves of a surrogate pair', 'ab🚀cd', 4, 'ab…'],
    ['a surrogate pair that fits is kept', 'ab🚀cd', 5, 'ab🚀…'],
  ])('%s', (_what, text, max, out) => {
    const clipped = clip(text, max);
    expect(clipped).toBe(out);
    expect(clipped.length).toBeLessThanOrEqual(max);
    expect(clipped).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });
});
