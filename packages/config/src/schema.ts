import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().positive();
const url = z.string().url();

/** All settings of every patchbay process; each service reads the part it needs. */
export const ConfigSchema = z.object({
  nats: z
    .object({
      url: z.string().min(1).default('nats://127.0.0.1:4222'),
      /** Seconds to keep retrying the first connection. */
      connectTimeoutMs: positiveMs.default(10_000),
    })
    .prefault({}),
  llm: z
    .object({
      provider: z.enum(['ollama', 'replay']).default('ollama'),
      host: url.default('http://127.0.0.1:11434'),
      model: z.string().min(1).default('qwen2.5-coder:32b'),
      replayFile: z.string().min(1).optional(),
      timeoutMs: positiveMs.default(600_000),
      /** Tokens reserved for the answer when sizing the context window. */
      answerTokens: z.coerce.number().int().positive().default(4096),
      temperature: z.coerce.number().min(0).max(2).default(0.1),
      /** Tokens the model's context window holds; sizes the default repository map budget. */
      contextWindow: z.coerce.number().int().min(1_024).default(32_768),
    })
    .prefault({}),
  workdir: z.string().min(1).default(join(tmpdir(), 'patchbay')),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  metrics: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      /** 0 picks a free port; the service logs where it serves /metrics. */
      port: port.default(0),
    })
    .prefault({}),
  telemetry: z
    .object({
      otlpEndpoint: url.optional(),
    })
    .prefault({}),
  pipeline: z
    .object({
      maxAttempts: z.coerce.number().int().min(1).max(20).default(3),
      qualityThreshold: z.coerce.number().min(0).max(1).default(0.8),
    })
    .prefault({}),
  context: z
    .object({
      /** Characters of file content offered to the model. */
      fileBudgetChars: z.coerce.number().int().positive().default(24_000),
      /** Tokens of repository map (ranked signatures); an eighth of llm.contextWindow when unset. */
      mapTokens: z.coerce.number().int().positive().optional(),
      /** Files larger than this are listed but not analysed. */
      maxFileBytes: z.coerce.number().int().positive().default(1_000_000),
      /** How long an unchanged-looking file outside git (a dirty working tree) is trusted without re-reading it. */
      dirtyTtlMs: z.coerce.number().int().nonnegative().default(60_000),
    })
    .prefault({}),
  assessor: z
    .object({
      testTimeoutMs: positiveMs.default(300_000),
      outputLimitBytes: z.coerce.number().int().positive().default(1_000_000),
    })
    .prefault({}),
  sandbox: z
    .object({
      /** Variables sandboxed commands inherit; secret-named ones are dropped regardless. */
      passEnv: z
        .preprocess(
          (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
          z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
        )
        .default(['PATH', 'LANG', 'LC_ALL', 'TZ', 'JAVA_HOME', 'GOROOT', 'GOPATH', 'GOFLAGS', 'PYENV_ROOT', 'VIRTUAL_ENV']),
    })
    .prefault({}),
  service: z
    .object({
      /** Messages one instance handles at once, per consumer. */
      concurrency: z.coerce.number().int().min(1).max(64).default(2),
      shutdownGraceMs: positiveMs.default(15_000),
    })
    .prefault({}),
});

export type Settings = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the setting each one sets. */
export const ENV_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  NATS_URL: ['nats', 'url'],
  OLLAMA_HOST: ['llm', 'host'],
  PATCHBAY_MODEL: ['llm', 'model'],
  PATCHBAY_LLM_PROVIDER: ['llm', 'provider'],
  PATCHBAY_REPLAY_FILE: ['llm', 'replayFile'],
  PATCHBAY_LLM_TIMEOUT_MS: ['llm', 'timeoutMs'],
  PATCHBAY_WORKDIR: ['workdir'],
  LOG_LEVEL: ['log', 'level'],
  PATCHBAY_METRICS_HOST: ['metrics', 'host'],
  PATCHBAY_METRICS_PORT: ['metrics', 'port'],
  OTEL_EXPORTER_OTLP_ENDPOINT: ['telemetry', 'otlpEndpoint'],
  PATCHBAY_MAX_ATTEMPTS: ['pipeline', 'maxAttempts'],
  PATCHBAY_QUALITY_THRESHOLD: ['pipeline', 'qualityThreshold'],
  PATCHBAY_TEST_TIMEOUT_MS: ['assessor', 'testTimeoutMs'],
  PATCHBAY_CONCURRENCY: ['service', 'concurrency'],
  PATCHBAY_SANDBOX_PASS_ENV: ['sandbox', 'passEnv'],
  PATCHBAY_CONTEXT_WINDOW: ['llm', 'contextWindow'],
  PATCHBAY_MAP_TOKENS: ['context', 'mapTokens'],
  PATCHBAY_CONTEXT_MAX_FILE_BYTES: ['context', 'maxFileBytes'],
  PATCHBAY_CONTEXT_DIRTY_TTL_MS: ['context', 'dirtyTtlMs'],
};

/** The repository map's token budget: the setting, or an eighth of the model's context window. */
export function mapTokenBudget(settings: Pick<Settings, 'llm' | 'context'>): number {
  return settings.context.mapTokens ?? Math.floor(settings.llm.contextWindow / 8);
}
