import { describe, expect, it } from 'vitest';
import { DEFAULT_PROMPT_TEMPLATE, renderPrompt } from '../../src/queue/prompt.js';

const t = { id: 'task-1', type: 'review', data: { file: 'src/a.ts', n: 3, flag: false, nested: { deep: 'yes', list: [1, 'two'] }, none: null } };

describe('renderPrompt', () => {
  it.each([
    ['the id', '{{id}}', 'task-1'],
    ['the type', '{{type}}', 'review'],
    ['a string field verbatim', '{{data.file}}', 'src/a.ts'],
    ['a number field as JSON', '{{data.n}}', '3'],
    ['a boolean field as JSON', '{{data.flag}}', 'false'],
    ['a nested field', '{{data.nested.deep}}', 'yes'],
    ['an object field as compact JSON', '{{data.nested}}', '{"deep":"yes","list":[1,"two"]}'],
    ['an array field as compact JSON', '{{data.nested.list}}', '[1,"two"]'],
    ['an array element by index', '{{data.nested.list.1}}', 'two'],
    ['a null field as empty', '{{data.none}}', ''],
    ['a missing field as empty', '{{data.missing}}', ''],
    ['a field below a missing one as empty', '{{data.missing.deeper}}', ''],
    ['a field below a string as empty', '{{data.file.length}}', ''],
    ['a placeholder with spaces inside the braces', '{{ id }} / {{  data.file }}', 'task-1 / src/a.ts'],
    ['several placeholders in one template', '[{{type}}:{{id}}] {{data.n}}{{data.n}}', '[review:task-1] 33'],
  ])('fills in %s', (_what, template, expected) => {
    expect(renderPrompt(template, t)).toBe(expected);
  });

  it.each([
    ['object data', t.data, JSON.stringify(t.data, null, 2)],
    ['string data', 'hello', '"hello"'],
    ['absent data', undefined, 'null'],
  ])('fills {{data}} with pretty JSON of %s', (_what, data, expected) => {
    expect(renderPrompt('{{data}}', { id: 'a', type: 't', data })).toBe(expected);
  });

  it.each([
    ['no data at all', { id: 'a', type: 't' }],
    ['string data', { id: 'a', type: 't', data: 'text' }],
    ['null data', { id: 'a', type: 't', data: null }],
  ])('fills a data path with empty text for %s', (_what, task) => {
    expect(renderPrompt('<{{data.x}}>', task)).toBe('<>');
  });

  it.each([
    ['an unknown name', '{{title}}'],
    ['an unknown name with spaces', '{{ title }}'],
    ['a name with characters outside the pattern', '{{data x}}'],
    ['single braces', '{id}'],
    ['an unclosed placeholder', '{{id'],
  ])('leaves %s as it is', (_what, template) => {
    expect(renderPrompt(template, t)).toBe(template);
  });

  it.each([
    ['an id', { id: '{{type}}', type: 'secret', data: {} }, '{{id}}', '{{type}}'],
    ['a type', { id: 'a', type: '{{id}}', data: {} }, '{{type}}', '{{id}}'],
    ['a data string', { id: 'a', type: 't', data: { s: '{{data.t}}', t: 'x' } }, '{{data.s}}', '{{data.t}}'],
    ['pretty data', { id: 'a', type: 't', data: { s: '{{id}}' } }, '{{data}}', '{\n  "s": "{{id}}"\n}'],
  ])('never expands placeholders inside %s', (_what, task, template, expected) => {
    expect(renderPrompt(template, task)).toBe(expected);
  });

  it.each([
    ['dollar patterns', '$& $1 $$ $`'],
    ['shell syntax', '$(touch pwned) `id`; rm -rf /'],
    ['quotes and unicode', `"it's" — ünïcødé 😀`],
  ])('inserts %s verbatim', (_what, value) => {
    expect(renderPrompt('{{id}}|{{data.v}}', { id: value, type: 't', data: { v: value } })).toBe(`${value}|${value}`);
  });

  // Lookups walk the prototype chain: a key the data does not have, but Object.prototype does,
  // is found, and JSON.stringify(function) is undefined, which String.replace prints as "undefined".
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])('fills {{data.%s}} with empty text when data has no such key', (key) => {
    expect(renderPrompt(`<{{data.${key}}}>`, { id: 'a', type: 't', data: { x: 1 } })).toBe('<>');
  });
});

describe('DEFAULT_PROMPT_TEMPLATE', () => {
  it.each(['{{id}}', '{{type}}', '{{data}}', 'FINDINGS:'])('mentions %s', (text) => {
    expect(DEFAULT_PROMPT_TEMPLATE).toContain(text);
  });

  it('renders with no placeholder left', () => {
    expect(renderPrompt(DEFAULT_PROMPT_TEMPLATE, t)).not.toMatch(/\{\{/);
  });
});
