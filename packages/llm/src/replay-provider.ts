import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, ModelApiError } from '@patchbay/errors';
import { type ChatRequest, type ChatResult, type LlmProvider, estimateTokens } from './provider.js';

/**
 * Recorded answers, used by the demo and tests when no live model runs. Always reported
 * as a replay, never as a model. An answer is chosen by text the prompt must contain.
 */
export const ReplayFile = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  answers: z
    .array(
      z.object({
        /** Every string must appear in the conversation for this answer to be chosen. */
        when: z.array(z.string()).default([]),
        /** And none of these. */
        unless: z.array(z.string()).default([]),
        content: z.string(),
      }),
    )
    .min(1),
});
export type ReplayFile = z.infer<typeof ReplayFile>;

export async function loadReplayFile(path: string): Promise<ReplayFile> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`PATCHBAY_REPLAY_FILE names ${path}, which cannot be read`, { cause: err });
  }
  const parsed = ReplayFile.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new ConfigError(`replay file ${path} is invalid: ${parsed.error.message}`);
  return parsed.data;
}

export function createReplayProvider(file: ReplayFile): LlmProvider {
  const info = { provider: 'replay', name: `replay:${file.name}`, replay: true };
  return {
    info,
    endpoint: `replay:${file.name}`,
    available: async () => ({ ok: true }),
    contextWindow: async () => undefined,
    async chat(request: ChatRequest): Promise<ChatResult> {
      const started = performance.now();
      const conversation = request.messages.map((m) => m.content).join('\n');
      const answer = file.answers.find(
        (a) => a.when.every((s) => conversation.includes(s)) && !a.unless.some((s) => conversation.includes(s)),
      );
      if (answer === undefined) {
        throw new ModelApiError(`replay ${file.name} has no recorded answer for this prompt`, { retryable: false });
      }
      const completion = estimateTokens(answer.content);
      for (let i = 1; i <= completion; i += 8) request.onToken?.(Math.min(i, completion));
      return {
        content: answer.content,
        tokens: { prompt: estimateTokens(conversation), completion },
        durationMs: Math.round(performance.now() - started),
        model: info,
        truncated: false,
      };
    },
  };
}
