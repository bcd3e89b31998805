import { InputError } from '../errors.js';
import type { Layer } from './precedence.js';
import type { Setting } from './table.js';

/**
 * A setting's value from text (a flag's or an environment variable's): its parser's, or one of its
 * choices. Throws the parser's message, lower-cased to follow a name ("expected a positive integer,
 * got `x`.").
 */
export function fromText(setting: Setting, text: string): unknown {
  switch (setting.kind) {
    case 'list':
      return text
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
    case 'boolean': {
      const yes = ['1', 'true', 'yes', 'on'].includes(text.toLowerCase());
      if (!yes && !['0', 'false', 'no', 'off', ''].includes(text.toLowerCase())) throw new Error(`expected 1/true/yes or 0/false/no, got \`${text}\`.`);
      return yes;
    }
    default:
      return checked(setting, text);
  }
}

/** `value` (parsed from `text`, or read from JSON) if the setting's range and choices allow it. */
export function checked(setting: Setting, value: unknown, text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)): unknown {
  if (setting.choices && !setting.choices.includes(String(value))) {
    throw new Error(`expected one of ${setting.choices.join(', ')}, got ${JSON.stringify(value)}.`);
  }
  if (!setting.parse) return value;
  try {
    return setting.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

/** The settings given by environment variables (RALPH_WORKERS=4 …); a bad value names its variable. Pure. */
export function envLayer(settings: readonly Setting[], env: Readonly<Record<string, string | undefined>>): Layer {
  const values: Record<string, unknown> = {};
  for (const setting of settings) {
    const text = setting.env === undefined ? undefined : env[setting.env];
    if (text === undefined || (text === '' && setting.kind !== 'boolean')) continue;
    try {
      values[setting.key] = fromText(setting, text);
    } catch (error) {
      throw new InputError(`${setting.env}: ${(error as Error).message}`);
    }
  }
  return { kind: 'env', values };
}
