/**
 * The environment of a worker process. Node reads `NODE_EXTRA_CA_CERTS` when it starts and parses
 * every certificate in it (a system bundle: ~140 certificates, ~35 ms of CPU per process here), yet a
 * worker never opens a TLS connection: its agents do. So a worker starts without it, carried aside
 * in DEFERRED, and puts it back before it starts any agent, which then sees the user's environment
 * unchanged.
 */
const DEFERRED: Readonly<Record<string, string>> = { NODE_EXTRA_CA_CERTS: 'RALPH_DEFERRED_NODE_EXTRA_CA_CERTS' };

/**
 * Set for a worker whose steps its run applies (over the IPC channel between them). Only the worker
 * reads it: it is gone from the environment before any agent starts.
 */
const STEPS_VIA_RUN = 'RALPH_STEPS_VIA_RUN';

/**
 * The environment to start a worker with: `env` with the variables only agents need set aside, and,
 * with `stepsViaRun`, the mark that tells the worker to send its steps to its run.
 */
export function workerProcessEnv(env: NodeJS.ProcessEnv, stepsViaRun = false): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out[STEPS_VIA_RUN];
  if (stepsViaRun) out[STEPS_VIA_RUN] = '1';
  for (const [name, aside] of Object.entries(DEFERRED)) {
    delete out[aside];
    if (out[name] === undefined) continue;
    out[aside] = out[name];
    delete out[name];
  }
  return out;
}

/**
 * In the worker: puts back what `workerProcessEnv` set aside and takes its mark away (changes `env`
 * in place); says whether the worker was told to send its steps to its run.
 */
export function restoreAgentEnv(env: NodeJS.ProcessEnv): { stepsViaRun: boolean } {
  const stepsViaRun = env[STEPS_VIA_RUN] === '1';
  delete env[STEPS_VIA_RUN];
  for (const [name, aside] of Object.entries(DEFERRED)) {
    const value = env[aside];
    if (value === undefined) continue;
    env[name] = value;
    delete env[aside];
  }
  return { stepsViaRun };
}
