/**
 * A scriptable mock of the Anthropic Messages API on 127.0.0.1, for running the REAL Claude Code CLI
 * offline (see claude-env.ts for the environment that points it here).
 *
 *   const mock = await startMockAnthropic(onMainLoop(() => ({ kind: 'text', text: 'Done.' })));
 *   // run claude with ANTHROPIC_BASE_URL=mock.url …
 *   mock.requests   // every request, recorded
 *   await mock.close();
 *
 * What Claude Code 2.1.330 sends (observed with `claude -p --output-format stream-json --verbose`
 * and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1): one `POST /v1/messages?beta=true` per model turn,
 * always streaming (`"stream": true`), always with `tools` (12 tools by default, 3 with `--bare`); after a
 * tool_use the next request carries the tool_result in its last user message. No count_tokens, no
 * title or quota-check request, nothing else. Without CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC it
 * first sends `HEAD /api/hello`. A 400 makes it retry with other request shapes (more tools).
 * Everything is still recorded and answered here (count_tokens, /api/hello, unknown paths → 404)
 * in case another version does more.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sendJson as sendJsonBody, startRecordingServer } from './mock-http.js';
import type { RecordedRequest as BaseRecorded } from './mock-http.js';

export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** Tokens a reply reports when the script gives none. */
export const DEFAULT_USAGE: Required<Usage> = {
  input_tokens: 12,
  output_tokens: 5,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

export type Reply =
  /** An assistant turn with one text block, stop_reason end_turn. */
  | { kind: 'text'; text: string; usage?: Usage; model?: string }
  /** An assistant turn with an optional text block and one tool_use block, stop_reason tool_use. */
  | { kind: 'tool_use'; name: string; input: unknown; id?: string; text?: string; usage?: Usage; model?: string }
  /**
   * An HTTP error with the API's JSON error body `{"type":"error","error":{"type","message"}}`.
   * `shouldRetry: false` sends `x-should-retry: false`, which Claude Code obeys for every status (no
   * retry at all); `true` sends `x-should-retry: true`; left out, no such header. Default type follows
   * the status (429 rate_limit_error, 529 overloaded_error, 401 authentication_error, …).
   */
  | { kind: 'error'; status: number; type?: string; message?: string; headers?: Record<string, string>; shouldRetry?: boolean }
  /**
   * A subscription usage limit the way the API says it: 429 rate_limit_error, x-should-retry false, and
   * the `anthropic-ratelimit-unified-*` headers (status rejected, the reset time, the limit that was hit).
   *
   * What Claude Code makes of it depends on the auth it runs with (claude-env.ts):
   * - as a subscriber (claudeEnv(url, { subscriber: true })): a `rate_limit_event` line, then the
   *   result "You've hit your 5-hour limit · resets 7pm (UTC)" with api_error "usage_limit_reached";
   * - with an API key only: the result "API Error: Request rejected (429) · <message>".
   */
  | { kind: 'usage-limit'; message?: string; resetsAt?: number; claim?: RateLimitClaim; headers?: Record<string, string> }
  /** Never answers (until close()): for timeouts. */
  | { kind: 'hang' }
  /** Anything else, verbatim. */
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string };

/** The limit named in `anthropic-ratelimit-unified-representative-claim`. */
export type RateLimitClaim = 'five_hour' | 'seven_day' | 'seven_day_opus' | 'seven_day_sonnet';

export interface RecordedRequest extends BaseRecorded {
  /** For POST /v1/messages: its position among those (0-based), the `index` the script got. */
  messagesIndex?: number;
  /** What the script answered (POST /v1/messages only). */
  reply?: Reply;
}

export interface ScriptRequest {
  /** The parsed JSON body of the POST /v1/messages. */
  body: any;
  /** Its position among the POST /v1/messages requests (0-based). */
  index: number;
  request: RecordedRequest;
}

export type Script = (req: ScriptRequest) => Reply | Promise<Reply>;

export interface MockAnthropic {
  /** `http://127.0.0.1:<port>`, for ANTHROPIC_BASE_URL. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** The POST /v1/messages requests alone. */
  messageRequests(): RecordedRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
}

const DEFAULT_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** The message the real API gives with a usage-limit 429 (Claude Code shows its own text for subscribers). */
export const USAGE_LIMIT_MESSAGE = "This request would exceed your account's rate limit. Please try again later.";

export async function startMockAnthropic(script: Script = onMainLoop(() => ({ kind: 'text', text: 'OK' }))): Promise<MockAnthropic> {
  let current = script;
  let messagesCount = 0;
  let toolIds = 0;
  const server = await startRecordingServer<RecordedRequest>(
    (req, res, recorded) => answer(req, res, recorded),
    (res, message) => sendJson(res, 500, apiError('api_error', `mock-anthropic: ${message}`)),
  );
  const { port, requests } = server;

  async function answer(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest): Promise<void> {
    const { path } = recorded;
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(recorded.rawBody.length / 4)) });
      return;
    }
    if ((req.method === 'HEAD' || req.method === 'GET') && (path === '/api/hello' || path === '/')) {
      sendJson(res, 200, {}, req.method === 'HEAD');
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/messages') {
      sendJson(res, 404, apiError('not_found_error', `mock-anthropic: no route for ${req.method} ${path}`), req.method === 'HEAD');
      return;
    }
    if (typeof recorded.body !== 'object' || recorded.body === null) {
      sendJson(res, 400, apiError('invalid_request_error', 'mock-anthropic: the body is not JSON'));
      return;
    }
    const index = messagesCount++;
    recorded.messagesIndex = index;
    const reply = await current({ body: recorded.body, index, request: recorded });
    recorded.reply = reply;
    const model = typeof recorded.body.model === 'string' ? recorded.body.model : 'claude-mock';
    const id = `msg_mock_${String(index).padStart(4, '0')}`;
    switch (reply.kind) {
      case 'text':
        sendMessage(res, recorded.body.stream === true, {
          id,
          model: reply.model ?? model,
          stopReason: 'end_turn',
          usage: reply.usage,
          blocks: [{ type: 'text', text: reply.text }],
        });
        return;
      case 'tool_use': {
        const blocks: Block[] = [];
        if (reply.text) blocks.push({ type: 'text', text: reply.text });
        blocks.push({ type: 'tool_use', id: reply.id ?? `toolu_mock_${String(toolIds++).padStart(4, '0')}`, name: reply.name, input: reply.input });
        sendMessage(res, recorded.body.stream === true, { id, model: reply.model ?? model, stopReason: 'tool_use', usage: reply.usage, blocks });
        return;
      }
      case 'error': {
        const headers: Record<string, string> = {
          ...(reply.shouldRetry === undefined ? {} : { 'x-should-retry': String(reply.shouldRetry) }),
          ...reply.headers,
        };
        sendJson(
          res,
          reply.status,
          apiError(reply.type ?? DEFAULT_TYPES[reply.status] ?? 'api_error', reply.message ?? `mock error ${reply.status}`),
          false,
          headers,
        );
        return;
      }
      case 'usage-limit':
        sendJson(res, 429, apiError('rate_limit_error', reply.message ?? USAGE_LIMIT_MESSAGE), false, {
          ...usageLimitHeaders(reply.resetsAt ?? defaultResetsAt(), reply.claim ?? 'five_hour'),
          ...reply.headers,
        });
        return;
      case 'hang':
        server.hang(res);
        return;
      case 'raw':
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body);
        return;
      default:
        throw new Error(`mock-anthropic: unknown reply ${JSON.stringify(reply)}`);
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    messageRequests: () => requests.filter((r) => r.messagesIndex !== undefined),
    setScript(next) {
      current = next;
    },
    close: () => server.close(),
  };
}

/** The headers of a subscription usage limit (see the 'usage-limit' reply). */
export function usageLimitHeaders(resetsAt: number, claim: RateLimitClaim = 'five_hour'): Record<string, string> {
  const window = claim === 'five_hour' ? '5h' : '7d';
  return {
    'x-should-retry': 'false',
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': String(resetsAt),
    'anthropic-ratelimit-unified-representative-claim': claim,
    [`anthropic-ratelimit-unified-${window}-status`]: 'rejected',
    [`anthropic-ratelimit-unified-${window}-reset`]: String(resetsAt),
    [`anthropic-ratelimit-unified-${window}-utilization`]: '1.0',
  };
}

/** The next whole hour after the one to come, in epoch seconds: a reset time 1–2 h away. */
function defaultResetsAt(): number {
  return (Math.floor(Date.now() / 3_600_000) + 2) * 3600;
}

// ---- scripting helpers ----

/** Whether a POST /v1/messages body is a turn of the agent loop (it offers tools). */
export function isMainRequest(body: any): boolean {
  return Array.isArray(body?.tools) && body.tools.length > 0;
}

/**
 * Scripts the agent loop alone: requests that offer tools go to `script`, numbered among themselves
 * (index 0 is the first main turn); any other request (a title, quota or side query, which 2.1.330 does
 * not send but other versions may) gets a short text.
 */
export function onMainLoop(script: Script, other: (req: ScriptRequest) => Reply = () => ({ kind: 'text', text: 'OK' })): Script {
  let main = 0;
  return (req) => (isMainRequest(req.body) ? script({ ...req, index: main++ }) : other(req));
}

/** Answers the main turns with these replies in order, repeating the last one. */
export function replySequence(...replies: Reply[]): Script {
  if (replies.length === 0) throw new Error('replySequence needs a reply');
  return onMainLoop(({ index }) => replies[Math.min(index, replies.length - 1)]!);
}

/**
 * One tool call, then a final text: the first main turn asks for the tool; a turn that carries its
 * tool_result gets `finalText`. (Decided by the tool_result, not by counting, so retries do not
 * shift it.)
 */
export function toolTurnThenText(tool: { name: string; input: unknown; id?: string; text?: string }, finalText: string, usage?: Usage): Script {
  const id = tool.id ?? 'toolu_mock_0001';
  return onMainLoop(({ body }) => (findToolResult(body, id) ? { kind: 'text', text: finalText, usage } : { kind: 'tool_use', ...tool, id, usage }));
}

export interface ToolResult {
  type: 'tool_result';
  tool_use_id: string;
  content?: unknown;
  is_error?: boolean;
}

/** The last tool_result in a request body's messages (for `toolUseId`, when given). */
export function findToolResult(body: any, toolUseId?: string): ToolResult | undefined {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let m = messages.length - 1; m >= 0; m--) {
    const content = messages[m]?.content;
    if (!Array.isArray(content)) continue;
    for (let b = content.length - 1; b >= 0; b--) {
      const block = content[b];
      if (block?.type === 'tool_result' && (toolUseId === undefined || block.tool_use_id === toolUseId)) return block as ToolResult;
    }
  }
  return undefined;
}

/** A tool_result's content as text (a string, or its text blocks joined). */
export function toolResultText(result: ToolResult | undefined): string {
  const content = result?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c: any) => (c?.type === 'text' ? String(c.text) : '')).join('');
  return '';
}

/** The text of the last user message of a request body (the prompt, on the first turn). */
export function lastUserText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m?.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return Array.isArray(last.content) ? last.content.map((c: any) => (c?.type === 'text' ? String(c.text) : '')).join('\n') : '';
}

// ---- wire format ----

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

function sendMessage(
  res: ServerResponse,
  stream: boolean,
  m: { id: string; model: string; stopReason: string; usage: Usage | undefined; blocks: Block[] },
): void {
  const usage = { ...DEFAULT_USAGE, ...m.usage };
  if (!stream) {
    sendJson(res, 200, {
      id: m.id,
      type: 'message',
      role: 'assistant',
      model: m.model,
      content: m.blocks,
      stop_reason: m.stopReason,
      stop_sequence: null,
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': `req_${m.id}` });
  const event = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', {
    message: {
      id: m.id,
      type: 'message',
      role: 'assistant',
      model: m.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // As the real API does: input and cache counts up front, output counted again at the end.
      usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) },
    },
  });
  m.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of split(block.text)) event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    } else {
      event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      for (const piece of split(JSON.stringify(block.input ?? {})))
        event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', { delta: { stop_reason: m.stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  event('message_stop', {});
  res.end();
}

/** Two pieces (when there is enough to split), so that clients must put deltas together. */
function split(text: string): string[] {
  const chars = Array.from(text); // by code point: never a lone surrogate in a delta
  if (chars.length < 2) return [text];
  const at = Math.floor(chars.length / 2);
  return [chars.slice(0, at).join(''), chars.slice(at).join('')];
}

function apiError(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

/** JSON with the `request-id` header the real API sends. */
function sendJson(res: ServerResponse, status: number, body: unknown, headOnly = false, headers: Record<string, string> = {}): void {
  sendJsonBody(res, status, body, { 'request-id': `req_mock_${Date.now()}`, ...headers }, headOnly);
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then closed): an API that is unreachable. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
