import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { lineColumn, parseTasksFile } from '../../src/queue/tasks-file.js';

const F = 'tasks.json';

/** The InputError message parseTasksFile throws for `text`. */
function errorOf(text: string): string {
  try {
    parseTasksFile(text, F);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('expected parseTasksFile to throw');
}

describe('parseTasksFile accepts', () => {
  const two = [
    { id: 'a', type: 't', data: { n: 1 } },
    { id: 'b', type: 'u' },
  ];

  it.each([
    ['a {"tasks":[…]} object', JSON.stringify({ tasks: two })],
    ['a bare array', JSON.stringify(two)],
    ['a pretty-printed file', JSON.stringify({ tasks: two }, null, 2)],
    ['JSON Lines', two.map((x) => JSON.stringify(x)).join('\n')],
    ['JSON Lines with blank lines and a trailing newline', `\n${JSON.stringify(two[0])}\n\n${JSON.stringify(two[1])}\n`],
    ['JSON Lines with CRLF line ends', two.map((x) => JSON.stringify(x)).join('\r\n')],
    ['a file starting with a byte-order mark', `\uFEFF${JSON.stringify(two)}`],
  ])('%s', (_what, text) => {
    expect(parseTasksFile(text, F)).toEqual(two);
  });

  it.each([
    ['a single task object', '{"id":"a","type":"t"}', [{ id: 'a', type: 't' }]],
    ['an empty array', '[]', []],
    ['an empty tasks list', '{"tasks":[]}', []],
  ])('%s', (_what, text, expected) => {
    expect(parseTasksFile(text, F)).toEqual(expected);
  });

  it('drops extra task fields and keeps data as given', () => {
    expect(parseTasksFile('[{"id":"a","type":"t","status":"completed","data":[1,null]}]', F)).toEqual([{ id: 'a', type: 't', data: [1, null] }]);
  });

  it('keeps null data', () => {
    expect(parseTasksFile('[{"id":"a","type":"t","data":null}]', F)).toEqual([{ id: 'a', type: 't', data: null }]);
  });

  it.each([
    ['unicode', 'tâche-✓-😀', { note: 'naïve – “quoted” 日本' }],
    ['quotes', `it's "quoted"`, { q: `'single' "double" \`back\`` }],
    ['shell syntax', '$(touch pwned)', { cmd: '$(touch pwned); `rm -rf /` && echo $HOME' }],
    ['backslashes and newlines', 'a\\b\nc', { s: 'line\none\\two\t' }],
  ])('passes %s in ids and data through verbatim', (_what, id, data) => {
    expect(parseTasksFile(JSON.stringify([{ id, type: 't', data }]), F)).toEqual([{ id, type: 't', data }]);
  });
});

describe('parseTasksFile rejects', () => {
  it.each([
    ['an empty file', '', `${F} is empty`],
    ['a blank file', ' \n\t\n', `${F} is empty`],
    ['a scalar', '42', `${F}: expected {"tasks":[…]}, a JSON array, or JSON Lines, got number 42.`],
    ['a string', '"hi"', 'got string "hi"'],
    ['null', 'null', 'got null'],
    ['tasks that is not an array', '{"tasks":{}}', `${F}: \`tasks\` must be an array, got an object.`],
  ])('%s', (_what, text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  it.each([
    ['a missing id', '[{"type":"t"}]', `${F}: task #1: missing \`id\`.`],
    ['a missing type', '[{"id":"a"}]', `${F}: task #1: missing \`type\`.`],
    ['a numeric id', '[{"id":5,"type":"t"}]', `${F}: task #1: \`id\` must be a string, got 5.`],
    ['a null id', '[{"id":null,"type":"t"}]', `${F}: task #1: \`id\` must be a string, got null.`],
    ['a numeric type', '[{"id":"a","type":7}]', `${F}: task #1: \`type\` must be a string, got 7.`],
    ['an empty id', '[{"id":"","type":"t"}]', `${F}: task #1: \`id\` must not be empty.`],
    ['an empty type', '[{"id":"a","type":""}]', `${F}: task #1: \`type\` must not be empty.`],
    ['a bad second task', '{"tasks":[{"id":"a","type":"t"},{"id":"b"}]}', `${F}: task #2: missing \`type\`.`],
    ['a bad task in JSON Lines', '{"id":"a","type":"t"}\n\n{"type":"t"}', `${F}: line 3: missing \`id\`.`],
  ])('%s, naming the task', (_what, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it.each([
    ['a number', '[1]', 'got number 1'],
    ['a string', '["a"]', 'got string "a"'],
    ['null', '[null]', 'got null'],
    ['an array', '[[]]', 'got an array'],
  ])('a task that is %s', (_what, text, got) => {
    expect(errorOf(text)).toBe(`${F}: task #1 must be an object with \`id\` and \`type\`, ${got}.`);
  });

  it.each([
    ['in an array', '[{"id":"a","type":"t"},{"id":"b","type":"t"},{"id":"a","type":"u"}]', `${F}: task #3: duplicate task id "a" (first at task #1).`],
    ['in a tasks object', '{"tasks":[{"id":"x","type":"t"},{"id":"x","type":"t"}]}', `${F}: task #2: duplicate task id "x" (first at task #1).`],
    ['in JSON Lines', '{"id":"a","type":"t"}\n{"id":"b","type":"t"}\n{"id":"a","type":"t"}', `${F}: line 3: duplicate task id "a" (first at line 1).`],
  ])('duplicate ids %s, naming both places', (_what, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it.each([
    ['a missing comma', '[\n  {"id":"a","type":"t"},\n  {"id":"b" "type":"t"}\n]', 'line 3, column 13'],
    ['an unterminated array', '[{"id":"a","type":"t"}', 'line 1, column 23'],
  ])('invalid JSON (%s) with line and column', (_what, text, place) => {
    expect(errorOf(text)).toMatch(new RegExp(`^${F}: invalid JSON at ${place}: `));
  });

  it('a truncated file as invalid JSON at the place where it ends', () => {
    expect(errorOf('{"tasks":[')).toBe(`${F}: invalid JSON at line 1, column 11: expected a closing bracket.`);
  });

  // On Node 20, V8 reports "Unexpected token" errors without "at position N"; the place still
  // comes out right.
  it.each([
    ['a trailing comma', '{"tasks":[{"id":"a","type":"t"},]}', 'line 1, column 33'],
    ['a missing value', '[\n{"id":"a","type":}\n]', 'line 2, column 18'],
    ['text that is not JSON', 'not json', 'line 1, column 1'],
  ])('invalid JSON (%s) with the line and column of the bad token', (_what, text, place) => {
    expect(errorOf(text)).toMatch(new RegExp(`^${F}: invalid JSON at ${place}: `));
  });

  it('a broken JSON Lines line, naming the line', () => {
    expect(errorOf('{"id":"a","type":"t"}\n{"id":"b","type":"t",}\n')).toMatch(new RegExp(`^${F}: invalid JSON on line 2 `));
  });

  // The position is computed within the one line, so it reads "on line 2 at line 1, column 21".
  it('a broken JSON Lines line, without a second line number that contradicts the first', () => {
    const message = errorOf('{"id":"a","type":"t"}\n{"id":"b","type":"t"\n');
    expect(message).toContain('column 21');
    expect(message).not.toContain('line 1,');
  });
});

describe('lineColumn', () => {
  it.each([
    ['abc', 0, 'line 1, column 1'],
    ['abc', 2, 'line 1, column 3'],
    ['ab\ncd', 3, 'line 2, column 1'],
    ['ab\ncd', 4, 'line 2, column 2'],
    ['a\n\n\nb', 4, 'line 4, column 1'],
  ])('places offset %j/%d at %s', (text, offset, expected) => {
    expect(lineColumn(text, offset)).toBe(expected);
  });
});
