/**
 * A scriptable mock of an OpenAI-compatible Chat Completions API on 127.0.0.1, for running the REAL
 * GitHub Copilot CLI offline in its bring-your-own-key mode (copilot-env.ts) and the REAL opencode with
 * a provider of its own (opencode-env.ts).
 *
 *   const mock = await startMockChatCompletions(toolCallThenText({ name: 'bash', arguments: { command: 'echo hi > out.txt' } }, 'FINDINGS: done'));
 *   // run copilot with COPILOT_PROVIDER_BASE_URL=`${mock.url}/v1` …
 *   mock.completions()   // the POST /v1/chat/completions requests, recorded
 *   await mock.close();
 *
 * What Copilot CLI 1.0.102 sends (COPILOT_OFFLINE=true, COPILOT_PROVIDER_BASE_URL=…/v1, the default
 * "openai" provider type and "completions" wire API): one streaming `POST /v1/chat/completions` per
 * model turn (`"stream": true`, ~48 KB of system prompt and tools; its shell tool is `bash`), with
 * `Authorization: Bearer <COPILOT_PROVIDER_API_KEY>`; after a tool call the next request carries a
 * `role: "tool"` message. Nothing else. Errors are retried by Copilot itself (5 times, waiting at
 * least 1 s, `retry-after` honoured); a 401 twice.
 *
 * What opencode 1.18.33 sends (`@ai-sdk/openai-compatible`, `options.baseURL` = …/v1): the same
 * streaming requests, with `stream_options.include_usage`; first one without tools asking its small
 * model for a title, then one per step with its tools (`bash`, `edit`, `write`, …). It retries errors
 * itself (`retry-after-ms` honoured), an unreachable API without end.
 */
import type { ServerResponse } from 'node:http';
import { startRecordingServer } from './mock-http.js';
import type { RecordedRequest } from './mock-http.js';

/** Token counts one completion reports (OpenAI's `usage`). */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

export const DEFAULT_CHAT_USAGE: ChatUsage = { prompt_tokens: 1200, completion_tokens: 34, cached_tokens: 100, reasoning_tokens: 7 };

export type ChatReply =
  /** An assistant message, finish_reason "stop". */
  | { kind: 'text'; text: string; usage?: ChatUsage }
  /** One tool call (the function's arguments as an object), finish_reason "tool_calls". */
  | { kind: 'tool_call'; name: string; arguments: unknown; id?: string; usage?: ChatUsage }
  /** An HTTP error with OpenAI's body `{"error":{"message","type","code"}}`. */
  | { kind: 'error'; status: number; message?: string; type?: string; code?: string; headers?: Record<string, string> };

export interface ChatRequest extends RecordedRequest {
  reply?: ChatReply;
}

export type ChatScript = (req: { body: any; index: number }) => ChatReply;

export interface MockChatCompletions {
  /** `http://127.0.0.1:<port>` (Copilot wants `${url}/v1`). */
  url: string;
  requests: ChatRequest[];
  /** The POST …/chat/completions requests alone. */
  completions(): ChatRequest[];
  close(): Promise<void>;
}

export async function startMockChatCompletions(script: ChatScript): Promise<MockChatCompletions> {
  let index = 0;
  const server = await startRecordingServer<ChatRequest>(
    async (req, res, recorded) => {
      if (req.method !== 'POST' || !recorded.path.endsWith('/chat/completions') || typeof recorded.body !== 'object') {
        sendError(res, { kind: 'error', status: 404, message: `mock-chat-completions: no route for ${req.method} ${recorded.path}` });
        return;
      }
      const reply = script({ body: recorded.body, index: index++ });
      recorded.reply = reply;
      if (reply.kind === 'error') sendError(res, reply);
      else sendCompletion(res, recorded.body, reply, recorded.seq);
    },
    (res, message) => sendError(res, { kind: 'error', status: 500, message: `mock-chat-completions: ${message}` }),
  );
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests: server.requests,
    completions: () => server.requests.filter((r) => r.reply !== undefined),
    close: () => server.close(),
  };
}

/** The first turn asks for one tool call; a turn that carries its result gets `finalText`. */
export function toolCallThenText(call: { name: string; arguments: unknown }, finalText: string, usage?: ChatUsage): ChatScript {
  const id = 'call_mock_0001';
  return ({ body }) => (toolResultOf(body, id) !== undefined ? { kind: 'text', text: finalText, usage } : { kind: 'tool_call', ...call, id, usage });
}

/** The content of the `role: "tool"` message answering `toolCallId`, if the request has one. */
export function toolResultOf(body: any, toolCallId: string): string | undefined {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const found = messages.find((m) => m?.role === 'tool' && m.tool_call_id === toolCallId);
  if (found === undefined) return undefined;
  return typeof found.content === 'string' ? found.content : JSON.stringify(found.content);
}

function sendCompletion(res: ServerResponse, body: any, reply: Exclude<ChatReply, { kind: 'error' }>, seq: number): void {
  const id = `chatcmpl-mock-${seq}`;
  const model = typeof body.model === 'string' ? body.model : 'mock-model';
  const u = reply.usage ?? DEFAULT_CHAT_USAGE;
  const usage = {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
  };
  const deltas: unknown[] =
    reply.kind === 'text'
      ? halves(reply.text).map((content, i) => (i === 0 ? { role: 'assistant', content } : { content }))
      : halves(JSON.stringify(reply.arguments ?? {})).map((args, i) => ({
          ...(i === 0 ? { role: 'assistant' } : {}),
          tool_calls: [
            {
              index: 0,
              ...(i === 0 ? { id: reply.id ?? 'call_mock', type: 'function' } : {}),
              function: { ...(i === 0 ? { name: reply.name } : {}), arguments: args },
            },
          ],
        }));
  const finish = reply.kind === 'text' ? 'stop' : 'tool_calls';
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices, ...extra })}\n\n`;
  if (body.stream !== true) {
    const message =
      reply.kind === 'text'
        ? { role: 'assistant', content: reply.text }
        : {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: reply.id ?? 'call_mock', type: 'function', function: { name: reply.name, arguments: JSON.stringify(reply.arguments ?? {}) } }],
          };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, object: 'chat.completion', model, choices: [{ index: 0, message, finish_reason: finish }], usage }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const delta of deltas) res.write(chunk([{ index: 0, delta, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: finish }]));
  res.write(chunk([], { usage }));
  res.end('data: [DONE]\n\n');
}

function sendError(res: ServerResponse, reply: Extract<ChatReply, { kind: 'error' }>): void {
  const type = reply.type ?? (reply.status === 429 ? 'requests' : reply.status === 401 ? 'invalid_request_error' : 'server_error');
  const code = reply.code ?? (reply.status === 429 ? 'rate_limit_exceeded' : reply.status === 401 ? 'invalid_api_key' : null);
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(JSON.stringify({ error: { message: reply.message ?? `mock error ${reply.status}`, type, code } }));
}

/** Two pieces (when there is enough to split), so that the client must put deltas together. */
function halves(text: string): string[] {
  const chars = Array.from(text);
  if (chars.length < 2) return [text];
  const at = Math.floor(chars.length / 2);
  return [chars.slice(0, at).join(''), chars.slice(at).join('')];
}
