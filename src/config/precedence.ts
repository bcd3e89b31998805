import { InputError } from '../errors.js';
import { longFlag } from './table.js';
import type { Setting } from './table.js';

/** Where a value came from, highest first: flags > env > config file > the last run > defaults. */
export type SourceKind = 'flag' | 'env' | 'config' | 'last-run' | 'default';

/** One place settings come from, with the values it gives (by setting key). */
export interface Layer {
  kind: Exclude<SourceKind, 'default'>;
  /** The config file, or the queue file the last run is recorded in. */
  where?: string;
  values: Readonly<Record<string, unknown>>;
}

export interface Source {
  kind: SourceKind;
  /** The flag, the variable, the config file or the queue file. */
  from?: string;
}

export interface Resolved {
  values: Record<string, unknown>;
  sources: Record<string, Source>;
}

/** What a value recorded with a secret redacted out of it looks like (see redact/redactor.ts). */
const REDACTED = '[REDACTED:';

/**
 * Each setting's value: from the first layer (given highest first) that has it, else its default.
 * A list (`redact`) gathers every layer's items: each only adds names to hide. The agent settings
 * go together: a layer's are used only with the agent that layer chooses (`--agent` or
 * `--agent-cmd`), if it chooses one, so that a new `--agent-cmd` does not inherit the last run's
 * `--model` or `--agent codex`. Pure.
 */
export function resolveSettings(settings: readonly Setting[], layers: readonly Layer[]): Resolved {
  const chosen = layers.map(agentChoice).find((c) => c !== undefined);
  const usable = (layer: Layer, setting: Setting) => !setting.agent || chosen === undefined || [undefined, chosen].includes(agentChoice(layer));
  const resolved: Resolved = { values: {}, sources: {} };
  for (const setting of settings) {
    const giving = layers.filter((l) => l.values[setting.key] !== undefined && usable(l, setting));
    const top = giving[0];
    if (setting.kind === 'list') {
      const items = giving.flatMap((l) => l.values[setting.key] as unknown[]);
      resolved.values[setting.key] = [...new Set([...((setting.default as unknown[] | undefined) ?? []), ...items])];
    } else {
      resolved.values[setting.key] = top ? top.values[setting.key] : setting.default;
      if (top?.kind === 'last-run') refuseRedacted(setting, top);
    }
    resolved.sources[setting.key] = top ? { kind: top.kind, ...sourceName(setting, top) } : { kind: 'default' };
  }
  return resolved;
}

/** The agent a layer chooses, if it chooses one: its `--agent-cmd`, else its `--agent`. */
function agentChoice(layer: Layer): string | undefined {
  const cmd = layer.values.agentCmd;
  if (cmd !== undefined) return `cmd ${String(cmd)}`;
  const agent = layer.values.agent;
  return agent === undefined ? undefined : `agent ${String(agent)}`;
}

function sourceName(setting: Setting, layer: Layer): { from?: string } {
  if (layer.kind === 'flag') return { from: longFlag(setting) };
  if (layer.kind === 'env') return setting.env ? { from: setting.env } : {};
  return layer.where ? { from: layer.where } : {};
}

/** A value the last run recorded with a secret redacted out of it cannot be run again. */
function refuseRedacted(setting: Setting, layer: Layer): void {
  const value = layer.values[setting.key];
  if (typeof value !== 'string' || !value.includes(REDACTED)) return;
  const elsewhere = [setting.env, `"${setting.key}" in ralph.config.json`].filter(Boolean).join(', or ');
  throw new InputError(
    `the last run's ${setting.key} (recorded in ${layer.where ?? 'the queue'}) held a secret and was recorded redacted (${value}); give ${longFlag(setting)} again (or set ${elsewhere}).`,
  );
}
