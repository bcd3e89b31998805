import type { Role, Source } from './options.js';
import type { SyncCommit } from './select.js';

/** `ralph tail-logs`' XML document. Pure. */

export interface Listing {
  path: string;
  commit: string;
  names: readonly string[];
}

export interface LogEntry {
  role: Role;
  iter: number;
  path: string;
  content: string;
  commit?: SyncCommit | undefined;
  listings: readonly Listing[];
}

// Characters XML 1.0 does not allow at all, not even as references.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

export function xmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

export function xmlAttr(value: string): string {
  return xmlChars(value).replace(/[&<>"'\t\n\r]/g, (c) => ENTITY[c]!);
}

// Content goes in verbatim from column 0; a final newline is added when missing so `]]>` sits on its own line.
export function cdata(text: string, indent: string): string {
  const body = xmlChars(text).replaceAll(']]>', ']]]]><![CDATA[>');
  return `${indent}<![CDATA[\n${body}${body === '' || body.endsWith('\n') ? '' : '\n'}${indent}]]>`;
}

/** The whole document, without a final newline. */
export function renderTailLogs(head: { prefix: string; source: Source; count: number }, entries: readonly LogEntry[]): string {
  const summary = head.source === 'summaries';
  const lines = [`<logs prefix="${xmlAttr(head.prefix)}" count="${head.count}" source="${head.source}">`];
  for (const e of entries) {
    const commit = e.commit ? ` commit="${xmlAttr(e.commit.sha)}" commit_subject="${xmlAttr(e.commit.subject)}"` : '';
    lines.push(
      `  <log role="${e.role}" iter="${e.iter}" path="${xmlAttr(e.path)}" source="${summary ? 'summary' : 'log'}" format="${summary ? 'markdown' : 'text'}"${commit}>`,
    );
    lines.push(cdata(e.content, '    '));
    for (const l of e.listings) {
      lines.push(`    <ls path="${xmlAttr(l.path)}" commit="${xmlAttr(l.commit)}">`, cdata(l.names.join('\n'), '      '), '    </ls>');
    }
    lines.push('  </log>');
  }
  lines.push('</logs>');
  return lines.join('\n');
}
