import type { Diagnosis } from '../cause.js';
import { num, str } from '../parse/json.js';

/**
 * What kind of failure Claude Code's stream-json shows by its structure (what the real binary prints:
 * test/agents/claude-real.test.ts records it). Pure; undefined when the structure does not say, and
 * the shared rules read the message instead.
 *
 * With a result: `terminal_reason` ("prompt_too_long", "max_turns"), `api_error`
 * ("connection_failed", "usage_limit_reached"), `api_error_status`, and the synthetic assistant
 * message's `error` ("authentication_failed", "model_not_found", "rate_limit", "server_error").
 * Without one (killed by a timeout, or cut off): its `api_retry` events say why it was still waiting,
 * such as an API it cannot connect to (`error_status: null`, `error: "unknown"`), which it retries for
 * minutes; nothing at all after `system/init` means no answer from the API yet.
 */
export function claudeCause(events: readonly Record<string, unknown>[], result: Record<string, unknown> | undefined): Diagnosis | undefined {
  if (result) return resultCause(result, syntheticError(events));
  const retries = events.filter((e) => e.type === 'system' && e.subtype === 'api_retry');
  const last = retries.at(-1);
  if (last) {
    const status = num(last.error_status);
    const label = apiLabel(status, str(last.error)) ?? 'API error';
    const attempt = num(last.attempt);
    const of = num(last.max_retries);
    const why =
      status === undefined ? (label === 'API unreachable' ? 'no connection' : str(last.error)) : `${status}${str(last.error) ? ` ${str(last.error)}` : ''}`;
    return {
      label,
      detail: `Claude Code was retrying the API${attempt === undefined ? '' : ` (attempt ${attempt}${of === undefined ? '' : ` of ${of}`}${why ? `: ${why}` : ''})`}`,
    };
  }
  const started = events.some((e) => e.type === 'system' && e.subtype === 'init');
  const answered = events.some((e) => e.type === 'assistant' || e.type === 'user' || e.type === 'result');
  if (started && !answered) return { label: 'no answer from the API', detail: 'nothing came after the session started' };
  return undefined;
}

function resultCause(result: Record<string, unknown>, synthetic: string | undefined): Diagnosis | undefined {
  const terminal = str(result.terminal_reason);
  if (terminal === 'prompt_too_long') return { label: 'context too long' };
  if (terminal === 'max_turns' || result.subtype === 'error_max_turns') return { label: 'max turns reached' };
  if (result.api_error === 'usage_limit_reached') return { label: 'usage limit' };
  if (result.api_error === 'connection_failed') return { label: 'API unreachable' };
  const label = apiLabel(num(result.api_error_status), synthetic ?? str(result.api_error_type));
  return label ? { label } : undefined;
}

/** The kind of API failure an HTTP status or claude's error name means. */
function apiLabel(status: number | undefined, error: string | undefined): string | undefined {
  if (error === 'authentication_failed' || error === 'authentication_error' || status === 401) return 'auth failure';
  if (error === 'model_not_found' || status === 404) return 'model not found';
  if (error === 'rate_limit' || error === 'rate_limit_error' || status === 429) return 'rate limited';
  if (error === 'overloaded' || error === 'overloaded_error' || status === 529) return 'API overloaded';
  if (status === undefined && (error === 'unknown' || error === 'connection_failed')) return 'API unreachable';
  if (status !== undefined && status >= 500) return 'API error';
  return undefined;
}

/** The `error` of the last message claude made up itself (an API error it gave up on). */
function syntheticError(events: readonly Record<string, unknown>[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.type === 'assistant' && event.is_api_error_message === true) return str(event.error);
  }
  return undefined;
}
