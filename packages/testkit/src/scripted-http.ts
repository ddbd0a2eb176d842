import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a scripted model server does with one generation request, in queue order. */
export type ScriptedReply =
  | {
      content: string;
      /** Characters per streamed chunk. */
      chunkSize?: number;
      chunkDelayMs?: number;
      promptTokens?: number;
      completionTokens?: number;
      /** End as if the answer hit its token limit (done_reason / finish_reason "length"). */
      truncated?: boolean;
    }
  | { status: number; error: string; retryAfterSeconds?: number }
  | { hang: true }
  | { reset: true }
  | { streamError: string; afterContent?: string };

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  at: number;
  /** The client closed the connection before the answer was complete (a cancel or a timeout). */
  aborted?: boolean;
}

export const json = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extra });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Route = (ctx: {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  body: Record<string, unknown>;
  record: RecordedRequest;
}) => Promise<void> | void;

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A scripted model server: queued replies served in order, every request recorded. */
export interface ScriptedModelServer extends ScriptedServer {
  enqueue(...replies: ScriptedReply[]): void;
  /** Replies not yet served. */
  pending(): number;
  /** Requests to the generation endpoints only. */
  generations(): RecordedRequest[];
}

/** An HTTP server that records every request (and whether the client hung up early) and routes it. */
export async function startRecordingServer(route: Route): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const body = await readBody(req);
      const record: RecordedRequest = { method: req.method ?? 'GET', path, body, at: Date.now() };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished && !(res as { serverReset?: boolean }).serverReset) record.aborted = true;
      });
      const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      await route({ req, res, path, body: fields, record });
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Drops the connection on purpose (a scripted reset), not counted as the client aborting. */
export function resetConnection(req: IncomingMessage, res: ServerResponse): void {
  (res as { serverReset?: boolean }).serverReset = true;
  req.socket.destroy();
}
