/**
 * For test/agents/permissions-real.test.ts: each real CLI against its mock API, scripted the same
 * way: the first model turn asks for a shell command that writes shell.txt, the next for the CLI's
 * file tool writing edit.txt, the last ends with a finding. What each `--permissions` level lets
 * through is then in the working directory (which files exist), in the tools the first request
 * offered, and in the tool results the CLI sent back.
 */
import { join } from 'node:path';
import { claudeBinary, claudeEnv, claudeSupported } from './claude-env.js';
import { codexBinary, codexEnv, codexSupported } from './codex-env.js';
import { copilotBinary, copilotEnv, copilotSupported } from './copilot-env.js';
import { geminiBinary, geminiEnv } from './gemini-env.js';
import { opencodeBinary, opencodeEnv, opencodeSupported } from './opencode-env.js';
import { findToolResult, onMainLoop, startMockAnthropic, toolResultText } from './mock-anthropic.js';
import { startMockChatCompletions, toolResultOf } from './mock-chat-completions.js';
import { functionResponses, startMockGemini } from './mock-gemini.js';
import { functionCallOutput, startMockResponses } from './mock-responses.js';

export const SHELL_FILE = 'shell.txt';
export const EDIT_FILE = 'edit.txt';
const COMMAND = `printf 'made by the shell' > ${SHELL_FILE}`;
export const FINDING = 'the agent ran its turns';
const DONE = `Done.\n\nFINDINGS: ${FINDING}`;

export interface Probed {
  env: NodeJS.ProcessEnv;
  /** The tool names the first model request offered. */
  offered(): string[];
  /** What the CLI answered to the shell call and to the file-tool call (its results, as text). */
  results(): { shell: string; edit: string };
  close(): Promise<void>;
}

/** The levels run against the real CLIs (`auto`, the default, is what the <cli>-real tests run). */
export type Level = 'edit' | 'read-only';

/** What one level let through. */
export interface Seen {
  /** The shell command wrote its file; the file tool wrote its file. */
  shell: boolean;
  edit: boolean;
  /** The shell tool and the file tool were offered to the model. */
  shellOffered: boolean;
  editOffered: boolean;
  /** What the CLI answered to the refused calls. */
  shellAnswer?: RegExp;
  editAnswer?: RegExp;
}

export interface Probe {
  agent: string;
  /** What each level lets through, as src/agents/permission-table.ts maps it. */
  expected: Record<Level, Seen>;
  supported: boolean;
  binary(): string;
  /** More `ralph run` flags. */
  args: string[];
  /** The names of its shell tool and of the file tool the script calls, as offered. */
  shellTool: string;
  editTool: string;
  start(dir: string): Promise<Probed>;
}

const claude: Probe = {
  agent: 'claude',
  expected: {
    edit: { shell: false, edit: true, shellOffered: false, editOffered: true, shellAnswer: /No such tool available: Bash/ },
    'read-only': {
      shell: false,
      edit: false,
      shellOffered: false,
      editOffered: false,
      shellAnswer: /No such tool available: Bash/,
      editAnswer: /No such tool available: Write/,
    },
  },
  supported: claudeSupported,
  binary: claudeBinary,
  args: [],
  shellTool: 'Bash',
  editTool: 'Write',
  async start(dir) {
    const mock = await startMockAnthropic(
      onMainLoop(({ body }) => {
        if (!findToolResult(body, 'toolu_shell'))
          return { kind: 'tool_use', id: 'toolu_shell', name: 'Bash', input: { command: COMMAND, description: 'write a file' } };
        if (!findToolResult(body, 'toolu_edit'))
          return { kind: 'tool_use', id: 'toolu_edit', name: 'Write', input: { file_path: join(dir, EDIT_FILE), content: 'made by the edit tool' } };
        return { kind: 'text', text: DONE };
      }),
    );
    const last = () => mock.messageRequests().at(-1)?.body;
    return {
      env: claudeEnv(mock.url),
      offered: () => (mock.messageRequests()[0]?.body?.tools ?? []).map((t: any) => t.name),
      results: () => ({ shell: toolResultText(findToolResult(last(), 'toolu_shell')), edit: toolResultText(findToolResult(last(), 'toolu_edit')) }),
      close: () => mock.close(),
    };
  },
};

const codex: Probe = {
  // A model whose metadata Codex has: its file tool, apply_patch, is offered then.
  agent: 'codex',
  expected: {
    edit: { shell: false, edit: true, shellOffered: false, editOffered: true, shellAnswer: /unsupported call: exec_command/ },
    // Its shell stays (Codex reads files with it), in a sandbox that refuses writes.
    'read-only': {
      shell: false,
      edit: false,
      shellOffered: true,
      editOffered: true,
      shellAnswer: /Read-only file system/,
      editAnswer: /writing is blocked by read-only sandbox/,
    },
  },
  supported: codexSupported,
  binary: codexBinary,
  args: ['--model', 'gpt-5.5'],
  shellTool: 'exec_command',
  editTool: 'apply_patch',
  async start() {
    const patch = `*** Begin Patch\n*** Add File: ${EDIT_FILE}\n+made by the edit tool\n*** End Patch\n`;
    const mock = await startMockResponses(({ body }) => {
      if (functionCallOutput(body, 'call_shell') === undefined) return { kind: 'tool_call', callId: 'call_shell', arguments: { cmd: COMMAND } };
      if (functionCallOutput(body, 'call_edit') === undefined) return { kind: 'custom_tool_call', callId: 'call_edit', name: 'apply_patch', input: patch };
      return { kind: 'text', text: DONE };
    });
    const last = () => mock.requests.at(-1)?.body;
    return {
      env: codexEnv(mock.url),
      offered: () => (mock.requests[0]?.body?.tools ?? []).map((t: any) => t.name ?? t.type),
      results: () => ({ shell: functionCallOutput(last(), 'call_shell') ?? '', edit: functionCallOutput(last(), 'call_edit') ?? '' }),
      close: () => mock.close(),
    };
  },
};

const gemini: Probe = {
  agent: 'gemini',
  expected: {
    edit: { shell: false, edit: true, shellOffered: false, editOffered: true, shellAnswer: /Tool "run_shell_command" not found/ },
    'read-only': {
      shell: false,
      edit: false,
      shellOffered: false,
      editOffered: false,
      shellAnswer: /Tool "run_shell_command" not found/,
      editAnswer: /Tool "write_file" not found/,
    },
  },
  supported: true,
  binary: geminiBinary,
  args: [],
  shellTool: 'run_shell_command',
  editTool: 'write_file',
  async start(dir) {
    const mock = await startMockGemini(({ body }) => {
      const answered = functionResponses(body).length;
      if (answered === 0) return { kind: 'call', name: 'run_shell_command', args: { command: COMMAND, description: 'write a file' } };
      if (answered === 1) return { kind: 'call', name: 'write_file', args: { file_path: join(dir, EDIT_FILE), content: 'made by the edit tool' } };
      return { kind: 'text', text: DONE };
    });
    const answer = (name: string) => {
      const response = functionResponses(mock.turns().at(-1)?.body).find((r) => r.name === name)?.response;
      return String(response?.error ?? response?.output ?? '');
    };
    return {
      env: geminiEnv(mock.url),
      offered: () => (mock.turns()[0]?.body?.tools ?? []).flatMap((t: any) => (t.functionDeclarations ?? []).map((f: any) => f.name)),
      results: () => ({ shell: answer('run_shell_command'), edit: answer('write_file') }),
      close: () => mock.close(),
    };
  },
};

const copilot: Probe = {
  // Copilot offers every tool and refuses the calls of the denied ones.
  agent: 'copilot',
  expected: {
    edit: { shell: false, edit: true, shellOffered: true, editOffered: true, shellAnswer: /denied due to the following rules: `shell`/ },
    'read-only': {
      shell: false,
      edit: false,
      shellOffered: true,
      editOffered: true,
      shellAnswer: /denied due to the following rules: `shell`/,
      editAnswer: /denied due to the following rules: `write`/,
    },
  },
  supported: copilotSupported,
  binary: copilotBinary,
  args: [],
  shellTool: 'bash',
  editTool: 'create',
  async start(dir) {
    const mock = await startMockChatCompletions(({ body }) => {
      if (toolResultOf(body, 'call_shell') === undefined)
        return { kind: 'tool_call', id: 'call_shell', name: 'bash', arguments: { command: COMMAND, description: 'write a file' } };
      if (toolResultOf(body, 'call_edit') === undefined)
        return { kind: 'tool_call', id: 'call_edit', name: 'create', arguments: { path: join(dir, EDIT_FILE), file_text: 'made by the edit tool' } };
      return { kind: 'text', text: DONE };
    });
    const last = () => mock.completions().at(-1)?.body;
    return {
      env: copilotEnv(`${mock.url}/v1`),
      offered: () => (mock.completions()[0]?.body?.tools ?? []).map((t: any) => t.function?.name),
      results: () => ({ shell: toolResultOf(last(), 'call_shell') ?? '', edit: toolResultOf(last(), 'call_edit') ?? '' }),
      close: () => mock.close(),
    };
  },
};

const opencode: Probe = {
  // Denied tools are not offered (OPENCODE_PERMISSION); its first request, for a title, offers none.
  agent: 'opencode',
  expected: {
    edit: { shell: false, edit: true, shellOffered: false, editOffered: true, shellAnswer: /Model tried to call unavailable tool 'bash'/ },
    'read-only': {
      shell: false,
      edit: false,
      shellOffered: false,
      editOffered: false,
      shellAnswer: /Model tried to call unavailable tool 'bash'/,
      editAnswer: /Model tried to call unavailable tool 'write'/,
    },
  },
  supported: opencodeSupported,
  binary: opencodeBinary,
  args: [],
  shellTool: 'bash',
  editTool: 'write',
  async start(dir) {
    const mock = await startMockChatCompletions(({ body }) => {
      if (!Array.isArray(body?.tools) || body.tools.length === 0) return { kind: 'text', text: 'Probe' };
      if (toolResultOf(body, 'call_shell') === undefined)
        return { kind: 'tool_call', id: 'call_shell', name: 'bash', arguments: { command: COMMAND, description: 'write a file' } };
      if (toolResultOf(body, 'call_edit') === undefined)
        return { kind: 'tool_call', id: 'call_edit', name: 'write', arguments: { filePath: join(dir, EDIT_FILE), content: 'made by the edit tool' } };
      return { kind: 'text', text: DONE };
    });
    const turns = () => mock.completions().filter((c) => (c.body?.tools ?? []).length > 0);
    const last = () => turns().at(-1)?.body;
    return {
      env: opencodeEnv(`${mock.url}/v1`),
      offered: () => (turns()[0]?.body?.tools ?? []).map((t: any) => t.function?.name),
      results: () => ({ shell: toolResultOf(last(), 'call_shell') ?? '', edit: toolResultOf(last(), 'call_edit') ?? '' }),
      close: () => mock.close(),
    };
  },
};

export const PROBES: readonly Probe[] = [claude, codex, gemini, copilot, opencode];
