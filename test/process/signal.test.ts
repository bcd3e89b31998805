// signalProcess: signals a process or a process group, and answers false (no exception) for one
// that is gone, through the native helper when it is built and through process.kill otherwise.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { signalProcess, spawnBackend } from '../../src/process/spawn.js';

describe('signalProcess', () => {
  it(`signals a live process group, and says false once it is gone (backend: ${spawnBackend().backend})`, async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    await once(child, 'spawn');
    const group = -child.pid!;
    expect(signalProcess(group, 0)).toBe(true);
    const exited = once(child, 'exit');
    expect(signalProcess(group, 'SIGTERM')).toBe(true);
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(signalProcess(group, 0)).toBe(false);
    expect(signalProcess(group, 'SIGKILL')).toBe(false);
  });
});
