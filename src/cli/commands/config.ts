import type { Command } from 'commander';
import { CONFIG_FILE, PACKAGE_KEY } from '../../config/file.js';
import { effectiveSettings } from '../../config/effective.js';
import type { Effective } from '../../config/effective.js';
import type { Source } from '../../config/precedence.js';
import { SETTINGS } from '../../config/table.js';
import { configureRedaction } from '../../redact/process.js';
import { oneLine } from '../../redact/sanitize.js';
import { print, printJson } from '../output.js';
import { dirOption } from './common.js';

export function registerConfig(program: Command): void {
  const command = program
    .command('config')
    .description('print the effective settings and where each comes from: a flag, the environment, the config file, the last run, or the default')
    .option('--json', 'machine-readable output');
  dirOption(command);
  command.addHelpText(
    'after',
    `
Settings come from, first to last: the command's flags; environment variables (RALPH_WORKERS, …);
the config file, ${CONFIG_FILE} or the "${PACKAGE_KEY}" key of package.json (the nearest one from here
up), keys named like the flags in camelCase ({"agentCmd": "./agent.sh", "workers": 4}); the settings
the last \`ralph run\` recorded in the queue (a resume; not after --reset); the defaults. This shows
them as a \`ralph run\` without flags would get them.`,
  );
  command.action((flags: { dir: string; json?: boolean }) => {
    const given = command.getOptionValueSource('dir') === 'cli' ? { dir: flags.dir } : {};
    const effective = effectiveSettings(SETTINGS, { flags: given, env: process.env, cwd: process.cwd(), lastRun: true });
    configureRedaction(effective.values.redact as string[]);
    if (flags.json) printJson(asJson(effective));
    else printText(effective);
  });
}

function asJson(effective: Effective): unknown {
  const settings = Object.fromEntries(
    SETTINGS.map((s) => {
      const source = effective.sources[s.key]!;
      return [
        s.key,
        {
          value: effective.values[s.key] ?? null,
          source: source.kind,
          ...(source.from ? { from: source.from } : {}),
          flag: s.flags.split(' ')[0],
          ...(s.env ? { env: s.env } : {}),
        },
      ];
    }),
  );
  return { config_file: effective.file ?? null, settings };
}

function printText(effective: Effective): void {
  const rows = SETTINGS.map((s) => [s.key, shown(effective.values[s.key]), describe(effective.sources[s.key]!)] as const);
  const width = (i: 0 | 1) => Math.min(40, Math.max(...rows.map((r) => r[i].length)));
  for (const [key, value, source] of rows) print(`  ${key.padEnd(width(0))}  ${value.padEnd(width(1))}  ${source}`.trimEnd());
  print(
    effective.file
      ? `Config file: ${effective.file}`
      : `No config file (${CONFIG_FILE}, or a "${PACKAGE_KEY}" key in package.json, from here up to the home directory).`,
  );
}

function shown(value: unknown): string {
  if (value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(',');
  if (typeof value === 'object' && value !== null) return oneLine(JSON.stringify(value));
  return oneLine(String(value));
}

function describe(source: Source): string {
  switch (source.kind) {
    case 'flag':
      return `flag ${source.from ?? ''}`;
    case 'env':
      return `env ${source.from ?? ''}`;
    case 'config':
      return source.from ? relativeName(source.from) : 'config file';
    case 'last-run':
      return `last run (${source.from ?? 'the queue'})`;
    default:
      return 'default';
  }
}

function relativeName(path: string): string {
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}
