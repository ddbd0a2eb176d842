import type { ModelInfo, TokenUsage } from '@patchbay/contracts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A JSON Schema the answer must follow (Ollama `format`, OpenAI `response_format`). */
export interface AnswerFormat {
  name: string;
  schema: Record<string, unknown>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Overrides the provider's configured model for this call. */
  model?: string;
  /** Context window to ask for; Ollama's default is far too small for code. */
  numCtx?: number;
  /** Most tokens the answer may use, so a runaway answer cannot burn the budget. */
  maxTokens?: number;
  temperature?: number;
  /** Structured output: the answer is JSON following this schema. */
  format?: AnswerFormat;
  /** Stream the answer (the default); false takes it whole, with no progress. */
  stream?: boolean;
  signal?: AbortSignal;
  /** Called as tokens stream in, with the running count. */
  onToken?: (tokensSoFar: number) => void;
}

export interface ChatResult {
  content: string;
  tokens: TokenUsage;
  durationMs: number;
  model: ModelInfo;
  /** The answer stopped at maxTokens rather than ending by itself. */
  truncated: boolean;
}

/** One interface for every model backend: a live server or recorded answers. */
export interface LlmProvider {
  readonly info: ModelInfo;
  /** Where the model is served, without credentials: one circuit breaker per endpoint. */
  readonly endpoint: string;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Whether the endpoint answers and has the model; says why not. */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** The model's context window in tokens: configured, or asked of the server; undefined when unknown. */
  contextWindow(model?: string): Promise<number | undefined>;
}

/** About four characters per token for code and English: good enough to size a window. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A URL as it may appear in logs and metric labels: no user name or password. */
export function publicEndpoint(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

/** Retry-After in milliseconds: seconds or an HTTP date (RFC 9110), or retry-after-ms. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
