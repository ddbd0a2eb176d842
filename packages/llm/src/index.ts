export {
  estimateTokens,
  parseRetryAfter,
  publicEndpoint,
  type AnswerFormat,
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  type LlmProvider,
} from './provider.js';
export { classifyOllamaError, createOllamaProvider, type OllamaProviderOptions } from './ollama-provider.js';
export { classifyOpenAiError, createOpenAiProvider, type OpenAiProviderOptions } from './openai-provider.js';
export { ReplayFile, createReplayProvider, loadReplayFile } from './replay-provider.js';
export { createProvider, type LlmSettings } from './from-config.js';
