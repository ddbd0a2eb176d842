import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ScriptedModelServer, type ScriptedReply, estimateTokens, json, resetConnection, sleep, startRecordingServer } from './scripted-http.js';

/**
 * A scripted model server speaking the OpenAI chat-completions wire format (as vLLM,
 * llama.cpp server and LM Studio do), so the real `openai` client is exercised: SSE
 * `data:` lines ending in `data: [DONE]` when streaming, one JSON body otherwise.
 */
/** Its `url` is the base URL up to /v1, as the client is configured. */
export type ScriptedOpenAi = ScriptedModelServer;

export interface ScriptedOpenAiOptions {
  models?: string[];
  /** Reported as max_model_len on GET /v1/models, as vLLM does. */
  contextLength?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export async function startScriptedOpenAi(options: ScriptedOpenAiOptions = {}): Promise<ScriptedOpenAi> {
  const models = options.models ?? ['qwen2.5-coder-32b-instruct'];
  const queue: ScriptedReply[] = [];
  const error = (res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}) =>
    json(res, status, { error: { message, type: status === 429 ? 'rate_limit_error' : 'server_error', code: null } }, extra);

  const complete = async (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => {
    const model = String(body['model'] ?? '');
    if (!models.includes(model)) return error(res, 404, `The model \`${model}\` does not exist`);
    const reply = queue.shift();
    if (reply === undefined) return error(res, 500, 'scripted openai: no reply queued for this request');
    if ('hang' in reply) return;
    if ('reset' in reply) return resetConnection(req, res);
    if ('status' in reply) {
      return error(res, reply.status, reply.error, reply.retryAfterSeconds !== undefined ? { 'retry-after': String(reply.retryAfterSeconds) } : {});
    }
    const id = `chatcmpl-scripted-${Date.now()}`;
    const created = Math.floor(Date.now() / 1_000);
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const stream = body['stream'] === true;
    if ('streamError' in reply) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (reply.afterContent) res.write(`data: ${JSON.stringify(chunk({ content: reply.afterContent }, null))}\n\n`);
      res.end(`data: ${JSON.stringify({ error: { message: reply.streamError } })}\n\n`);
      return;
    }
    const prompt = ((body['messages'] as Array<{ content?: string }> | undefined) ?? []).map((m) => m.content ?? '').join('\n');
    const usage = {
      prompt_tokens: reply.promptTokens ?? estimateTokens(prompt),
      completion_tokens: reply.completionTokens ?? estimateTokens(reply.content),
    };
    const finish = reply.truncated ? 'length' : 'stop';
    if (!stream) {
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: finish }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }, null))}\n\n`);
    const size = Math.max(1, reply.chunkSize ?? 16);
    for (let i = 0; i < reply.content.length; i += size) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(chunk({ content: reply.content.slice(i, i + size) }, null))}\n\n`);
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    }
    res.write(`data: ${JSON.stringify(chunk({}, finish))}\n\n`);
    const options = body['stream_options'] as { include_usage?: boolean } | undefined;
    if (options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  };

  const server = await startRecordingServer(async ({ req, res, path, body }) => {
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 1_767_225_600, owned_by: 'scripted', ...(options.contextLength ? { max_model_len: options.contextLength } : {}) })),
      });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') return complete(req, res, body);
    return error(res, 404, `scripted openai: no route ${req.method} ${path}`);
  });
  return {
    url: `${server.url}/v1`,
    requests: server.requests,
    enqueue: (...replies) => void queue.push(...replies),
    pending: () => queue.length,
    generations: () => server.requests.filter((r) => r.path === '/v1/chat/completions'),
    close: server.close,
  };
}
