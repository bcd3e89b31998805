/**
 * The options of one agent CLI's own, which no other CLI has a meaning for: each declared here by
 * its CLI, read by that CLI's spec from `AgentOptions.own`, and made into flags, variables and
 * config keys by the settings table (those with `flags`). Kept apart from the adapters, like
 * names.ts, so that option parsing does not load them.
 */
export interface OwnOption {
  /** The config file key, commander's name for the flag's value, and its key in `AgentOptions.own`. */
  key: string;
  /** commander's flags; none for an option the API alone sets. */
  flags?: string;
  description: string;
}

export const OWN_OPTIONS = {
  claude: [
    { key: 'permissionMode', flags: '--permission-mode <mode>', description: 'claude: --permission-mode, in place of the one --permissions maps to' },
    // Comma or space separated, passed to claude as one argument.
    { key: 'allowedTools', flags: '--allowed-tools <tools>', description: 'claude: --allowedTools, in place of the one --permissions maps to' },
  ],
  codex: [{ key: 'sandbox', description: 'codex: --sandbox, in place of the one --permissions maps to (API only: no flag sets it)' }],
} as const satisfies Record<string, readonly OwnOption[]>;

type Declared = (typeof OWN_OPTIONS)[keyof typeof OWN_OPTIONS][number];
/** The key of an own option of any CLI. */
export type OwnKey = Declared['key'];
/** The keys of those a flag sets. */
export type OwnFlagKey = Extract<Declared, { flags: string }>['key'];
/** The keys of those the API alone sets. */
export type OwnApiKey = Exclude<OwnKey, OwnFlagKey>;
/** Own options' values, by key. */
export type OwnValues = { [K in OwnKey]?: string };

/** Every own option, of every CLI. */
export const ALL_OWN_OPTIONS: readonly OwnOption[] = Object.values(OWN_OPTIONS).flat();

/** The own options among `values` that are set; undefined when none is. */
export function ownValues(values: object): OwnValues | undefined {
  const given = values as Readonly<Record<string, unknown>>;
  const own: Record<string, string> = {};
  for (const { key } of ALL_OWN_OPTIONS) {
    const value = given[key];
    if (typeof value === 'string') own[key] = value;
  }
  return Object.keys(own).length > 0 ? (own as OwnValues) : undefined;
}
