import { InputError } from '../errors.js';

/**
 * `--permissions`: one model for what every agent may do, mapped by each adapter to its CLI's own
 * flags (each CliSpec's `permissions`; the table in docs/agents.md):
 *
 * - `auto`: edit files and run commands in the working directory, never asking (unattended runs);
 * - `edit`: edit files, no shell;
 * - `read-only`: no edits, no shell (analysis tasks).
 */
export const PERMISSION_LEVELS = ['auto', 'edit', 'read-only'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export const DEFAULT_PERMISSIONS: PermissionLevel = 'auto';

/** What a level becomes for one CLI: arguments and environment, or why the CLI cannot honour it. */
export type PermissionGrant = { args: string[]; env?: Record<string, string> } | { unsupported: string };

/** The grant of a CLI that takes the level as a flag per level (most of them). */
export type PermissionTable = Readonly<Record<PermissionLevel, PermissionGrant>>;

/** The level asked for (undefined: the default); an unknown one is a user error. */
export function permissionLevel(value: string | undefined): PermissionLevel {
  if (value === undefined) return DEFAULT_PERMISSIONS;
  if ((PERMISSION_LEVELS as readonly string[]).includes(value)) return value as PermissionLevel;
  throw new InputError(`--permissions ${JSON.stringify(value)}: expected one of ${PERMISSION_LEVELS.join(', ')}`);
}

/**
 * Whether `args` (the user's `--agent-args`) hold one of `flags`, as `--flag`, `--flag=value` or, for
 * a short flag, `-f`: then they say what the agent may do, and the mapped grant is left out.
 */
export function hasPermissionFlag(args: readonly string[], flags: readonly string[]): boolean {
  return args.some((arg) => flags.some((flag) => arg === flag || (flag.startsWith('--') && arg.startsWith(`${flag}=`))));
}

/**
 * The one-line error for a level a CLI cannot honour, or undefined: a run refuses to start rather
 * than run its agent with more rights than it was given.
 */
export function permissionProblem(title: string, level: PermissionLevel, table: (level: PermissionLevel) => PermissionGrant): string | undefined {
  const grant = table(level);
  if (!('unsupported' in grant)) return undefined;
  const usable = PERMISSION_LEVELS.filter((l) => !('unsupported' in table(l)));
  return `--permissions ${level}: ${title} ${grant.unsupported}; with it use --permissions ${usable.join(' or ')}`;
}

/**
 * The arguments and environment `--permissions` gives one run of `spec`: the mapped grant, or
 * nothing when the user's `--agent-args` hold one of the CLI's own permission flags. A level the CLI
 * cannot honour throws (createAgent refuses it before anything runs; this is for direct callers).
 */
export function grantFor(
  spec: { title: string; permissions(level: PermissionLevel, ctx: { isRoot: boolean }): PermissionGrant; readonly permissionFlags: readonly string[] },
  options: { permissions?: PermissionLevel; extraArgs: readonly string[] },
  ctx: { isRoot: boolean },
): { args: string[]; env: Record<string, string> } {
  const level = options.permissions ?? DEFAULT_PERMISSIONS;
  const grant = spec.permissions(level, ctx);
  if ('unsupported' in grant) throw new InputError(permissionProblem(spec.title, level, (l) => spec.permissions(l, ctx))!);
  if (hasPermissionFlag(options.extraArgs, spec.permissionFlags)) return { args: [], env: {} };
  return { args: grant.args, env: grant.env ?? {} };
}
