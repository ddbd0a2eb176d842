import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ScriptedModelServer, type ScriptedReply, estimateTokens, json, resetConnection, sleep, startRecordingServer } from './scripted-http.js';

/**
 * A scripted model server speaking Ollama's HTTP wire format, so the real `ollama`
 * client is exercised end to end. The only test double patchbay allows: no model runs
 * on CI machines. It serves queued replies in order and records every request.
 */
export type ScriptedOllama = ScriptedModelServer;

export interface ScriptedOllamaOptions {
  models?: string[];
  contextLength?: number;
  /** Context lengths of particular models, for those that differ from contextLength. */
  contextLengths?: Record<string, number>;
  version?: string;
}

export async function startScriptedOllama(options: ScriptedOllamaOptions = {}): Promise<ScriptedOllama> {
  const models = options.models ?? ['qwen2.5-coder:32b'];
  const contextLength = options.contextLength ?? 32_768;
  const queue: ScriptedReply[] = [];

  const known = (name: unknown) =>
    typeof name === 'string' && models.some((m) => m === name || m === `${name}:latest` || `${m}:latest` === name);

  const generate = async (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, kind: 'chat' | 'generate') => {
    const model = String(body['model'] ?? '');
    if (!known(model)) {
      json(res, 404, { error: `model "${model}" not found, try pulling it first` });
      return;
    }
    const reply = queue.shift();
    if (reply === undefined) {
      json(res, 500, { error: 'scripted ollama: no reply queued for this request' });
      return;
    }
    if ('hang' in reply) return; // never answer; the client's timeout or abort must end it
    if ('reset' in reply) {
      resetConnection(req, res);
      return;
    }
    if ('status' in reply) {
      json(res, reply.status, { error: reply.error }, reply.retryAfterSeconds !== undefined ? { 'retry-after': String(reply.retryAfterSeconds) } : {});
      return;
    }
    const promptText =
      kind === 'chat'
        ? ((body['messages'] as Array<{ content?: string }> | undefined) ?? []).map((m) => m.content ?? '').join('\n')
        : String(body['prompt'] ?? '');
    const created = () => new Date().toISOString();
    const piece = (content: string) =>
      kind === 'chat' ? { message: { role: 'assistant', content } } : { response: content };
    const stream = body['stream'] !== false;
    if ('streamError' in reply) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      if (reply.afterContent) res.write(`${JSON.stringify({ model, created_at: created(), ...piece(reply.afterContent), done: false })}\n`);
      res.end(`${JSON.stringify({ error: reply.streamError })}\n`);
      return;
    }
    const promptTokens = reply.promptTokens ?? estimateTokens(promptText);
    const completionTokens = reply.completionTokens ?? estimateTokens(reply.content);
    const final = {
      model,
      created_at: created(),
      ...piece(''),
      done: true,
      done_reason: reply.truncated ? 'length' : 'stop',
      total_duration: 1_000_000,
      load_duration: 1_000,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: 100_000,
      eval_count: completionTokens,
      eval_duration: 800_000,
    };
    if (!stream) {
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      json(res, 200, { ...final, ...piece(reply.content) });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const size = Math.max(1, reply.chunkSize ?? 16);
    for (let i = 0; i < reply.content.length; i += size) {
      if (res.destroyed) return;
      res.write(`${JSON.stringify({ model, created_at: created(), ...piece(reply.content.slice(i, i + size)), done: false })}\n`);
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    }
    res.end(`${JSON.stringify(final)}\n`);
  };

  const server = await startRecordingServer(async ({ req, res, path, body }) => {
    if (req.method === 'GET' && path === '/api/version') return json(res, 200, { version: options.version ?? '0.6.4' });
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, {
        models: models.map((name) => ({
          name,
          model: name,
          modified_at: '2026-01-01T00:00:00Z',
          size: 1_000_000,
          digest: 'sha256:scripted',
          details: { format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '32B', quantization_level: 'Q4_K_M' },
        })),
      });
    }
    if (req.method === 'POST' && path === '/api/show') {
      if (!known(body['model'])) return json(res, 404, { error: `model "${String(body['model'])}" not found` });
      return json(res, 200, {
        details: { family: 'qwen2', parameter_size: '32B' },
        model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': options.contextLengths?.[String(body['model'])] ?? contextLength },
        capabilities: ['completion'],
      });
    }
    if (req.method === 'POST' && path === '/api/chat') return generate(req, res, body, 'chat');
    if (req.method === 'POST' && path === '/api/generate') return generate(req, res, body, 'generate');
    return json(res, 404, { error: `scripted ollama: no route ${req.method} ${path}` });
  });
  return {
    url: server.url,
    requests: server.requests,
    enqueue: (...replies) => void queue.push(...replies),
    pending: () => queue.length,
    generations: () => server.requests.filter((r) => r.path === '/api/chat' || r.path === '/api/generate'),
    close: server.close,
  };
}
