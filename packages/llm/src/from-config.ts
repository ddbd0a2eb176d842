import { ConfigError } from '@patchbay/errors';
import { createOllamaProvider } from './ollama-provider.js';
import { createOpenAiProvider } from './openai-provider.js';
import type { LlmProvider } from './provider.js';
import { createReplayProvider, loadReplayFile } from './replay-provider.js';

export interface LlmSettings {
  provider: 'ollama' | 'openai' | 'replay';
  host: string;
  model: string;
  replayFile?: string | undefined;
  openaiBaseUrl?: string | undefined;
  openaiApiKey?: string | undefined;
  contextWindow?: number | undefined;
  timeoutMs: number;
}

/** The provider the settings name; replay requires its file. */
export async function createProvider(settings: LlmSettings): Promise<LlmProvider> {
  if (settings.provider === 'replay') {
    if (settings.replayFile === undefined) throw new ConfigError('PATCHBAY_LLM_PROVIDER=replay needs PATCHBAY_REPLAY_FILE');
    return createReplayProvider(await loadReplayFile(settings.replayFile));
  }
  if (settings.provider === 'openai') {
    if (settings.openaiBaseUrl === undefined) throw new ConfigError('PATCHBAY_LLM_PROVIDER=openai needs PATCHBAY_OPENAI_BASE_URL');
    return createOpenAiProvider({
      baseUrl: settings.openaiBaseUrl,
      apiKey: settings.openaiApiKey,
      model: settings.model,
      timeoutMs: settings.timeoutMs,
      contextWindow: settings.contextWindow,
    });
  }
  return createOllamaProvider({ host: settings.host, model: settings.model, timeoutMs: settings.timeoutMs, contextWindow: settings.contextWindow });
}
