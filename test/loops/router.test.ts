import { describe, expect, it } from 'vitest';
import { promptNameOf, routeDecision, routerAsked } from '../../src/loops/router.js';

const exists = (name: string) => ['main', 'debug', 'supervisor', 'reviewer'].includes(name);

describe("the router's contract", () => {
  it.each([
    ['default', 'debug', undefined, { prompt: 'debug', routed: true }],
    ['default', 'thinking…\nprompts/debug.md\n', undefined, { prompt: 'debug', routed: true }],
    ['first', 'FINDINGS: main.md', undefined, { prompt: 'main', routed: true }],
    ['default', '  \n', undefined, { prompt: 'main', routed: false }],
    ['first', '', undefined, { prompt: 'main', routed: false }],
    ['only', '', undefined, { error: 'the router answered nothing (--router-mode only needs a prompt named)' }],
    ['default', 'debug', ['main'], { error: 'the router named debug, which is not on --router-allowlist (main)' }],
    ['only', 'ghost', undefined, { error: 'the router named ghost, but prompts/ghost.md does not exist' }],
    ['first', 'rm -rf /', undefined, { error: 'the router\'s answer is not a prompt\'s name: "rm -rf /"' }],
  ] as const)('%s, answered %j, allowlist %j → %j', (mode, answer, allowlist, route) => {
    expect(routeDecision(mode, answer, 'main', allowlist, exists)).toEqual(route);
  });

  it('asks the router over a review step only in modes first and only', () => {
    expect([routerAsked('default', 'reviewer'), routerAsked('first', 'reviewer'), routerAsked('only', 'reviewer'), routerAsked('default', 'main')]).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it('reads a prompt named as a name, a file or a path', () => {
    expect(['main', 'main.md', 'prompts/main.md', ' main.md '].map(promptNameOf)).toEqual(['main', 'main', 'main', 'main']);
  });
});
