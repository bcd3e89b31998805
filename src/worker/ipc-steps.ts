import { RalphError } from '../errors.js';
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
