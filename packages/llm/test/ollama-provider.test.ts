import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOllamaProvider, createReplayProvider } from '@patchbay/llm';
import { startScriptedOllama, type ScriptedOllama } from '@patchbay/testkit';

let server: ScriptedOllama;
beforeAll(async () => {
  server = await startScriptedOllama({ models: ['qwen2.5-coder:32b'] });
});
afterAll(() => server.close());

const provider = (timeoutMs = 5_000) => createOllamaProvider({ host: server.url, model: 'qwen2.5-coder:32b', timeoutMs });
const ask = { messages: [{ role: 'user' as const, content: 'fix it' }], numCtx: 8192 };

describe('ollama provider against the scripted server', () => {
  it('streams an answer, counts tokens, and sends num_ctx', async () => {
    server.enqueue({ content: 'hello world, streamed in pieces', chunkSize: 5, promptTokens: 42, completionTokens: 7 });
    const seen: number[] = [];
    const result = await provider().chat({ ...ask, onToken: (n) => seen.push(n) });
    expect(result.content).toBe('hello world, streamed in pieces');
    expect(result.tokens).toEqual({ prompt: 42, completion: 7 });
    expect(seen.length).toBeGreaterThan(3);
    const body = server.generations().at(-1)?.body as { options?: { num_ctx?: number }; stream?: boolean };
    expect(body.options?.num_ctx).toBe(8192);
    expect(body.stream).toBe(true);
  });

  it('maps 429 to RATE_LIMITED with its Retry-After, 500 to a retryable MODEL_API_ERROR, 400 to a final one', async () => {
    server.enqueue({ status: 429, error: 'slow down', retryAfterSeconds: 7 }, { status: 500, error: 'boom' }, { status: 400, error: 'bad' });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryable: true, transient: true, retryAfterMs: 7_000 });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'MODEL_API_ERROR', retryable: true, transient: true });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'MODEL_API_ERROR', retryable: false, transient: false });
  });

  it('takes the answer whole when not streaming, and sends the JSON schema as format', async () => {
    server.enqueue({ content: '{"edits":[]}', promptTokens: 10, completionTokens: 4 });
    const schema = { type: 'object', properties: { edits: { type: 'array' } } };
    const seen: number[] = [];
    const result = await provider().chat({ ...ask, stream: false, format: { name: 'edits', schema }, maxTokens: 512, onToken: (n) => seen.push(n) });
    expect(result).toMatchObject({ content: '{"edits":[]}', tokens: { prompt: 10, completion: 4 }, truncated: false });
    expect(seen).toEqual([]);
    const body = server.generations().at(-1)?.body as { stream: boolean; format: unknown; options: { num_predict: number } };
    expect(body.stream).toBe(false);
    expect(body.format).toEqual(schema);
    expect(body.options.num_predict).toBe(512);
  });

  it('says when the answer stopped at its token limit', async () => {
    server.enqueue({ content: 'cut short', truncated: true });
    expect((await provider().chat(ask)).truncated).toBe(true);
  });

  it("reads the model's context window from /api/show, once, unless configured", async () => {
    const small = await startScriptedOllama({ models: ['qwen2.5-coder:32b'], contextLength: 12_288 });
    try {
      const p = createOllamaProvider({ host: small.url, model: 'qwen2.5-coder:32b', timeoutMs: 2_000 });
      expect(await p.contextWindow()).toBe(12_288);
      expect(await p.contextWindow()).toBe(12_288);
      expect(small.requests.filter((r) => r.path === '/api/show')).toHaveLength(1);
      expect(await p.contextWindow('missing:1b')).toBeUndefined();
      const configured = createOllamaProvider({ host: small.url, model: 'qwen2.5-coder:32b', timeoutMs: 2_000, contextWindow: 4_096 });
      expect(await configured.contextWindow()).toBe(4_096);
      expect(small.requests.filter((r) => r.path === '/api/show')).toHaveLength(2);
    } finally {
      await small.close();
    }
  });

  it('maps a connection reset to NETWORK_ERROR and a hang to TIMEOUT', async () => {
    server.enqueue({ reset: true }, { hang: true });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    await expect(provider(300).chat(ask)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('reports a missing model plainly', async () => {
    const missing = createOllamaProvider({ host: server.url, model: 'nope:1b', timeoutMs: 2_000 });
    await expect(missing.chat(ask)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await missing.available()).toMatchObject({ ok: false });
    expect(await provider().available()).toEqual({ ok: true });
  });

  it('cancels a request mid-generation', async () => {
    server.enqueue({ content: 'x'.repeat(400), chunkSize: 1, chunkDelayMs: 5 });
    const controller = new AbortController();
    const pending = provider().chat({ ...ask, signal: controller.signal, onToken: (n) => n === 10 && controller.abort() });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.generations().at(-1)?.aborted).toBe(true);
  });
});

describe('replay provider', () => {
  it('answers by the text the prompt contains and names itself a replay', async () => {
    const replay = createReplayProvider({
      name: 'demo',
      answers: [
        { when: ['Feedback'], unless: [], content: 'second' },
        { when: ['fix'], unless: [], content: 'first' },
      ],
    });
    expect(replay.info).toEqual({ provider: 'replay', name: 'replay:demo', replay: true });
    expect((await replay.chat(ask)).content).toBe('first');
    expect((await replay.chat({ messages: [{ role: 'user', content: 'fix it. Feedback: ...' }] })).content).toBe('second');
    await expect(replay.chat({ messages: [{ role: 'user', content: 'other' }] })).rejects.toThrow(/no recorded answer/);
  });
});
