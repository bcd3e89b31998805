import { describe, expect, it } from 'vitest';
import { restoreAgentEnv, workerProcessEnv } from '../../src/orchestrator/worker-env.js';

describe('worker process environment', () => {
  it.each([
    ['set aside', { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/ca.pem' }, { PATH: '/bin', RALPH_DEFERRED_NODE_EXTRA_CA_CERTS: '/ca.pem' }],
    ['nothing to set aside', { PATH: '/bin' }, { PATH: '/bin' }],
    ['an empty value is carried too', { NODE_EXTRA_CA_CERTS: '' }, { RALPH_DEFERRED_NODE_EXTRA_CA_CERTS: '' }],
    ['a stray deferred value is dropped', { RALPH_DEFERRED_NODE_EXTRA_CA_CERTS: '/old.pem' }, {}],
  ])('%s', (_, env, expected) => {
    const before = { ...env };
    expect(workerProcessEnv(env)).toEqual(expected);
    expect(env).toEqual(before); // the orchestrator's own environment is untouched
    const back = workerProcessEnv(env);
    restoreAgentEnv(back);
    expect(back).toEqual(Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('RALPH_DEFERRED_'))));
  });

  it('marks a worker whose steps its run applies, and takes the mark away before any agent sees it', () => {
    const env = workerProcessEnv({ PATH: '/bin', RALPH_STEPS_VIA_RUN: '1' }, true);
    expect(env).toEqual({ PATH: '/bin', RALPH_STEPS_VIA_RUN: '1' });
    expect(restoreAgentEnv(env)).toEqual({ stepsViaRun: true });
    expect(env).toEqual({ PATH: '/bin' });
    // A mark inherited from elsewhere (a run inside an agent) does not pass to a worker not told so.
    const plain = workerProcessEnv({ PATH: '/bin', RALPH_STEPS_VIA_RUN: '1' });
    expect(plain).toEqual({ PATH: '/bin' });
    expect(restoreAgentEnv(plain)).toEqual({ stepsViaRun: false });
  });
});
