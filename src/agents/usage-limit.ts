import type { UsageLimitInfo } from './cli-spec.js';

/**
 * Recognises a usage or rate limit in an agent's text output (the fallback when the CLI's structured
 * fields do not say), and when it lifts. Pure: `now` anchors relative and clock-time forms.
 * STUB: being written (see the issue on agent adapters); returns undefined for now.
 */
export function detectUsageLimit(text: string, now: Date): UsageLimitInfo | undefined {
  void text;
  void now;
  return undefined;
}
