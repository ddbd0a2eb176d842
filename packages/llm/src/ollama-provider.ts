import { Ollama } from 'ollama';
import {
  CancelledError,
  ModelApiError,
  ModelNotFoundError,
  NetworkError,
  RateLimitError,
  TimeoutError,
  isPatchbayError,
} from '@patchbay/errors';
import type { ChatRequest, ChatResult, LlmProvider } from './provider.js';

export interface OllamaProviderOptions {
  host: string;
  model: string;
  timeoutMs: number;
}

/** Maps what the ollama client throws onto the error catalogue's retry reasons. */
export function classifyOllamaError(err: unknown, model: string, timedOut: boolean, cancelled: boolean): Error {
  if (isPatchbayError(err)) return err;
  if (timedOut) return new TimeoutError(`model ${model} did not answer in time`, { cause: err });
  if (cancelled) return new CancelledError(`request to model ${model} was cancelled`, { cause: err });
  const e = err as { name?: string; status_code?: number; message?: string; cause?: { code?: string } };
  if (e.name === 'ResponseError' && typeof e.status_code === 'number') {
    if (e.status_code === 429) return new RateLimitError(`model endpoint is rate limiting: ${e.message}`, { cause: err });
    if (e.status_code === 404 && /not found/i.test(e.message ?? '')) {
      return new ModelNotFoundError(`model ${model} is not available (${e.message}); pull it with: ollama pull ${model}`, { cause: err });
    }
    return new ModelApiError(`model endpoint answered ${e.status_code}: ${e.message}`, {
      cause: err,
      retryable: e.status_code >= 500 || e.status_code === 408,
    });
  }
  if (e.name === 'AbortError') return new CancelledError(`request to model ${model} was aborted`, { cause: err });
  if (e.name === 'TypeError' || e.cause?.code !== undefined || /fetch failed|terminated|socket|ECONN/i.test(e.message ?? '')) {
    return new NetworkError(`cannot talk to the model endpoint: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`, { cause: err });
  }
  return new ModelApiError(`model endpoint failed: ${e.message ?? String(err)}`, { cause: err });
}

export function createOllamaProvider(options: OllamaProviderOptions): LlmProvider {
  const info = { provider: 'ollama', name: options.model, replay: false };
  return {
    info,
    async available() {
      try {
        const { models } = await new Ollama({ host: options.host, fetch: timedFetch(AbortSignal.timeout(3_000)) }).list();
        const names = models.map((m) => m.name);
        if (names.includes(options.model) || names.includes(`${options.model}:latest`)) return { ok: true };
        return { ok: false, reason: `model ${options.model} is not pulled at ${options.host} (has: ${names.join(', ') || 'none'})` };
      } catch (err) {
        return { ok: false, reason: `no Ollama answers at ${options.host} (${(err as Error).message})` };
      }
    },
    async chat(request: ChatRequest): Promise<ChatResult> {
      const model = request.model ?? options.model;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signals = request.signal ? [timeout, request.signal] : [timeout];
      const client = new Ollama({ host: options.host, fetch: timedFetch(AbortSignal.any(signals)) });
      const started = performance.now();
      let content = '';
      let tokensSoFar = 0;
      try {
        const stream = await client.chat({
          model,
          messages: request.messages,
          stream: true,
          options: {
            ...(request.numCtx !== undefined ? { num_ctx: request.numCtx } : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          },
        });
        let promptTokens = 0;
        let completionTokens = 0;
        for await (const part of stream) {
          content += part.message.content;
          if (part.message.content) {
            tokensSoFar += 1;
            request.onToken?.(tokensSoFar);
          }
          if (part.done) {
            promptTokens = part.prompt_eval_count ?? 0;
            completionTokens = part.eval_count ?? tokensSoFar;
          }
        }
        return {
          content,
          tokens: { prompt: promptTokens, completion: completionTokens },
          durationMs: Math.round(performance.now() - started),
          model: { ...info, name: model },
        };
      } catch (err) {
        throw classifyOllamaError(err, model, timeout.aborted, request.signal?.aborted === true);
      }
    },
  };
}

/** A fetch that also stops when `signal` aborts (timeouts, task cancellation). */
function timedFetch(signal: AbortSignal): typeof fetch {
  return (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
}
