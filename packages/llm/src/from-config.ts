import { ConfigError } from '@patchbay/errors';
import { createOllamaProvider } from './ollama-provider.js';
import type { LlmProvider } from './provider.js';
import { createReplayProvider, loadReplayFile } from './replay-provider.js';

export interface LlmSettings {
  provider: 'ollama' | 'replay';
  host: string;
  model: string;
  replayFile?: string | undefined;
  timeoutMs: number;
}

/** The provider the settings name; replay requires its file. */
export async function createProvider(settings: LlmSettings): Promise<LlmProvider> {
  if (settings.provider === 'replay') {
    if (settings.replayFile === undefined) throw new ConfigError('PATCHBAY_LLM_PROVIDER=replay needs PATCHBAY_REPLAY_FILE');
    return createReplayProvider(await loadReplayFile(settings.replayFile));
  }
  return createOllamaProvider({ host: settings.host, model: settings.model, timeoutMs: settings.timeoutMs });
}
