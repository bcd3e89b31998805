export const FINDINGS_MARKER = 'FINDINGS:';
export const MAX_FINDING_CHARS = 2000;

/**
 * The short summary of an agent's output: the text after the last `FINDINGS:` marker, or else the
 * last non-empty paragraph; trimmed and capped at 2,000 characters (never splitting a surrogate pair).
 */
export function extractFinding(output: string): string {
  const normalized = output.replace(/\r\n?/g, '\n');
  const at = normalized.lastIndexOf(FINDINGS_MARKER);
  const text = at >= 0 ? normalized.slice(at + FINDINGS_MARKER.length) : lastParagraph(normalized);
  return cap(text.trim(), MAX_FINDING_CHARS);
}

function lastParagraph(text: string): string {
  const paragraphs = text
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return paragraphs.at(-1) ?? '';
}

export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}
