import type { AgentResult } from './agent.js';
import type { Redactor } from '../redact/redactor.js';
import { processRedactor } from '../redact/process.js';

/**
 * An agent's parsed result with every text that Ralph records or shows redacted: the finding, the
 * error (which carries the last lines of output), the usage-limit message and the full text. This is
 * where agent output becomes an outcome, a finding or an error, so nothing after it sees a secret.
 */
export function redactResult(result: AgentResult, redactor: Redactor = processRedactor()): AgentResult {
  const out: AgentResult = { ...result, text: redactor.redact(result.text), finding: redactor.redact(result.finding) };
  if (result.error !== undefined) out.error = redactor.redact(result.error);
  if (result.usageLimit) out.usageLimit = { ...result.usageLimit, message: redactor.redact(result.usageLimit.message) };
  return out;
}
