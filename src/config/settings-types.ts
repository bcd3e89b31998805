import type { TableRow, Use } from './table.js';

/*
 * The settings' types, derived from the settings table (table.ts): a field per row, named by the
 * row's `field` or `key`, of the type its parser, choices or kind give. Types only.
 */

/** The rows written in the table (not those made from the agents' own options, typed as any Setting). */
type Row = TableRow extends infer R ? (R extends { key: infer K extends string } ? (string extends K ? never : R) : never) : never;
/** The rows a command of this use takes. */
type RowFor<U extends Use> = Row extends infer R ? (R extends { for: readonly (infer X)[] } ? (U extends X ? R : never) : never) : never;
type KeyOf<R> = R extends { key: infer K extends string } ? K : never;
type FieldName<R> = R extends { field: infer F extends string } ? F : KeyOf<R>;
/** A value's type: what its parser returns, else one of its choices, else its kind's. */
type ValueOf<R> = R extends { parse: (text: string) => infer P }
  ? P
  : R extends { choices: readonly (infer C)[] }
    ? C
    : R extends { kind: 'number' }
      ? number
      : R extends { kind: 'boolean' }
        ? boolean
        : R extends { kind: 'list' }
          ? string[]
          : string;

/** The settings of a use by their field name (WorkerSettings' names: `graceSec`), each optional. */
export type SettingsByField<U extends Use> = { [R in RowFor<U> as FieldName<R>]?: ValueOf<R> };
/** The same by key (commander's and the config file's names: `grace`). */
export type SettingsByKey<U extends Use> = { [R in RowFor<U> as KeyOf<R>]?: ValueOf<R> };
/** The defaults of a use's settings that have one, by field name. */
export type DefaultsByField<U extends Use> = { [R in Extract<RowFor<U>, { default: unknown }> as FieldName<R>]: ValueOf<R> };
