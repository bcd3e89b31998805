import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import type { z as Zod, ZodType } from 'zod';
import { InputError } from '../errors.js';
import { describe, tryParse, where } from '../queue/tasks-file.js';
import type { Layer } from './precedence.js';
import { SETTINGS } from './table.js';
import type { Setting } from './table.js';
import { checked } from './values.js';

/** The project's config file, or the `"ralph"` key of its package.json: the first found, from here up. */
export const CONFIG_FILE = 'ralph.config.json';
export const PACKAGE_KEY = 'ralph';

// Loaded only by the commands that look for a config file (never by a worker a run starts), and zod
// only when there is one: zod alone takes ~60 ms to load.
const load = createRequire(import.meta.url);

/** The settings of the nearest config file (from `cwd` up to the home directory), checked; undefined without one. */
export function configLayer(cwd: string): Layer | undefined {
  const { lilconfigSync } = load('lilconfig') as typeof import('lilconfig');
  const found = lilconfigSync(PACKAGE_KEY, {
    searchPlaces: [CONFIG_FILE, 'package.json'],
    packageProp: PACKAGE_KEY,
    loaders: { '.json': (path, text) => parseJson(path, text, cwd) },
    cache: false,
  }).search(cwd);
  if (!found) return undefined;
  const prefix = basename(found.filepath) === 'package.json' ? `${PACKAGE_KEY}.` : '';
  return { kind: 'config', where: found.filepath, values: checkConfig(found.config, found.filepath, prefix, cwd) };
}

function parseJson(path: string, text: string, cwd: string): unknown {
  const parsed = tryParse(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) throw new InputError(`${shown(path, cwd)}: invalid JSON${where(text, parsed.offset, true)}: ${parsed.message}.`);
  return parsed.value;
}

/**
 * The settings of one config file, validated against the settings table; the first problem is the
 * error, in one line naming the file and the key. Paths in it are taken relative to its directory.
 */
export function checkConfig(config: unknown, path: string, prefix: string, cwd: string): Record<string, unknown> {
  const file = shown(path, cwd);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new InputError(`${file}: expected an object of settings${prefix ? ` in "${PACKAGE_KEY}"` : ''}, got ${describe(config)}.`);
  }
  const { z } = load('zod') as typeof import('zod');
  const shape: Record<string, ZodType> = { $schema: z.string().optional() };
  for (const setting of SETTINGS) shape[setting.key] = schemaOf(z, setting).optional();
  const result = z.strictObject(shape).safeParse(config);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InputError(`${file}: ${problem(issue, config as Record<string, unknown>, prefix)}`);
  }
  const values: Record<string, unknown> = { ...result.data };
  delete values.$schema;
  for (const setting of SETTINGS) {
    const value = values[setting.key];
    if (setting.path && typeof value === 'string' && !isAbsolute(value)) values[setting.key] = relative(cwd, resolve(dirname(path), value)) || '.';
  }
  return values;
}

function schemaOf(z: typeof Zod, setting: Setting): ZodType {
  // An object is checked whole by its setting's parser, which names what is wrong inside it.
  const base = { number: z.number(), string: z.string(), boolean: z.boolean(), list: z.array(z.string()), object: z.unknown() }[setting.kind];
  if (setting.kind === 'list' || setting.kind === 'boolean') return base;
  return base.superRefine((value, ctx) => {
    try {
      checked(setting, value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
}

const EXPECTED: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list of strings' };

function problem(issue: Zod.core.$ZodIssue, config: Record<string, unknown>, prefix: string): string {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const near = SETTINGS.find((s) => squash(s.key) === squash(key));
    return `unknown key "${prefix}${key}"${near ? ` (did you mean "${prefix}${near.key}"?)` : ''}; \`ralph config\` lists the settings.`;
  }
  const key = `"${prefix}${issue.path.join('.')}"`;
  if (issue.code === 'invalid_type') {
    const value = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], config);
    return `${key}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(value)}.`;
  }
  return `${key}: ${issue.message}`;
}

function squash(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A path as the user would type it from `cwd`: relative when inside it. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
