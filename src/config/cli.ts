import { Option } from 'commander';
import type { Command } from 'commander';
import { settingsFor } from './table.js';
import type { Setting, Use } from './table.js';

export interface SettingsOptions {
  /** Whether the last run's recorded settings count, given the command's flags (not with `--reset`). */
  lastRun?: (flags: Record<string, unknown>) => boolean;
  /** Whether only the command line counts (a worker started by `ralph run`, which passed it every setting). */
  flagsOnly?: () => boolean;
  /** Help texts that differ for this command. */
  descriptions?: Readonly<Record<string, string>>;
}

interface Registered {
  settings: Setting[];
  options: SettingsOptions;
}

const registered = new WeakMap<Command, Registered>();

/**
 * Adds the flags of the settings `use` takes to `command` (see table.ts), and, once per command, the
 * hook that gives each its effective value before the action runs: flags > environment > config file
 * > the last run > defaults. The action sees them as commander's option values, as if given as flags.
 */
export function addSettings(command: Command, use: Use, options: SettingsOptions = {}): Command {
  let entry = registered.get(command);
  if (!entry) {
    const created: Registered = { settings: [], options: {} };
    entry = created;
    registered.set(command, created);
    command.hook('preAction', async () => applySettings(command, created));
  }
  Object.assign(entry.options, options);
  for (const setting of settingsFor(use)) {
    if (entry.settings.includes(setting)) continue;
    entry.settings.push(setting);
    command.addOption(optionOf(setting, options.descriptions?.[setting.key]));
  }
  return command;
}

function optionOf(setting: Setting, description = setting.description): Option {
  const option = new Option(setting.flags, setting.env ? `${description} [env ${setting.env}]` : description);
  if (setting.choices) option.choices([...setting.choices]);
  else if (setting.kind === 'list') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  else if (setting.parse) option.argParser(setting.parse);
  // A list (repeatable) with nothing by default says "none" in the help, not "[]".
  if (setting.default !== undefined) option.default(setting.default, Array.isArray(setting.default) && setting.default.length === 0 ? 'none' : undefined);
  return option;
}

async function applySettings(command: Command, entry: Registered): Promise<void> {
  const flags: Record<string, unknown> = {};
  for (const setting of entry.settings) {
    if (command.getOptionValueSource(setting.key) === 'cli') flags[setting.key] = command.getOptionValue(setting.key);
  }
  // Loaded on use: the config file's loader, and the queue for the last run.
  const { effectiveSettings } = await import('./effective.js');
  // Where the queue is comes from the environment too when the rest must come as flags (a run's
  // worker: a database's URL holds a password, which is kept off command lines), and never from the
  // last run (which is in that queue).
  const queue = entry.settings.filter((s) => s.for.includes('queue'));
  const rest = entry.settings.filter((s) => !s.for.includes('queue'));
  const base = { flags, env: process.env, cwd: process.cwd() };
  const apply = (settings: readonly Setting[], effective: ReturnType<typeof effectiveSettings>) => {
    for (const setting of settings) {
      const source = effective.sources[setting.key]!.kind;
      command.setOptionValueWithSource(setting.key, effective.values[setting.key], source === 'flag' ? 'cli' : source);
    }
  };
  // The queue first: whether the last run is read depends on where the queue is.
  apply(queue, effectiveSettings(queue, { ...base, lastRun: false, flagsOnly: false }));
  const lastRun = entry.options.lastRun?.(command.opts()) ?? false;
  const flagsOnly = entry.options.flagsOnly?.() ?? false;
  // A queue in a database keeps its last run there: read before the settings are resolved.
  const { queue: url, queueName } = command.opts() as { queue?: string; queueName?: string };
  // Nothing read (no such queue yet, or the database cannot be reached): no last run, and never the
  // one of a file queue that happens to be under --dir.
  const lastRunOf =
    lastRun && !flagsOnly && url
      ? ((await (await import('../store/open.js')).readLastRun({ url, name: queueName ?? 'default' })) ?? { run: undefined, where: '' })
      : undefined;
  apply(rest, effectiveSettings(rest, { ...base, lastRun, flagsOnly, ...(lastRunOf ? { lastRunOf } : {}) }));
}
