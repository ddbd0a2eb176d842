import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  CancelledError,
  ModelApiError,
  ModelNotFoundError,
  NetworkError,
  RateLimitError,
  TimeoutError,
  isPatchbayError,
} from '@patchbay/errors';
import { type ChatRequest, type ChatResult, type LlmProvider, estimateTokens, parseRetryAfter, publicEndpoint } from './provider.js';

export interface OpenAiProviderOptions {
  /** Up to and including /v1, e.g. http://127.0.0.1:8000/v1 (vLLM) or http://127.0.0.1:8080/v1 (llama.cpp). */
  baseUrl: string;
  /** Sent as a bearer token; never logged. Local servers usually need none. */
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
  /** The model's context window; read from GET /models (vLLM's max_model_len and kin) when absent. */
  contextWindow?: number | undefined;
}

/** Maps what the openai client throws onto the error catalogue's retry reasons. */
export function classifyOpenAiError(err: unknown, model: string, timedOut: boolean, cancelled: boolean): Error {
  if (isPatchbayError(err)) return err;
  if (timedOut || err instanceof APIConnectionTimeoutError) return new TimeoutError(`model ${model} did not answer in time`, { cause: err });
  if (cancelled || err instanceof APIUserAbortError) return new CancelledError(`request to model ${model} was cancelled`, { cause: err });
  if (err instanceof APIConnectionError) {
    const code = (err.cause as { cause?: { code?: string }; code?: string } | undefined)?.cause?.code;
    return new NetworkError(`cannot talk to the model endpoint: ${err.message}${code ? ` (${code})` : ''}`, { cause: err });
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const retryAfterMs = parseRetryAfter(err.headers);
    const after = retryAfterMs !== undefined ? { retryAfterMs } : {};
    const status = err.status;
    if (status === 429) return new RateLimitError(`model endpoint is rate limiting: ${err.message}`, { cause: err, ...after });
    if (status === 404 && /model/i.test(err.message)) {
      return new ModelNotFoundError(`model ${model} is not served at the endpoint (${err.message})`, { cause: err });
    }
    if (status === 401 || status === 403) {
      return new ModelApiError(`the model endpoint refused the credentials (${status}); check PATCHBAY_OPENAI_API_KEY`, { cause: err, retryable: false });
    }
    return new ModelApiError(`model endpoint answered ${status}: ${err.message}`, {
      cause: err,
      retryable: status >= 500 || status === 408 || status === 409,
      ...after,
    });
  }
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'AbortError') return new CancelledError(`request to model ${model} was aborted`, { cause: err });
  if (e.name === 'TypeError' || e.cause?.code !== undefined || /fetch failed|terminated|socket|ECONN/i.test(e.message ?? '')) {
    return new NetworkError(`cannot talk to the model endpoint: ${e.message}`, { cause: err });
  }
  return new ModelApiError(`model endpoint failed: ${e.message ?? String(err)}`, { cause: err });
}

/** Fields OpenAI-compatible servers use for the context length in their /models entries. */
function contextLengthOf(entry: Record<string, unknown>): number | undefined {
  const meta = (entry['meta'] ?? {}) as Record<string, unknown>;
  for (const value of [entry['max_model_len'], entry['context_length'], entry['max_context_length'], entry['context_window'], meta['n_ctx'], meta['n_ctx_train']]) {
    if (typeof value === 'number' && value > 0) return value;
  }
  return undefined;
}

/**
 * Any OpenAI-compatible chat endpoint through the official `openai` client: vLLM,
 * llama.cpp server, LM Studio, hosted APIs. The client's own retries are off: patchbay's
 * retry policy and circuit breaker decide.
 */
export function createOpenAiProvider(options: OpenAiProviderOptions): LlmProvider {
  const info = { provider: 'openai', name: options.model, replay: false };
  const windows = new Map<string, number>();
  const client = () =>
    new OpenAI({
      baseURL: options.baseUrl,
      // Local servers take any key; the client insists on one.
      apiKey: options.apiKey ?? 'none',
      maxRetries: 0,
      timeout: options.timeoutMs,
    });
  return {
    info,
    endpoint: publicEndpoint(options.baseUrl),
    async available() {
      try {
        const names: string[] = [];
        for await (const m of client().models.list({ timeout: 3_000 })) names.push(m.id);
        if (names.includes(options.model)) return { ok: true };
        return { ok: false, reason: `model ${options.model} is not served at ${publicEndpoint(options.baseUrl)} (has: ${names.join(', ') || 'none'})` };
      } catch (err) {
        return { ok: false, reason: `no OpenAI-compatible endpoint answers at ${publicEndpoint(options.baseUrl)} (${(err as Error).message})` };
      }
    },
    async contextWindow(model = options.model) {
      if (options.contextWindow !== undefined) return options.contextWindow;
      const known = windows.get(model);
      if (known !== undefined) return known;
      try {
        for await (const m of client().models.list({ timeout: 10_000 })) {
          const length = contextLengthOf(m as unknown as Record<string, unknown>);
          if (length !== undefined) windows.set(m.id, length);
        }
      } catch {
        return undefined;
      }
      return windows.get(model);
    },
    async chat(request: ChatRequest): Promise<ChatResult> {
      const model = request.model ?? options.model;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = AbortSignal.any(request.signal ? [timeout, request.signal] : [timeout]);
      const started = performance.now();
      const body = {
        model,
        messages: request.messages,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
        ...(request.format
          ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.format.name, schema: request.format.schema } } }
          : {}),
      };
      const prompt = request.messages.map((m) => m.content).join('\n');
      const done = (content: string, usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined, reason: string | null | undefined, streamed = 0): ChatResult => ({
        content,
        // Servers that do not report usage get an estimate rather than a zero.
        tokens: { prompt: usage?.prompt_tokens ?? estimateTokens(prompt), completion: usage?.completion_tokens ?? (streamed || estimateTokens(content)) },
        durationMs: Math.round(performance.now() - started),
        model: { ...info, name: model },
        truncated: reason === 'length',
      });
      try {
        if (request.stream === false) {
          const answer = await client().chat.completions.create({ ...body, stream: false }, { signal });
          const choice = answer.choices[0];
          return done(choice?.message.content ?? '', answer.usage, choice?.finish_reason);
        }
        const stream = await client().chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal });
        let content = '';
        let tokensSoFar = 0;
        let usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined;
        let reason: string | null | undefined;
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          const piece = choice?.delta?.content ?? '';
          if (piece) {
            content += piece;
            tokensSoFar += 1;
            request.onToken?.(tokensSoFar);
          }
          if (choice?.finish_reason) reason = choice.finish_reason;
          if (chunk.usage) usage = chunk.usage;
        }
        // The client ends the stream quietly on abort: a partial answer is no answer.
        if (signal.aborted) throw signal.reason;
        return done(content, usage, reason, tokensSoFar);
      } catch (err) {
        throw classifyOpenAiError(err, model, timeout.aborted, request.signal?.aborted === true);
      }
    },
  };
}
