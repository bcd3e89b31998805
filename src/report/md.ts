import type { CostTotals, TokenTotals, Usage } from './costs.js';

/** Markdown and number formatting shared by the report's sections. Pure. */

export function usd(n: number): string {
  return `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`;
}

/**
 * A cost as shown: "$0.12"; "~$0.12" when some of it is estimated from tokens; "unknown" when no
 * cost is known (never "$0.00"); "$0.12 + unknown" when some runs' cost is not known.
 */
export function costText(c: CostTotals): string {
  if (c.cost_usd === null) return 'unknown';
  return `${c.cost_estimated ? '~' : ''}${usd(c.cost_usd)}${c.runs_unknown_cost > 0 ? ' + unknown' : ''}`;
}

/**
 * What a cost figure leaves to words, said once: how much of it is estimated, and why some is
 * unknown ("model `x` is not in the price table"). '' when every cost was reported.
 */
export function costNotes(u: Usage, name: (model: string) => string = (m) => m): string {
  const notes: string[] = [];
  const runs = u.runs_with_cost + u.runs_unknown_cost;
  if (u.runs_estimated > 0) notes.push(`estimated from tokens at list prices${u.runs_estimated < runs ? ` for ${u.runs_estimated} of ${runs} runs` : ''}`);
  if (u.runs_unknown_cost > 0) {
    const named = u.unpriced_models.filter((m) => m !== '');
    const why = [
      ...(named.length > 0
        ? [
            `${named.length === 1 ? 'model' : 'models'} ${named.map(name).join(', ')} not in the price table (add ${named.length === 1 ? 'it' : 'them'} under "prices" in ralph.config.json)`,
          ]
        : []),
      ...(u.unpriced_models.includes('') ? ['no model named (give --model)'] : []),
    ];
    const which = u.cost_usd === null ? '' : `unknown for ${u.runs_unknown_cost} run(s), `;
    notes.push(`${which}not counted toward --max-cost-usd: ${why.join('; ')}`);
  }
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

export function tokens(t: TokenTotals): string {
  const parts = [`${t.input} in`, `${t.output} out`];
  if (t.cache_read > 0) parts.push(`${t.cache_read} cache read`);
  if (t.cache_write > 0) parts.push(`${t.cache_write} cache write`);
  return parts.join(', ');
}

/** Text in a table cell: pipes and backslashes escaped, on one line. */
export function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n?|\n/g, ' ');
}

/** Text as inline code, on one line. */
export function inline(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\r\n?|\n/g, ' ')}\``;
}

/** A fenced block that no backtick run in the text can close. */
export function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
}

/** A table: a header row, its separator (`right`: the columns aligned right), the rows. */
export function table(header: readonly string[], right: readonly boolean[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (right[i] ? '---:' : '---'))), ...rows.map(line)];
}
