/**
 * A scriptable mock of the Gemini API (generativelanguage v1beta) on 127.0.0.1, for running the REAL
 * Gemini CLI offline (see gemini-env.ts for the environment that points it here).
 *
 *   const mock = await startMockGemini(({ index }) => ({ kind: 'text', text: 'Done.' }));
 *   mock.requests   // every request, recorded
 *
 * What Gemini CLI 0.61.0 sends with `-p` (observed): `POST /v1beta/models/gemini-3.5-flash-lite:generateContent`
 * for its model router (a classifier whose answer must be JSON with complexity_reasoning and
 * complexity_score, else it logs a ZodError and falls back), then one
 * `POST /v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse` per turn of the agent loop (the
 * script answers those). `:countTokens` was not seen but is answered (an estimate) in case a longer
 * session needs it. Every generateContent gets ROUTER_ANSWER, a JSON text that fits the router (and
 * the other JSON side calls: next-speaker checks, summaries).
 */
import type { ServerResponse } from 'node:http';
import { sendJson, startRecordingServer } from './mock-http.js';
import type { RecordedRequest } from './mock-http.js';

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

export const DEFAULT_GEMINI_USAGE: Required<GeminiUsage> = {
  promptTokenCount: 100,
  candidatesTokenCount: 20,
  cachedContentTokenCount: 0,
  thoughtsTokenCount: 0,
};

export type GeminiReply =
  | { kind: 'text'; text: string; usage?: GeminiUsage }
  /** A functionCall part (e.g. run_shell_command with { command }). */
  | { kind: 'call'; name: string; args: Record<string, unknown>; usage?: GeminiUsage }
  /** An HTTP error with Google's error body {"error":{"code","message","status"}}. */
  | { kind: 'error'; status: number; message?: string; googleStatus?: string; details?: unknown[] };

export interface GeminiRequest extends RecordedRequest {
  /** `streamGenerateContent`, `generateContent`, `countTokens`, or the path when it is none of them. */
  action: string;
  model: string;
  /** For streamGenerateContent: its position among those (0-based), and what the script answered. */
  turn?: number;
  reply?: GeminiReply;
}

export type GeminiScript = (req: { body: any; index: number; request: GeminiRequest }) => GeminiReply;

export interface MockGemini {
  url: string;
  requests: GeminiRequest[];
  turns(): GeminiRequest[];
  setScript(script: GeminiScript): void;
  close(): Promise<void>;
}

/** The text every non-streaming generateContent gets: the router's JSON choice. */
export const ROUTER_ANSWER = JSON.stringify({ reasoning: 'A simple task.', model_choice: 'pro', complexity_reasoning: 'A simple task.', complexity_score: 10 });

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export async function startMockGemini(script: GeminiScript = () => ({ kind: 'text', text: 'OK' })): Promise<MockGemini> {
  let current = script;
  let turns = 0;
  const server = await startRecordingServer<GeminiRequest>(
    async (_req, res, recorded) => {
      const match = /\/models\/([^/:?]+):(\w+)/.exec(recorded.url);
      recorded.action = match?.[2] ?? recorded.path;
      recorded.model = match?.[1] ?? '';
      answer(res, recorded);
    },
    (res, message) => sendJson(res, 500, googleError(500, `mock-gemini: ${message}`)),
  );

  function answer(res: ServerResponse, r: GeminiRequest): void {
    if (r.action === 'countTokens') {
      sendJson(res, 200, { totalTokens: Math.max(1, Math.ceil(JSON.stringify(r.body ?? '').length / 4)) });
      return;
    }
    if (r.action === 'generateContent') {
      sendJson(res, 200, candidate({ kind: 'text', text: ROUTER_ANSWER, usage: { promptTokenCount: 50, candidatesTokenCount: 10 } }, r.model));
      return;
    }
    if (r.action !== 'streamGenerateContent') {
      sendJson(res, 404, googleError(404, `mock-gemini: no route for ${r.method} ${r.url}`));
      return;
    }
    r.turn = turns++;
    const reply = current({ body: r.body, index: r.turn, request: r });
    r.reply = reply;
    if (reply.kind === 'error') {
      sendJson(res, reply.status, googleError(reply.status, reply.message, reply.googleStatus, reply.details));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${JSON.stringify(candidate(reply, r.model))}\r\n\r\n`);
  }

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests: server.requests,
    turns: () => server.requests.filter((r) => r.turn !== undefined),
    setScript(next) {
      current = next;
    },
    close: () => server.close(),
  };
}

function candidate(reply: Exclude<GeminiReply, { kind: 'error' }>, model: string) {
  const part = reply.kind === 'text' ? { text: reply.text } : { functionCall: { name: reply.name, args: reply.args } };
  const u = { ...DEFAULT_GEMINI_USAGE, ...reply.usage };
  return {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { ...u, totalTokenCount: u.promptTokenCount + u.candidatesTokenCount + u.thoughtsTokenCount },
    modelVersion: model,
    responseId: `mock-${Date.now()}`,
  };
}

function googleError(status: number, message?: string, googleStatus?: string, details?: unknown[]) {
  return {
    error: {
      code: status,
      message: message ?? `mock error ${status}`,
      status: googleStatus ?? GOOGLE_STATUS[status] ?? 'UNKNOWN',
      ...(details ? { details } : {}),
    },
  };
}

/** The message the real API gives with a daily free-tier quota 429. */
export const QUOTA_MESSAGE = 'You exceeded your current quota, please check your plan and billing details. Please retry in 37.5s.';

/**
 * A 429 the way the API sends a spent daily quota: RESOURCE_EXHAUSTED with a QuotaFailure whose quota
 * id names a day. Gemini CLI 0.61.0 gives up at once on that (a TerminalQuotaError, exit 173); any other
 * 429 it retries with backoff for minutes.
 */
export function dailyQuota(message = QUOTA_MESSAGE): GeminiReply {
  return {
    kind: 'error',
    status: 429,
    message,
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
          },
        ],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
    ],
  };
}

/** The function responses in a request body (the results of the tool calls so far). */
export function functionResponses(body: any): any[] {
  const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
  return contents
    .flatMap((c) => (Array.isArray(c?.parts) ? c.parts : []))
    .filter((p) => p?.functionResponse)
    .map((p) => p.functionResponse);
}
