import type { FileStore } from '../store/file-store.js';
import { openStore } from '../store/open.js';
import type { RunInfo } from '../queue/types.js';
import { configLayer } from './file.js';
import { lastRunValues } from './last-run.js';
import { resolveSettings } from './precedence.js';
import type { Layer, Resolved } from './precedence.js';
import { SETTINGS } from './table.js';
import type { Setting } from './table.js';
import { envLayer } from './values.js';

export interface Sources {
  /** The values given on the command line, by key. */
  flags: Readonly<Record<string, unknown>>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether the last run's recorded settings count (`ralph run`, unless --reset; `ralph worker`). */
  lastRun: boolean;
  /** Only the flags count: a worker started by `ralph run` was given every setting as a flag. */
  flagsOnly?: boolean;
  /** The last run, read already (from a queue in a database); else it is read from the files under the state directory. */
  lastRunOf?: { run: RunInfo | undefined; where: string };
}

export interface Effective extends Resolved {
  /** The config file the settings were read from, if one was found. */
  file: string | undefined;
}

const DIR = SETTINGS.filter((s) => s.key === 'dir');

/** The effective values of `settings`: flags > environment > config file > the last run > defaults. */
export function effectiveSettings(settings: readonly Setting[], from: Sources): Effective {
  const layers: Layer[] = [{ kind: 'flag', values: from.flags }];
  if (from.flagsOnly) return { ...resolveSettings(settings, layers), file: undefined };
  layers.push(envLayer([...new Set([...DIR, ...settings])], from.env));
  const file = configLayer(from.cwd);
  if (file) layers.push(file);
  if (from.lastRun && from.lastRunOf) {
    if (from.lastRunOf.run) layers.push({ kind: 'last-run', where: from.lastRunOf.where, values: lastRunValues(from.lastRunOf.run) });
  } else if (from.lastRun) {
    // The queue the last run is recorded in is the one these settings (and the environment) name.
    const dir = resolveSettings(DIR, layers).values.dir as string;
    const store = openStore(dir);
    const run = lastRun(store);
    if (run) layers.push({ kind: 'last-run', where: store.paths.queue, values: lastRunValues(run) });
  }
  return { ...resolveSettings(settings, layers), file: file?.where };
}

/** The last run of a queue; nothing when there is no queue, or it cannot be read (the command says why). */
function lastRun(store: FileStore): RunInfo | undefined {
  try {
    return store.exists() ? store.read().meta.run : undefined;
  } catch {
    return undefined;
  } finally {
    store.close();
  }
}
