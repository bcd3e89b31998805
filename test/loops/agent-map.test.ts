import { describe, expect, it } from 'vitest';
import { parseAgentMap } from '../../src/config/parsers.js';
import { agentFor } from '../../src/loops/agent-map.js';

describe('agents per role and per prompt', () => {
  it.each([
    ['supervisor=claude,engineer=codex', { supervisor: 'claude', engineer: 'codex' }],
    [' reviewer.md = claude , ', { 'reviewer.md': 'claude' }],
    ['{"galph": "gemini"}', { galph: 'gemini' }],
  ])('reads %s', (text, map) => {
    expect(parseAgentMap(text)).toEqual(map);
  });

  it.each([
    ['supervisor', 'Expected name=agent pairs separated by commas, got `supervisor`.'],
    ['=claude', 'Expected name=agent pairs separated by commas, got `=claude`.'],
    ['{"galph": 3}', 'Expected an agent name for `galph`, got 3.'],
  ])('refuses %s', (text, message) => {
    expect(() => parseAgentMap(text)).toThrow(message);
  });

  const maps = {
    cliPrompts: { 'prompts/reviewer.md': 'p-cli' },
    cliRoles: { engineer: 'r-cli' },
    configPrompts: { main: 'p-cfg', supervisor: 'p-cfg-sup' },
    configRoles: { supervisor: 'r-cfg', ralph: 'r-cfg-eng' },
  };
  it.each([
    ['ralph', 'reviewer', 'p-cli'], // the prompt map on the command line first
    ['ralph', 'main', 'r-cli'], // then the role map there
    ['galph', 'supervisor', 'p-cfg-sup'], // then the config file's prompt map
    ['galph', 'debug', 'r-cfg'], // then its role map
  ] as const)('%s running %s gets %s', (actor, prompt, agent) => {
    expect(agentFor(actor, prompt, maps)).toBe(agent);
  });

  it('leaves the default agent when nothing names one', () => {
    expect(agentFor('galph', 'supervisor', {})).toBeUndefined();
    expect(agentFor('ralph', 'main', { configRoles: { supervisor: 'x' } })).toBeUndefined();
  });
});
