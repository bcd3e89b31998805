import { describe, expect, it } from 'vitest';
import { FINDINGS_MARKER, MAX_FINDING_CHARS, cap, extractFinding } from '../../src/queue/finding.js';

describe('extractFinding', () => {
  it.each([
    ['takes the text after the marker', 'work work\nFINDINGS: fixed the bug', 'fixed the bug'],
    ['takes the text after the last marker', 'FINDINGS: first\nmore\nFINDINGS: second', 'second'],
    ['keeps everything after the marker, over several lines', 'log\nFINDINGS: line one\nline two\n\nline three\n', 'line one\nline two\n\nline three'],
    ['finds the marker in the middle of a line', 'done. FINDINGS: it works', 'it works'],
    ['trims spaces and newlines around the finding', 'FINDINGS:   \n  spaced out  \n\n', 'spaced out'],
    ['gives an empty finding for a marker with nothing after it', 'output\nFINDINGS:', ''],
    ['prefers the marker to a later paragraph', 'FINDINGS: the one\n\ntrailing paragraph', 'the one\n\ntrailing paragraph'],
    ['ignores a lower-case marker and falls back to the last paragraph', 'findings: nope\n\nlast one', 'last one'],
  ])('%s', (_what, output, finding) => {
    expect(extractFinding(output)).toBe(finding);
  });

  it.each([
    ['takes the last paragraph without a marker', 'first para\n\nsecond para\nstill second', 'second para\nstill second'],
    ['skips trailing blank paragraphs', 'first\n\nlast\n\n\n\n', 'last'],
    ['treats a line of spaces and tabs as a paragraph break', 'first\n \t \nlast', 'last'],
    ['takes the whole output when it is one paragraph', 'only\nlines\nhere', 'only\nlines\nhere'],
    ['gives an empty finding for empty output', '', ''],
    ['gives an empty finding for blank output', '\n\n  \n', ''],
  ])('%s', (_what, output, finding) => {
    expect(extractFinding(output)).toBe(finding);
  });

  it.each([
    ['CRLF line ends', 'first\r\n\r\nsecond\r\nline', 'second\nline'],
    ['lone CR line ends', 'first\r\rsecond', 'second'],
    ['CRLF after the marker', 'x\r\nFINDINGS: a\r\nb\r\n', 'a\nb'],
  ])('handles %s', (_what, output, finding) => {
    expect(extractFinding(output)).toBe(finding);
  });

  it.each([
    ['a finding of exactly the limit is kept whole', 'a'.repeat(MAX_FINDING_CHARS), MAX_FINDING_CHARS],
    ['a longer finding is cut at the limit', 'a'.repeat(MAX_FINDING_CHARS + 500), MAX_FINDING_CHARS],
  ])('%s', (_what, body, length) => {
    expect(extractFinding(`${FINDINGS_MARKER} ${body}`)).toHaveLength(length);
  });

  it('does not split a surrogate pair at the limit', () => {
    const body = `${'a'.repeat(MAX_FINDING_CHARS - 1)}😀tail`;
    const finding = extractFinding(`FINDINGS: ${body}`);
    expect(finding).toBe('a'.repeat(MAX_FINDING_CHARS - 1));
  });

  it('keeps a surrogate pair that fits exactly', () => {
    const body = `${'a'.repeat(MAX_FINDING_CHARS - 2)}😀tail`;
    expect(extractFinding(`FINDINGS: ${body}`)).toBe(`${'a'.repeat(MAX_FINDING_CHARS - 2)}😀`);
  });

  it('counts the limit after trimming', () => {
    expect(extractFinding(`FINDINGS:${' '.repeat(50)}${'b'.repeat(MAX_FINDING_CHARS)}`)).toBe('b'.repeat(MAX_FINDING_CHARS));
  });
});

describe('cap', () => {
  it.each([
    ['leaves short text alone', 'abc', 5, 'abc'],
    ['leaves text of exactly max alone', 'abcde', 5, 'abcde'],
    ['cuts longer text', 'abcdef', 3, 'abc'],
    ['steps back before a high surrogate', 'ab😀', 3, 'ab'],
    ['keeps a whole pair', 'a😀b', 3, 'a😀'],
  ])('%s', (_what, text, max, expected) => {
    expect(cap(text, max)).toBe(expected);
  });
});
