import { DEFAULT_PERMISSIONS, hasPermissionFlag } from './permissions.js';
import type { PermissionLevel, PermissionTable } from './permissions.js';
import { str } from './parse/json.js';
import type { AgentOptions } from './cli-spec.js';

/**
 * What `--permissions` becomes for each agent CLI: the table of docs/agents.md, as the adapters use
 * it (test/agents/permissions.test.ts; the real-binary tests in test/agents/permissions-*real.test.ts).
 * `flags`: the CLI's own flags that set its mode or allow tools; one of them in --agent-args replaces
 * the level's flags (a flag that only refuses more adds to them).
 */
export interface CliPermissions {
  levels: PermissionTable;
  flags: readonly string[];
}

/** claude's flags that set its mode or allow tools. */
export const CLAUDE_PERMISSION_FLAGS: readonly string[] = ['--permission-mode', '--allowedTools', '--allowed-tools', '--dangerously-skip-permissions'];

interface ClaudeGrant {
  mode?: string;
  allowed?: string;
  disallowed?: string;
}

/**
 * `--permissions` as claude flags. auto: bypassPermissions, which claude refuses as root: then
 * acceptEdits, which alone refuses most shell commands unattended, with Bash allowed. edit: edits
 * accepted, Bash not offered. read-only: dontAsk (whatever needs a permission is refused, never
 * asked) and neither Bash nor the editing tools offered.
 */
function claudeGrant(level: PermissionLevel, isRoot: boolean): ClaudeGrant {
  switch (level) {
    case 'auto':
      return isRoot ? { mode: 'acceptEdits', allowed: 'Bash' } : { mode: 'bypassPermissions' };
    case 'edit':
      return { mode: 'acceptEdits', disallowed: 'Bash' };
    case 'read-only':
      return { mode: 'dontAsk', disallowed: 'Bash,Edit,Write,NotebookEdit' };
  }
}

/** claude's flags for a level (root: see claudeGrant). */
export function claudeGrantArgs(level: PermissionLevel, isRoot: boolean): string[] {
  return grantArgs(claudeGrant(level, isRoot));
}

function grantArgs(grant: ClaudeGrant): string[] {
  return [
    ...(grant.mode ? ['--permission-mode', grant.mode] : []),
    ...(grant.allowed ? ['--allowedTools', grant.allowed] : []),
    ...(grant.disallowed ? ['--disallowedTools', grant.disallowed] : []),
  ];
}

/**
 * The grant, with ralph's `--permission-mode` and `--allowed-tools` in place of its mode and its
 * allowed tools (a chosen mode drops root's Bash allowance too); the tools the level refuses stay
 * refused. A mode the user asked for is passed as it is: claude says if it refuses. A permission
 * flag in --agent-args replaces the grant: only what the user chose is passed then.
 */
export function claudePermissionArgs(options: Pick<AgentOptions, 'permissions' | 'own' | 'extraArgs'>, ctx: { isRoot: boolean }): string[] {
  const mode = str(options.own?.permissionMode);
  const tools = str(options.own?.allowedTools);
  if (hasPermissionFlag(options.extraArgs, CLAUDE_PERMISSION_FLAGS)) return grantArgs({ mode, allowed: tools });
  const grant = claudeGrant(options.permissions ?? DEFAULT_PERMISSIONS, ctx.isRoot);
  return grantArgs({ ...grant, mode: mode ?? grant.mode, allowed: tools ?? (mode ? undefined : grant.allowed) });
}

/**
 * Its sandbox says where commands may write (`exec` never asks). edit: no shell tool at all, its
 * apply_patch tool edits; read-only: the shell stays (it is how Codex reads files), its writes fail.
 */
export const CODEX_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: ['--sandbox', 'workspace-write'] },
    edit: { args: ['--sandbox', 'workspace-write', '--disable', 'shell_tool'] },
    'read-only': { args: ['--sandbox', 'read-only'] },
  },
  flags: ['--sandbox', '-s', '--full-auto', '--dangerously-bypass-approvals-and-sandbox'],
};

/**
 * Headless gemini offers only the tools its approval mode approves: yolo all of them, auto_edit the
 * editing ones but no shell, default neither (gemini refuses two approval modes: one in
 * --agent-args replaces this).
 */
export const GEMINI_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: ['--approval-mode', 'yolo'] },
    edit: { args: ['--approval-mode', 'auto_edit'] },
    'read-only': { args: ['--approval-mode', 'default'] },
  },
  flags: ['--approval-mode', '--yolo', '-y'],
};

/**
 * Every tool allowed (`-p` needs that), minus what the level refuses: a denial wins over
 * --allow-all-tools. A refused tool is still offered; its call is answered "Permission to run this
 * tool was denied".
 */
export const COPILOT_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: ['--allow-all-tools'] },
    edit: { args: ['--allow-all-tools', '--deny-tool', 'shell'] },
    'read-only': { args: ['--allow-all-tools', '--deny-tool', 'shell', '--deny-tool', 'write'] },
  },
  flags: ['--allow-all-tools', '--allow-all', '--yolo', '--allow-tool'],
};

/**
 * opencode's `permission` config, given in OPENCODE_PERMISSION (merged over its config files): a
 * tool denied is not offered at all. auto adds nothing: opencode allows edits and commands itself.
 */
export const OPENCODE_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: [] },
    edit: { args: [], env: { OPENCODE_PERMISSION: JSON.stringify({ bash: 'deny' }) } },
    'read-only': { args: [], env: { OPENCODE_PERMISSION: JSON.stringify({ edit: 'deny', bash: 'deny' }) } },
  },
  flags: [],
};

/**
 * --yes-always answers every question but one: aider runs a shell command it suggests only on an
 * explicit yes, so it runs none unattended, whatever the level. edit: no commands suggested;
 * read-only: its ask mode (answers, edits nothing), and .gitignore left alone.
 */
export const AIDER_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: [] },
    edit: { args: ['--no-suggest-shell-commands'] },
    'read-only': { args: ['--chat-mode', 'ask', '--no-suggest-shell-commands', '--no-gitignore'] },
  },
  flags: ['--chat-mode', '--edit-format', '--suggest-shell-commands'],
};

const AMP_UNSUPPORTED =
  'runs every tool without asking in execute mode and has no flag that refuses some (its amp.permissions rules live in its settings file, which Ralph does not write)';
/** Execute mode runs every tool without asking; refusing some is a matter of Amp's settings file. */
export const AMP_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: [] },
    edit: { unsupported: AMP_UNSUPPORTED },
    'read-only': { unsupported: AMP_UNSUPPORTED },
  },
  flags: ['--dangerously-allow-all'],
};

/**
 * auto: print mode as it is (edits; commands as Cursor's own permission config allows them,
 * `--force` in --agent-args runs them all); read-only: its ask mode. Nothing allows edits but
 * refuses commands.
 */
export const CURSOR_PERMISSIONS: CliPermissions = {
  levels: {
    auto: { args: [] },
    edit: { unsupported: 'has no mode or flag that allows edits but refuses shell commands' },
    'read-only': { args: ['--mode', 'ask'] },
  },
  flags: ['--force', '-f', '--yolo', '--mode', '--plan'],
};
