import { RalphError } from '../errors.js';
import type { StateWriteError } from '../errors.js';
import { isStepMessage } from './step.js';
import type { StepAnswer, StepChannel, StepConfig, StepMessage, StepRequest, StepResult } from './step.js';

interface Call {
  resolve: (result: StepResult) => void;
  reject: (error: Error) => void;
}

/**
 * A worker's steps, sent to the `ralph run` that started it over the IPC channel Node opened
 * between them (as JSON: requests and results are plain data). When the channel closes, every step
 * still waiting fails, and so does every later one: the worker then applies its steps itself.
 */
export class IpcSteps implements StepChannel {
  private next = 1;
  private readonly calls = new Map<number, Call>();
  private closed = false;
  private readonly onMessage = (message: unknown) => {
    if (!isStepMessage(message)) return;
    const answer = message as unknown as StepAnswer;
    const call = this.calls.get(answer.id);
    if (!call) return;
    this.calls.delete(answer.id);
    if (answer.result) call.resolve(answer.result);
    else call.reject(new RalphError('RALPH_STEP_FAILED', answer.error ?? 'the run could not apply the step'));
  };

  private readonly onDisconnect = () => this.failAll('the run that started this worker is gone');

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on('message', this.onMessage);
    channel.on('disconnect', this.onDisconnect);
  }

  get connected(): boolean {
    return !this.closed && this.channel.connected === true && this.channel.send !== undefined;
  }

  step(config: StepConfig, request: StepRequest): Promise<StepResult> {
    if (!this.connected) return Promise.reject(new RalphError('RALPH_STEP_FAILED', 'no run to send the step to'));
    const id = this.next++;
    const message: StepMessage = { kind: 'ralph-step', id, config, request };
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.channel.send!(message, undefined, undefined, (error: Error | null) => {
        if (!error || !this.calls.delete(id)) return;
        reject(error);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.failAll('closed');
    this.closed = true;
    this.channel.off('message', this.onMessage);
    this.channel.off('disconnect', this.onDisconnect);
  }

  private failAll(why: string): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(new RalphError('RALPH_STEP_FAILED', why));
  }
}

/** What a worker tells its run before it exits because the state directory cannot be written. */
export interface CannotWriteMessage {
  kind: 'ralph-cannot-write';
  path: string;
  errno: string;
}

export function isCannotWriteMessage(message: unknown): message is CannotWriteMessage {
  const m = message as Partial<CannotWriteMessage> | null;
  return typeof m === 'object' && m !== null && m.kind === 'ralph-cannot-write' && typeof m.path === 'string' && typeof m.errno === 'string';
}

/**
 * Tells the run that started this worker (if any) that the state directory cannot be written, so
 * that it stops instead of starting the worker again; resolves once sent (or at once without a run).
 */
export function tellRunCannotWrite(error: StateWriteError, channel: NodeJS.Process = process): Promise<void> {
  if (!channel.connected || !channel.send) return Promise.resolve();
  const message: CannotWriteMessage = { kind: 'ralph-cannot-write', path: error.path, errno: error.errno };
  return new Promise((resolve) => {
    channel.send!(message, undefined, undefined, () => resolve());
  });
}
