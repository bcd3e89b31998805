/**
 * What the mocks of the model APIs share (mock-anthropic.ts, mock-responses.ts, mock-gemini.ts,
 * mock-chat-completions.ts): an HTTP server on
 * 127.0.0.1 that records every request (its JSON body parsed) before the mock answers it, answers a
 * script that throws with a 500, and closes even with requests left hanging.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  /** Position among all requests this server got (0-based). */
  seq: number;
  method: string;
  /** The raw request target, with its query (e.g. `/v1/messages?beta=true`). */
  url: string;
  /** The path alone (e.g. `/v1/messages`). */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON, or undefined when empty. */
  body: any;
  rawBody: string;
}

export interface RecordingServer<R extends RecordedRequest> {
  port: number;
  requests: R[];
  /** Leaves a response unanswered until close() (a hung API). */
  hang(res: ServerResponse): void;
  close(): Promise<void>;
}

/**
 * Starts the server. `answer` gets each request once its body is in (recorded as `R`: the mock adds
 * its own fields); when it throws, `failed` answers instead (the API's own 500 body).
 */
export async function startRecordingServer<R extends RecordedRequest>(
  answer: (req: IncomingMessage, res: ServerResponse, recorded: R) => Promise<void>,
  failed: (res: ServerResponse, message: string) => void,
): Promise<RecordingServer<R>> {
  const requests: R[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded = {
        seq: requests.length,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        headers: req.headers,
        body: parseBody(rawBody),
        rawBody,
      } as R;
      requests.push(recorded);
      void answer(req, res, recorded).catch((error: unknown) => {
        if (!res.headersSent) failed(res, `the script threw: ${String(error)}`);
        else res.end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    hang(res) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
    },
    close() {
      for (const res of hanging) res.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, headOnly = false): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(headOnly ? undefined : JSON.stringify(body));
}

function parseBody(raw: string): any {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
