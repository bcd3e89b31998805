import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/file.js';
import { lastRunValues, settingsToRecord } from '../../src/config/last-run.js';
import { resolveSettings } from '../../src/config/precedence.js';
import type { Layer } from '../../src/config/precedence.js';
import { SETTINGS, settingsFor } from '../../src/config/table.js';
import type { Setting } from '../../src/config/table.js';
import { envLayer, fromText } from '../../src/config/values.js';

const flag = (values: Record<string, unknown>): Layer => ({ kind: 'flag', values });
const env = (values: Record<string, unknown>): Layer => ({ kind: 'env', values });
const file = (values: Record<string, unknown>): Layer => ({ kind: 'config', where: '/p/ralph.config.json', values });
const last = (values: Record<string, unknown>): Layer => ({ kind: 'last-run', where: '.ralph/work-queue.json', values });

const resolve = (...layers: Layer[]) => resolveSettings(SETTINGS, layers);

describe('precedence: flags > env > config file > last run > defaults', () => {
  it.each<[string, Layer[], unknown, string]>([
    ['nothing given: the default', [], 3, 'default'],
    ['the last run only', [last({ workers: 7 })], 7, 'last-run'],
    ['the config file over the last run', [file({ workers: 5 }), last({ workers: 7 })], 5, 'config'],
    ['env over the config file', [env({ workers: 4 }), file({ workers: 5 }), last({ workers: 7 })], 4, 'env'],
    ['a flag over everything', [flag({ workers: 1 }), env({ workers: 4 }), file({ workers: 5 }), last({ workers: 7 })], 1, 'flag'],
    ['a layer without it is passed over', [flag({}), env({}), file({ workers: 5 })], 5, 'config'],
  ])('%s', (_what, layers, value, source) => {
    const resolved = resolve(...layers);
    expect(resolved.values.workers).toBe(value);
    expect(resolved.sources.workers!.kind).toBe(source);
  });

  it('names where each value came from: the flag, the variable, the file, the queue', () => {
    const { sources } = resolve(flag({ workers: 1 }), env({ model: 'm' }), file({ retries: 2 }), last({ lease: 90 }));
    expect(sources).toMatchObject({
      workers: { kind: 'flag', from: '--workers' },
      model: { kind: 'env', from: 'RALPH_MODEL' },
      retries: { kind: 'config', from: '/p/ralph.config.json' },
      lease: { kind: 'last-run', from: '.ralph/work-queue.json' },
      grace: { kind: 'default' },
    });
  });

  it('gathers --redact names from every layer', () => {
    const { values, sources } = resolve(flag({ redact: ['A'] }), file({ redact: ['B', 'A'] }), last({ redact: ['C'] }));
    expect(values.redact).toEqual(['A', 'B', 'C']);
    expect(sources.redact!.kind).toBe('flag');
    expect(resolve().values.redact).toEqual([]);
  });
});

describe('the agent settings go together', () => {
  it.each<[string, Layer[], Record<string, unknown>]>([
    [
      "a flag's --agent-cmd drops the last run's agent CLI with its model and binary",
      [flag({ agentCmd: './a.sh' }), last({ agent: 'codex', model: 'gpt', agentBin: '/x/codex' })],
      { agentCmd: './a.sh', agent: undefined, model: undefined, agentBin: undefined },
    ],
    ["a flag's --agent drops the last run's --agent-cmd", [flag({ agent: 'codex' }), last({ agentCmd: './a.sh' })], { agent: 'codex', agentCmd: undefined }],
    ["the same agent keeps the last run's model", [flag({ agent: 'codex' }), last({ agent: 'codex', model: 'gpt' })], { agent: 'codex', model: 'gpt' }],
    [
      'a model alone (no agent chosen) applies to the agent chosen elsewhere',
      [env({ model: 'opus' }), file({ agent: 'claude', model: 'sonnet' })],
      { agent: 'claude', model: 'opus' },
    ],
    [
      "a file without an agent lends its arguments to the flags' agent",
      [flag({ agent: 'codex' }), file({ agentArgs: '--fast' })],
      { agent: 'codex', agentArgs: '--fast' },
    ],
    [
      "the config file's agent over the last run's",
      [file({ agentCmd: './b.sh' }), last({ agentCmd: './a.sh', model: 'x' })],
      { agentCmd: './b.sh', model: undefined },
    ],
    ['nothing chosen anywhere: no agent (the default agent then)', [env({ model: 'm' })], { agent: undefined, agentCmd: undefined, model: 'm' }],
  ])('%s', (_what, layers, expected) => {
    expect(resolve(...layers).values).toMatchObject(expected);
  });

  it('refuses to run again an agent command the last run recorded redacted, and says what to do', () => {
    expect(() => resolve(last({ agentCmd: './a.sh --key [REDACTED:MY_KEY]' }))).toThrow(
      /the last run's agentCmd .*redacted.*give --agent-cmd again \(or set RALPH_AGENT_CMD, or "agentCmd" in ralph.config.json\)/,
    );
    expect(resolve(flag({ agentCmd: './a.sh' }), last({ agentCmd: './a.sh [REDACTED:K]' })).values.agentCmd).toBe('./a.sh');
  });
});

describe('environment variables', () => {
  it.each<[Record<string, string>, Record<string, unknown>]>([
    [{ RALPH_WORKERS: '4' }, { workers: 4 }],
    [{ RALPH_TASK_TIMEOUT: '1.5' }, { taskTimeout: 1.5 }],
    [{ RALPH_AGENT_CMD: 'claude -p "x y"' }, { agentCmd: 'claude -p "x y"' }],
    [{ RALPH_ON_USAGE_LIMIT: 'stop' }, { onUsageLimit: 'stop' }],
    [{ RALPH_DIR: '/tmp/state' }, { dir: '/tmp/state' }],
    [{ RALPH_WORKERS: '' }, {}],
    [{ UNRELATED: '1' }, {}],
  ])('%j gives %j', (vars, values) => {
    expect(envLayer(SETTINGS, vars).values).toEqual(values);
  });

  it.each<[Record<string, string>, string]>([
    [{ RALPH_WORKERS: 'many' }, 'RALPH_WORKERS: expected a positive integer, got `many`.'],
    [{ RALPH_WORKERS: '0' }, 'RALPH_WORKERS: expected a positive integer, got `0`.'],
    [{ RALPH_MAX_COST_USD: '-1' }, 'RALPH_MAX_COST_USD: expected a non-negative number, got `-1`.'],
    [{ RALPH_AGENT: 'gpt' }, 'RALPH_AGENT: expected one of claude, codex, gemini, opencode, aider, amp, cursor, copilot, got "gpt".'],
  ])('refuses %j in one line naming the variable', (vars, message) => {
    expect(() => envLayer(SETTINGS, vars)).toThrow(message);
  });

  it('reads only the variables of the settings asked for', () => {
    expect(envLayer(settingsFor('state'), { RALPH_WORKERS: 'many', RALPH_DIR: 'd' }).values).toEqual({ dir: 'd' });
  });
});

describe('what a run records for the next one', () => {
  it('records the remembered settings that are not their defaults, by key, redacted', () => {
    const recorded = settingsToRecord(
      { agentCmd: './a.sh sk-secret', workers: 3, taskTimeoutSec: 900, graceSec: 5, retries: 2, redact: [], dir: 'x', timeoutSec: 10 },
      (t) => t.replace('sk-secret', '[REDACTED:K]'),
    );
    expect(recorded).toEqual({ agentCmd: './a.sh [REDACTED:K]', taskTimeout: 900, retries: 2 });
  });

  it('reads them back; values of the wrong type are left out', () => {
    const run = { started_at: '', workers: 2, settings: { agentCmd: './a.sh', taskTimeout: 900, retries: 'two', timeout: 5 } };
    expect(lastRunValues(run)).toEqual({ agentCmd: './a.sh', taskTimeout: 900 });
  });

  it('reads the agent of a queue recorded before runs recorded their settings', () => {
    expect(lastRunValues({ started_at: '', workers: 4, agent_cmd: './old.sh', max_cost_usd: 2 })).toEqual({ agentCmd: './old.sh', workers: 4, maxCostUsd: 2 });
    expect(lastRunValues(undefined)).toEqual({});
  });
});

describe('the settings table', () => {
  it.each(SETTINGS.map((s) => [s.key, s] as const))('%s: its key is its flag in camelCase, its default passes its own check', (key, setting) => {
    expect(new Option(setting.flags).attributeName()).toBe(key);
    if (setting.parse && setting.default !== undefined) expect(setting.parse(String(setting.default))).toBe(setting.default);
    if (setting.choices && setting.default !== undefined) expect(setting.choices).toContain(setting.default);
    if (setting.env) expect(setting.env).toMatch(/^RALPH_[A-Z_]+$/);
  });

  it('has each key, flag and variable once', () => {
    for (const pick of [
      (s: (typeof SETTINGS)[number]) => s.key,
      (s: (typeof SETTINGS)[number]) => s.flags.split(' ')[0],
      (s: (typeof SETTINGS)[number]) => s.env,
    ]) {
      const names = SETTINGS.map(pick).filter(Boolean);
      expect(new Set(names).size).toBe(names.length);
    }
  });
});

describe('a flag with no value (such as a later --bell or --no-color)', () => {
  const bell: Setting = { key: 'bell', flags: '--bell', description: 'ring', for: ['run'], kind: 'boolean', env: 'RALPH_BELL' };
  it.each([
    ['1', true],
    ['yes', true],
    ['TRUE', true],
    ['0', false],
    ['no', false],
    ['', false],
  ])('RALPH_BELL=%j is %s', (text, value) => {
    expect(fromText(bell, text)).toBe(value);
    expect(envLayer([bell], { RALPH_BELL: text }).values).toEqual({ bell: value });
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => envLayer([bell], { RALPH_BELL: 'loud' })).toThrow('RALPH_BELL: expected 1/true/yes or 0/false/no, got `loud`.');
  });
});

describe('"prices" in the config file: an object, checked whole', () => {
  const prices = { 'my-model': { input: 3, output: 15, cache_read: 0.3 } };
  it('is taken as it is, recorded for the next run, and passed on', () => {
    expect(checkConfig({ prices }, '/p/ralph.config.json', '', '/p')).toEqual({ prices });
    expect(lastRunValues({ started_at: '', workers: 1, settings: { prices } })).toEqual({ prices });
    expect(settingsToRecord({ prices }, (t) => t)).toEqual({ prices });
  });

  it.each<[string, unknown, string]>([
    [
      'a misspelt price',
      { m: { input: 1, ouput: 2 } },
      'ralph.config.json: "prices": "m": unknown price "ouput" (known: input, output, cache_read, cache_write).',
    ],
    [
      'a list',
      [1],
      'ralph.config.json: "prices": expected an object of model prices in USD per million tokens, such as {"my-model": {"input": 3, "output": 15}}, got [1].',
    ],
    [
      'a price in text',
      { m: { input: '1', output: 2 } },
      'ralph.config.json: "prices": "m": "input" must be a number of USD per million tokens, 0 or more, got "1".',
    ],
  ])('refuses %s in one line naming the file and the key', (_what, value, message) => {
    expect(() => checkConfig({ prices: value }, '/p/ralph.config.json', '', '/p')).toThrow(message);
  });
});
