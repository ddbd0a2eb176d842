import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiProvider, createProvider, parseRetryAfter, publicEndpoint } from '@patchbay/llm';
import { type ScriptedOpenAi, startScriptedOpenAi } from '@patchbay/testkit';

const MODEL = 'qwen2.5-coder-32b-instruct';
const KEY = 'sk-scripted-test-key-0123456789abcdef';
let server: ScriptedOpenAi;
beforeAll(async () => {
  server = await startScriptedOpenAi({ models: [MODEL], contextLength: 16_384, apiKey: KEY });
});
afterAll(() => server.close());

const provider = (timeoutMs = 5_000) => createOpenAiProvider({ baseUrl: server.url, apiKey: KEY, model: MODEL, timeoutMs });
const ask = { messages: [{ role: 'user' as const, content: 'fix it' }] };

describe('OpenAI-compatible provider against the scripted server', () => {
  it('streams over SSE, counts tokens from the usage chunk, and sends the bearer key', async () => {
    server.enqueue({ content: 'hello world, streamed in pieces', chunkSize: 4, promptTokens: 33, completionTokens: 8 });
    const seen: number[] = [];
    const result = await provider().chat({ ...ask, maxTokens: 256, temperature: 0.1, onToken: (n) => seen.push(n) });
    expect(result).toMatchObject({ content: 'hello world, streamed in pieces', tokens: { prompt: 33, completion: 8 }, truncated: false });
    expect(result.model).toEqual({ provider: 'openai', name: MODEL, replay: false });
    expect(seen.at(-1)).toBe(8);
    const body = server.generations().at(-1)?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: MODEL, stream: true, stream_options: { include_usage: true }, max_tokens: 256, temperature: 0.1 });
  });

  it('takes a whole answer without streaming, with response_format for structured output', async () => {
    server.enqueue({ content: '{"edits":[]}', promptTokens: 5, completionTokens: 3, truncated: true });
    const schema = { type: 'object', properties: { edits: { type: 'array' } }, required: ['edits'] };
    const result = await provider().chat({ ...ask, stream: false, format: { name: 'edits', schema } });
    expect(result).toMatchObject({ content: '{"edits":[]}', tokens: { prompt: 5, completion: 3 }, truncated: true });
    const body = server.generations().at(-1)?.body as Record<string, unknown>;
    expect(body['stream']).toBe(false);
    expect(body['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'edits', schema } });
  });

  it('maps 429 with Retry-After, 500, a reset and a hang onto the catalogue', async () => {
    server.enqueue({ status: 429, error: 'slow down', retryAfterSeconds: 3 }, { status: 503, error: 'overloaded' }, { reset: true }, { hang: true });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'RATE_LIMITED', transient: true, retryAfterMs: 3_000 });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'MODEL_API_ERROR', transient: true });
    await expect(provider().chat(ask)).rejects.toMatchObject({ code: 'NETWORK_ERROR', transient: true });
    await expect(provider(300).chat(ask)).rejects.toMatchObject({ code: 'TIMEOUT', transient: true });
  });

  it('refuses a wrong key as final, without the key in the message, and an unknown model plainly', async () => {
    const wrong = createOpenAiProvider({ baseUrl: server.url, apiKey: 'sk-wrong-key-0000000000000000000', model: MODEL, timeoutMs: 2_000 });
    const err = (await wrong.chat(ask).then(
      () => new Error('expected a refusal'),
      (e: unknown) => e as Error,
    )) as Error & { code?: string };
    expect(err).toMatchObject({ code: 'MODEL_API_ERROR', retryable: false });
    expect(err.message).not.toContain('sk-wrong');
    const missing = createOpenAiProvider({ baseUrl: server.url, apiKey: KEY, model: 'nope', timeoutMs: 2_000 });
    await expect(missing.chat(ask)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await missing.available()).toMatchObject({ ok: false });
    expect(await provider().available()).toEqual({ ok: true });
  });

  it('reads the context window from GET /v1/models (max_model_len)', async () => {
    expect(await provider().contextWindow()).toBe(16_384);
    const configured = createOpenAiProvider({ baseUrl: server.url, apiKey: KEY, model: MODEL, timeoutMs: 2_000, contextWindow: 2_048 });
    expect(await configured.contextWindow()).toBe(2_048);
  });

  it('aborts mid-stream on cancel, and the server sees the request aborted', async () => {
    server.enqueue({ content: 'x'.repeat(400), chunkSize: 1, chunkDelayMs: 5 });
    const controller = new AbortController();
    const pending = provider().chat({ ...ask, signal: controller.signal, onToken: (n) => n === 10 && controller.abort() });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.generations().at(-1)?.aborted).toBe(true);
  });

  it('is what the settings name with provider openai', async () => {
    const p = await createProvider({ provider: 'openai', host: 'http://unused', model: MODEL, openaiBaseUrl: server.url, openaiApiKey: KEY, timeoutMs: 2_000 });
    expect(p.info.provider).toBe('openai');
    expect(p.endpoint).toBe(server.url);
  });
});

describe('helpers', () => {
  it('reads Retry-After as seconds, as an HTTP date, or as retry-after-ms', () => {
    const h = (entries: Record<string, string>) => new Headers(entries);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(h({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(parseRetryAfter(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), now)).toBe(10_000);
    expect(parseRetryAfter(h({ 'retry-after-ms': '250', 'retry-after': '3' }), now)).toBe(250);
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(h({}), now)).toBeUndefined();
  });

  it('names an endpoint without its credentials', () => {
    expect(publicEndpoint('https://user:secret@api.example.test/v1/')).toBe('https://api.example.test/v1');
    expect(publicEndpoint('http://127.0.0.1:11434')).toBe('http://127.0.0.1:11434');
  });
});
