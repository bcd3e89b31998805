/**
 * The environment of a worker process. Node reads `NODE_EXTRA_CA_CERTS` when it starts and parses
 * every certificate in it (a system bundle: ~140 certificates, ~35 ms of CPU per process here), yet a
 * worker never opens a TLS connection: its agents do. So a worker starts without it, carried aside
 * in DEFERRED, and puts it back before it starts any agent, which then sees the user's environment
 * unchanged.
 */
const DEFERRED: Readonly<Record<string, string>> = { NODE_EXTRA_CA_CERTS: 'RALPH_DEFERRED_NODE_EXTRA_CA_CERTS' };

/** The environment to start a worker with: `env` with the variables only agents need set aside. */
export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, aside] of Object.entries(DEFERRED)) {
    delete out[aside];
    if (out[name] === undefined) continue;
    out[aside] = out[name];
    delete out[name];
  }
  return out;
}

/** In the worker: puts back what `workerProcessEnv` set aside (changes `env` in place). */
export function restoreAgentEnv(env: NodeJS.ProcessEnv): void {
  for (const [name, aside] of Object.entries(DEFERRED)) {
    const value = env[aside];
    if (value === undefined) continue;
    env[name] = value;
    delete env[aside];
  }
}
