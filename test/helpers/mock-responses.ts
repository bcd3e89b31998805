/**
 * A scriptable mock of the OpenAI Responses API on 127.0.0.1, for running the REAL Codex CLI offline
 * (see codex-env.ts for the CODEX_HOME/config.toml that points it here).
 *
 *   const mock = await startMockResponses(replySequence({ kind: 'text', text: 'Done.' }));
 *   mock.requests   // every request, recorded
 *   await mock.close();
 *
 * What Codex 0.171.0 sends (`codex exec --json`, a provider with `wire_api = "responses"`): one
 * `POST /v1/responses` per model turn, always streaming (`"stream": true`, `"store": false`), with
 * `Authorization: Bearer <the env_key's value>`, the tools (`exec_command` {cmd}, `write_stdin`, …),
 * and the whole conversation in `input` (after a tool call, a `function_call_output` item with its
 * call_id). Nothing else (no /models). It reads the SSE events `response.created`,
 * `response.output_item.done` (a `message` or a `function_call` item) and `response.completed` (the
 * usage). An HTTP 429 whose JSON error has type `usage_limit_reached` and `resets_at` becomes "You’ve hit
 * your usage limit. … try again at 3:15 PM." (a clock time in its local zone; a date when not today).
 */
import type { ServerResponse } from 'node:http';
import { sendJson, startRecordingServer } from './mock-http.js';
import type { RecordedRequest as BaseRecorded } from './mock-http.js';

export { closedPort } from './mock-anthropic.js';

/** Token counts of one reply, sent in the Responses API's usage shape. */
export interface Usage {
  input_tokens?: number;
  cached_tokens?: number;
  cache_write_tokens?: number;
  output_tokens?: number;
  reasoning_tokens?: number;
}

export const DEFAULT_USAGE: Required<Usage> = { input_tokens: 12, cached_tokens: 0, cache_write_tokens: 0, output_tokens: 5, reasoning_tokens: 0 };

export type Reply =
  /** An assistant message with one output_text. */
  | { kind: 'text'; text: string; usage?: Usage }
  /** A function call (default `exec_command`, Codex's shell tool: arguments {cmd}), optionally after a message. */
  | { kind: 'tool_call'; arguments: unknown; name?: string; callId?: string; text?: string; usage?: Usage }
  /** A call of a freeform tool (`apply_patch` for models whose metadata has it: its input is the patch text). */
  | { kind: 'custom_tool_call'; name: string; input: string; callId?: string; usage?: Usage }
  /** An HTTP error with the API's JSON body {"error":{"type","code","message"}}. */
  | { kind: 'error'; status: number; type?: string; code?: string; message?: string; headers?: Record<string, string> }
  /** HTTP 429 {"error":{"type":"usage_limit_reached","resets_at":<epoch s>,…}} (default: an hour ahead). */
  | { kind: 'usage-limit'; resetsAt?: number; planType?: string }
  /** Never answers (until close()). */
  | { kind: 'hang' }
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string };

export interface RecordedRequest extends BaseRecorded {
  /** POST /v1/responses only: its position among those, and what the script answered. */
  responsesIndex?: number;
  reply?: Reply;
}

export type Script = (req: { body: any; index: number; request: RecordedRequest }) => Reply | Promise<Reply>;

export interface MockResponses {
  /** `http://127.0.0.1:<port>/v1`, for the provider's base_url. */
  url: string;
  requests: RecordedRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
}

export async function startMockResponses(script: Script = replySequence({ kind: 'text', text: 'OK' })): Promise<MockResponses> {
  let current = script;
  let count = 0;
  const server = await startRecordingServer<RecordedRequest>(
    (_req, res, recorded) => answer(res, recorded),
    (res, message) => sendJson(res, 500, apiError('server_error', undefined, `mock-responses: ${message}`)),
  );

  async function answer(res: ServerResponse, recorded: RecordedRequest): Promise<void> {
    if (recorded.method !== 'POST' || recorded.path !== '/v1/responses') {
      sendJson(res, 404, apiError('invalid_request_error', undefined, `mock-responses: no route for ${recorded.method} ${recorded.path}`));
      return;
    }
    const index = count++;
    recorded.responsesIndex = index;
    const reply = await current({ body: recorded.body, index, request: recorded });
    recorded.reply = reply;
    const id = `resp_mock_${String(index).padStart(4, '0')}`;
    switch (reply.kind) {
      case 'text':
        sendStream(res, id, [message(id, reply.text)], reply.usage);
        return;
      case 'tool_call': {
        const items: unknown[] = reply.text ? [message(id, reply.text)] : [];
        items.push({
          type: 'function_call',
          id: `fc_${id}`,
          call_id: reply.callId ?? `call_${id}`,
          name: reply.name ?? 'exec_command',
          arguments: JSON.stringify(reply.arguments ?? {}),
        });
        sendStream(res, id, items, reply.usage);
        return;
      }
      case 'custom_tool_call':
        sendStream(
          res,
          id,
          [{ type: 'custom_tool_call', id: `ctc_${id}`, call_id: reply.callId ?? `call_${id}`, name: reply.name, input: reply.input }],
          reply.usage,
        );
        return;
      case 'error':
        sendJson(
          res,
          reply.status,
          apiError(reply.type ?? (reply.status === 401 ? 'invalid_request_error' : 'server_error'), reply.code, reply.message ?? `mock error ${reply.status}`),
          reply.headers,
        );
        return;
      case 'usage-limit':
        sendJson(res, 429, {
          error: {
            type: 'usage_limit_reached',
            message: 'The usage limit has been reached',
            plan_type: reply.planType ?? 'plus',
            resets_at: reply.resetsAt ?? Math.floor(Date.now() / 1000) + 3600,
          },
        });
        return;
      case 'hang':
        server.hang(res);
        return;
      case 'raw':
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body);
        return;
    }
  }

  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    requests: server.requests,
    setScript(next) {
      current = next;
    },
    close: () => server.close(),
  };
}

/** Answers the turns with these replies in order, repeating the last one. */
export function replySequence(...replies: Reply[]): Script {
  if (replies.length === 0) throw new Error('replySequence needs a reply');
  return ({ index }) => replies[Math.min(index, replies.length - 1)]!;
}

/** The output of the (function or custom) tool call `callId` (any, when left out) in a request's input, or undefined. */
export function functionCallOutput(body: any, callId?: string): string | undefined {
  const input: any[] = Array.isArray(body?.input) ? body.input : [];
  const found = [...input]
    .reverse()
    .find((i) => ['function_call_output', 'custom_tool_call_output'].includes(i?.type) && (callId === undefined || i.call_id === callId));
  if (!found) return undefined;
  return typeof found.output === 'string' ? found.output : JSON.stringify(found.output);
}

/** The text of every user message of a request's input, joined (the prompt is among them). */
export function userText(body: any): string {
  const input: any[] = Array.isArray(body?.input) ? body.input : [];
  return input
    .filter((i) => i?.type === 'message' && i.role === 'user')
    .flatMap((i) => (Array.isArray(i.content) ? i.content.map((c: any) => String(c?.text ?? '')) : [String(i.content ?? '')]))
    .join('\n');
}

// ---- wire format ----

function message(id: string, text: string) {
  return { type: 'message', role: 'assistant', id: `msg_${id}`, status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
}

function sendStream(res: ServerResponse, id: string, items: unknown[], over: Usage | undefined): void {
  const u = { ...DEFAULT_USAGE, ...over };
  const usage = {
    input_tokens: u.input_tokens,
    input_tokens_details: { cached_tokens: u.cached_tokens, cache_write_tokens: u.cache_write_tokens },
    output_tokens: u.output_tokens,
    output_tokens_details: { reasoning_tokens: u.reasoning_tokens },
    total_tokens: u.input_tokens + u.output_tokens,
  };
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('response.created', { response: { id, status: 'in_progress' } });
  for (const [output_index, item] of items.entries()) event('response.output_item.done', { output_index, item });
  event('response.completed', { response: { id, status: 'completed', usage } });
  res.end();
}

function apiError(type: string, code: string | undefined, message: string) {
  return { error: { type, code: code ?? null, message, param: null } };
}
