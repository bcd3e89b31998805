import { describe, expect, it } from 'vitest';
import type { AgentOptions } from '../../src/agents/cli-spec.js';
import { claude } from '../../src/agents/adapters/claude.js';
import { codex } from '../../src/agents/adapters/codex.js';
import { copilot } from '../../src/agents/adapters/copilot.js';
import { cursor } from '../../src/agents/adapters/cursor.js';
import { gemini } from '../../src/agents/adapters/gemini.js';
import { opencode } from '../../src/agents/adapters/opencode.js';
import { hasPermissionFlag, PERMISSION_LEVELS, permissionLevel } from '../../src/agents/permissions.js';
import type { PermissionGrant, PermissionLevel } from '../../src/agents/permissions.js';
import { AGENTS, agentSpec, createAgent } from '../../src/agents/registry.js';
import { InputError } from '../../src/errors.js';

const ctx = (isRoot = false) => ({ promptFile: '/tmp/ralph/prompt.md', cwd: '/srv/work', isRoot });
const args = (...a: string[]): PermissionGrant => ({ args: a });

// The one table of docs/agents.md (src/agents/permission-table.ts), as each adapter gives it (not as root; claude as root below).
const TABLE: Record<string, Record<PermissionLevel, PermissionGrant | 'unsupported'>> = {
  claude: {
    auto: args('--permission-mode', 'bypassPermissions'),
    edit: args('--permission-mode', 'acceptEdits', '--disallowedTools', 'Bash'),
    'read-only': args('--permission-mode', 'dontAsk', '--disallowedTools', 'Bash,Edit,Write,NotebookEdit'),
  },
  codex: {
    auto: args('--sandbox', 'workspace-write'),
    edit: args('--sandbox', 'workspace-write', '--disable', 'shell_tool'),
    'read-only': args('--sandbox', 'read-only'),
  },
  gemini: {
    auto: args('--approval-mode', 'yolo'),
    edit: args('--approval-mode', 'auto_edit'),
    'read-only': args('--approval-mode', 'default'),
  },
  opencode: {
    auto: args(),
    edit: { args: [], env: { OPENCODE_PERMISSION: '{"bash":"deny"}' } },
    'read-only': { args: [], env: { OPENCODE_PERMISSION: '{"edit":"deny","bash":"deny"}' } },
  },
  aider: {
    auto: args(),
    edit: args('--no-suggest-shell-commands'),
    'read-only': args('--chat-mode', 'ask', '--no-suggest-shell-commands', '--no-gitignore'),
  },
  amp: { auto: args(), edit: 'unsupported', 'read-only': 'unsupported' },
  cursor: { auto: args(), edit: 'unsupported', 'read-only': args('--mode', 'ask') },
  copilot: {
    auto: args('--allow-all-tools'),
    edit: args('--allow-all-tools', '--deny-tool', 'shell'),
    'read-only': args('--allow-all-tools', '--deny-tool', 'shell', '--deny-tool', 'write'),
  },
};

describe("--permissions: each CLI's own flags", () => {
  it('covers every agent', () => {
    expect(Object.keys(TABLE).sort()).toEqual(AGENTS.map((a) => a.name).sort());
  });

  it.each(AGENTS.flatMap((spec) => PERMISSION_LEVELS.map((level) => [spec.name, level] as const)))('%s %s', (name, level) => {
    const expected = TABLE[name]![level];
    const grant = agentSpec(name).permissions(level, { isRoot: false });
    if (expected === 'unsupported') expect(grant).toEqual({ unsupported: expect.any(String) });
    else expect(grant).toEqual(expected);
  });

  it('claude as root: acceptEdits with Bash allowed for auto (it refuses bypassPermissions as root); the other levels the same', () => {
    expect(claude.permissions('auto', { isRoot: true })).toEqual(args('--permission-mode', 'acceptEdits', '--allowedTools', 'Bash'));
    for (const level of ['edit', 'read-only'] as const) expect(claude.permissions(level, { isRoot: true })).toEqual(TABLE.claude![level]);
  });
});

describe('--permissions in the built command', () => {
  const build = (spec: typeof claude | typeof codex | typeof gemini | typeof copilot | typeof opencode, over: Partial<AgentOptions>, isRoot = false) =>
    spec.build('the prompt', { extraArgs: [], ...over }, ctx(isRoot));

  it.each<[string, Partial<AgentOptions>, boolean, string[]]>([
    ['edit', { permissions: 'edit' }, false, ['--permission-mode', 'acceptEdits', '--disallowedTools', 'Bash']],
    [
      'read-only, a model',
      { permissions: 'read-only', model: 'opus' },
      false,
      ['--model', 'opus', '--permission-mode', 'dontAsk', '--disallowedTools', 'Bash,Edit,Write,NotebookEdit'],
    ],
    // ralph's own claude flags take the place of the mode and of the allowed tools; what the level refuses stays refused.
    [
      'edit with --permission-mode',
      { permissions: 'edit', own: { permissionMode: 'default' } },
      false,
      ['--permission-mode', 'default', '--disallowedTools', 'Bash'],
    ],
    [
      'read-only with --allowed-tools',
      { permissions: 'read-only', own: { allowedTools: 'Bash(git log:*)' } },
      false,
      ['--permission-mode', 'dontAsk', '--allowedTools', 'Bash(git log:*)', '--disallowedTools', 'Bash,Edit,Write,NotebookEdit'],
    ],
    ['auto as root with --permission-mode (no Bash allowance then)', { own: { permissionMode: 'plan' } }, true, ['--permission-mode', 'plan']],
    // A flag that allows or sets the mode in --agent-args replaces the mapping; one that only refuses adds to it.
    [
      'read-only, --permission-mode in --agent-args',
      { permissions: 'read-only', extraArgs: ['--permission-mode=acceptEdits'] },
      false,
      ['--permission-mode=acceptEdits'],
    ],
    [
      "--allowedTools in --agent-args, with ralph's --permission-mode",
      { extraArgs: ['--allowedTools', 'Read'], own: { permissionMode: 'default' } },
      false,
      ['--permission-mode', 'default', '--allowedTools', 'Read'],
    ],
    [
      'edit, --disallowedTools in --agent-args',
      { permissions: 'edit', extraArgs: ['--disallowedTools', 'WebFetch'] },
      false,
      ['--permission-mode', 'acceptEdits', '--disallowedTools', 'Bash', '--disallowedTools', 'WebFetch'],
    ],
  ])('claude: %s', (_what, over, isRoot, expected) => {
    expect(build(claude, over, isRoot).args).toEqual(['-p', '--output-format', 'stream-json', '--verbose', ...expected]);
  });

  it.each<[string, Partial<AgentOptions>, string[]]>([
    ['edit', { permissions: 'edit' }, ['--sandbox', 'workspace-write', '--disable', 'shell_tool', '--skip-git-repo-check']],
    ['read-only', { permissions: 'read-only' }, ['--sandbox', 'read-only', '--skip-git-repo-check']],
    [
      "edit with the API's sandbox",
      { permissions: 'edit', own: { sandbox: 'danger-full-access' } },
      ['--sandbox', 'danger-full-access', '--disable', 'shell_tool', '--skip-git-repo-check'],
    ],
    // Before, both --sandbox flags were passed.
    ['--sandbox in --agent-args', { permissions: 'edit', extraArgs: ['--sandbox', 'read-only'] }, ['--skip-git-repo-check', '--sandbox', 'read-only']],
    ['-s in --agent-args', { extraArgs: ['-s', 'danger-full-access'] }, ['--skip-git-repo-check', '-s', 'danger-full-access']],
  ])('codex: %s', (_what, over, expected) => {
    expect(build(codex, over).args).toEqual(['exec', '--json', ...expected, '-']);
  });

  it.each<[string, Partial<AgentOptions>, string[]]>([
    ['edit', { permissions: 'edit' }, ['--approval-mode', 'auto_edit', '-p', expect.any(String) as unknown as string]],
    ['read-only, --yolo in --agent-args', { permissions: 'read-only', extraArgs: ['--yolo'] }, ['-p', expect.any(String) as unknown as string, '--yolo']],
  ])('gemini: %s', (_what, over, expected) => {
    expect(build(gemini, over).args).toEqual(['--output-format', 'json', ...expected]);
  });

  it.each<[string, Partial<AgentOptions>, string[]]>([
    ['read-only', { permissions: 'read-only' }, ['--allow-all-tools', '--deny-tool', 'shell', '--deny-tool', 'write']],
    [
      'edit, another denial in --agent-args (added)',
      { permissions: 'edit', extraArgs: ['--deny-tool', 'write(.env)'] },
      ['--allow-all-tools', '--deny-tool', 'shell', '--deny-tool', 'write(.env)'],
    ],
    [
      'read-only, --allow-tool in --agent-args (replaces)',
      { permissions: 'read-only', extraArgs: ['--allow-tool', 'shell(git:*)'] },
      ['--allow-tool', 'shell(git:*)'],
    ],
  ])('copilot: %s', (_what, over, expected) => {
    expect(build(copilot, over).args).toEqual(['-p', 'the prompt', ...expected]);
  });

  it('opencode: the level in OPENCODE_PERMISSION, nothing for auto', () => {
    expect(build(opencode, { permissions: 'read-only' }).env).toEqual({ OPENCODE_PERMISSION: '{"edit":"deny","bash":"deny"}' });
    expect(build(opencode, {}).env).toEqual({});
  });
});

describe('--permissions when the agent is chosen', () => {
  it.each<[string, string, RegExp]>([
    ['amp', 'edit', /^--permissions edit: Amp runs every tool without asking .*; with it use --permissions auto$/],
    ['amp', 'read-only', /^--permissions read-only: Amp .*; with it use --permissions auto$/],
    [
      'cursor',
      'edit',
      /^--permissions edit: Cursor Agent has no mode or flag that allows edits but refuses shell commands; with it use --permissions auto or read-only$/,
    ],
  ])('%s %s: refused before anything runs, in one line', (agent, permissions, message) => {
    const attempt = () => createAgent({ agent, permissions }, { env: {} });
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });

  it("a direct build with such a level throws the same error (never runs with the CLI's defaults instead)", () => {
    expect(() => cursor.build('p', { extraArgs: [], permissions: 'edit' }, ctx())).toThrow(/^--permissions edit: Cursor Agent has no mode/);
    expect(() => cursor.build('p', { extraArgs: ['--force'], permissions: 'edit' }, ctx())).toThrow(InputError);
  });

  it('an --agent-cmd with any level but auto: refused (ralph cannot hold a command to it)', () => {
    expect(() => createAgent({ agentCmd: './agent.sh', permissions: 'read-only' })).toThrow(/^--permissions read-only: cannot be enforced on --agent-cmd/);
    expect(() => createAgent({ agentCmd: './agent.sh', permissions: 'auto' })).not.toThrow();
  });

  it('the level reaches the adapter; an unknown one is refused', () => {
    expect(createAgent({ agent: 'gemini', permissions: 'edit' }, { env: {} })).toMatchObject({ options: { permissions: 'edit' } });
    expect(() => permissionLevel('none')).toThrow('--permissions "none": expected one of auto, edit, read-only');
    expect(permissionLevel(undefined)).toBe('auto');
  });
});

describe('hasPermissionFlag', () => {
  it.each<[string[], boolean]>([
    [['--sandbox', 'read-only'], true],
    [['--sandbox=read-only'], true],
    [['-s', 'read-only'], true],
    [['--sandboxed'], false],
    [['-c', 'model="o3"'], false],
    [[], false],
  ])('%j', (given, found) => {
    expect(hasPermissionFlag(given, codex.permissionFlags)).toBe(found);
  });
});
