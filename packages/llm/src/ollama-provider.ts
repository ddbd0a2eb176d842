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
import { type ChatRequest, type ChatResult, type LlmProvider, parseRetryAfter, publicEndpoint } from './provider.js';

export interface OllamaProviderOptions {
  host: string;
  model: string;
  timeoutMs: number;
  /** The model's context window; asked of /api/show when absent. */
  contextWindow?: number | undefined;
}

/** Maps what the ollama client throws onto the error catalogue's retry reasons. */
export function classifyOllamaError(err: unknown, model: string, timedOut: boolean, cancelled: boolean, retryAfterMs?: number): Error {
  if (isPatchbayError(err)) return err;
  if (timedOut) return new TimeoutError(`model ${model} did not answer in time`, { cause: err });
  if (cancelled) return new CancelledError(`request to model ${model} was cancelled`, { cause: err });
  const e = err as { name?: string; status_code?: number; message?: string; cause?: { code?: string } };
  if (e.name === 'ResponseError' && typeof e.status_code === 'number') {
    if (e.status_code === 429) {
      return new RateLimitError(`model endpoint is rate limiting: ${e.message}`, { cause: err, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    if (e.status_code === 404 && /not found/i.test(e.message ?? '')) {
      return new ModelNotFoundError(`model ${model} is not available (${e.message}); pull it with: ollama pull ${model}`, { cause: err });
    }
    return new ModelApiError(`model endpoint answered ${e.status_code}: ${e.message}`, {
      cause: err,
      retryable: e.status_code >= 500 || e.status_code === 408,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (e.name === 'AbortError') return new CancelledError(`request to model ${model} was aborted`, { cause: err });
  if (e.name === 'TypeError' || e.cause?.code !== undefined || /fetch failed|terminated|socket|ECONN/i.test(e.message ?? '')) {
    return new NetworkError(`cannot talk to the model endpoint: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`, { cause: err });
  }
  // An error inside the stream (the server gave up mid-answer) is worth another try.
  return new ModelApiError(`model endpoint failed: ${e.message ?? String(err)}`, { cause: err });
}

/** The context length in /api/show's model_info (`<architecture>.context_length`). */
function contextLengthOf(modelInfo: Record<string, unknown> | undefined): number | undefined {
  if (!modelInfo) return undefined;
  const arch = modelInfo['general.architecture'];
  const direct = typeof arch === 'string' ? modelInfo[`${arch}.context_length`] : undefined;
  const any = direct ?? Object.entries(modelInfo).find(([k]) => k.endsWith('.context_length'))?.[1];
  return typeof any === 'number' && any > 0 ? any : undefined;
}

export function createOllamaProvider(options: OllamaProviderOptions): LlmProvider {
  const info = { provider: 'ollama', name: options.model, replay: false };
  const windows = new Map<string, number>();
  return {
    info,
    endpoint: publicEndpoint(options.host),
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
    async contextWindow(model = options.model) {
      if (options.contextWindow !== undefined) return options.contextWindow;
      const known = windows.get(model);
      if (known !== undefined) return known;
      try {
        const shown = await new Ollama({ host: options.host, fetch: timedFetch(AbortSignal.timeout(10_000)) }).show({ model });
        const length = contextLengthOf(shown.model_info as unknown as Record<string, unknown> | undefined);
        if (length !== undefined) windows.set(model, length);
        return length;
      } catch {
        // Unknown for now: the generation itself will say what is wrong with the endpoint.
        return undefined;
      }
    },
    async chat(request: ChatRequest): Promise<ChatResult> {
      const model = request.model ?? options.model;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signals = request.signal ? [timeout, request.signal] : [timeout];
      let retryAfterMs: number | undefined;
      const client = new Ollama({
        host: options.host,
        fetch: timedFetch(AbortSignal.any(signals), (res) => {
          retryAfterMs = parseRetryAfter(res.headers);
        }),
      });
      const started = performance.now();
      const body = {
        model,
        messages: request.messages,
        ...(request.format ? { format: request.format.schema } : {}),
        options: {
          ...(request.numCtx !== undefined ? { num_ctx: request.numCtx } : {}),
          ...(request.maxTokens !== undefined ? { num_predict: request.maxTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        },
      };
      const done = (content: string, prompt: number, completion: number, reason: string | undefined): ChatResult => ({
        content,
        tokens: { prompt, completion },
        durationMs: Math.round(performance.now() - started),
        model: { ...info, name: model },
        truncated: reason === 'length',
      });
      try {
        if (request.stream === false) {
          const answer = await client.chat({ ...body, stream: false });
          return done(answer.message.content, answer.prompt_eval_count ?? 0, answer.eval_count ?? 0, answer.done_reason);
        }
        const stream = await client.chat({ ...body, stream: true });
        let content = '';
        let tokensSoFar = 0;
        let promptTokens = 0;
        let completionTokens = 0;
        let reason: string | undefined;
        for await (const part of stream) {
          content += part.message.content;
          if (part.message.content) {
            tokensSoFar += 1;
            request.onToken?.(tokensSoFar);
          }
          if (part.done) {
            promptTokens = part.prompt_eval_count ?? 0;
            completionTokens = part.eval_count ?? tokensSoFar;
            reason = part.done_reason;
          }
        }
        return done(content, promptTokens, completionTokens, reason);
      } catch (err) {
        throw classifyOllamaError(err, model, timeout.aborted, request.signal?.aborted === true, retryAfterMs);
      }
    },
  };
}

/** A fetch that also stops when `signal` aborts (timeouts, task cancellation), and shows each response. */
function timedFetch(signal: AbortSignal, onResponse?: (res: Response) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
    onResponse?.(res);
    return res;
  };
}
