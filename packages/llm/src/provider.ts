import type { ModelInfo, TokenUsage } from '@patchbay/contracts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Overrides the provider's configured model for this call. */
  model?: string;
  /** Context window to ask for; Ollama's default is far too small for code. */
  numCtx?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Called as tokens stream in, with the running count. */
  onToken?: (tokensSoFar: number) => void;
}

export interface ChatResult {
  content: string;
  tokens: TokenUsage;
  durationMs: number;
  model: ModelInfo;
}

/** One interface for every model backend: a live server or recorded answers. */
export interface LlmProvider {
  readonly info: ModelInfo;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Whether the endpoint answers and has the model; says why not. */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** About four characters per token for code and English: good enough to size a window. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
