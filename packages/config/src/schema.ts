import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().positive();
const url = z.string().url();
/** A list, or (from the environment) a string of items between separators, blanks ignored. */
const listOf = <T extends z.ZodType>(separator: string, item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(separator).map((s) => s.trim()).filter(Boolean) : v), z.array(item));
/** How a yes/no setting (or a variable like CI) reads from text: anything but false, 0, no, off or blank is yes. */
export const isOn = (text: string): boolean => !['false', '0', 'no', 'off', ''].includes(text.trim().toLowerCase());
const flag = z.preprocess((v) => (typeof v === 'string' ? isOn(v) : v), z.boolean());

/** The retry reasons of the design: four are repeats of one model call, two are new attempts. */
export const RETRY_REASONS = ['API_ERROR', 'RATE_LIMIT', 'NETWORK_ERROR', 'TIMEOUT', 'VALIDATION_FAILED', 'QUALITY_THRESHOLD'] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];
export const RETRY_STRATEGIES = ['exponential', 'linear', 'fixed', 'adaptive'] as const;

/**
 * One reason's policy. For the model-call reasons (API_ERROR, RATE_LIMIT, NETWORK_ERROR,
 * TIMEOUT) maxAttempts counts calls, the first included, and the delays apply between them.
 * For VALIDATION_FAILED and QUALITY_THRESHOLD it counts the task's attempts that may end
 * that way (within the task's own cap); each is a new attempt with feedback, not a delayed
 * repeat, so the delay fields do not apply.
 */
const retryPolicy = (d: { strategy: (typeof RETRY_STRATEGIES)[number]; baseDelayMs: number; maxDelayMs: number; jitter: number; maxAttempts: number }) =>
  z
    .object({
      strategy: z.enum(RETRY_STRATEGIES).default(d.strategy),
      baseDelayMs: z.coerce.number().int().nonnegative().default(d.baseDelayMs),
      maxDelayMs: z.coerce.number().int().nonnegative().default(d.maxDelayMs),
      /** 0: exact delays; 1: anywhere between 0 and the delay ("full jitter"). */
      jitter: z.coerce.number().min(0).max(1).default(d.jitter),
      maxAttempts: z.coerce.number().int().min(1).max(20).default(d.maxAttempts),
    })
    .prefault({});

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
      provider: z.enum(['ollama', 'openai', 'replay']).default('ollama'),
      /** Ollama's endpoint. */
      host: url.default('http://127.0.0.1:11434'),
      model: z.string().min(1).default('qwen2.5-coder:32b'),
      replayFile: z.string().min(1).optional(),
      /** An OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, hosted APIs), up to /v1. */
      openaiBaseUrl: url.default('http://127.0.0.1:8000/v1'),
      /** Its API key; masked wherever text leaves the process. */
      openaiApiKey: z.string().min(1).optional(),
      /** The model's context window in tokens; asked of the server when absent. */
      contextWindow: z.coerce.number().int().positive().optional(),
      /** Stream tokens (progress events, early cancel) or take the answer whole. */
      stream: flag.default(true),
      /** Ask for edits as JSON (Ollama `format`, OpenAI `response_format`) instead of SEARCH/REPLACE text. */
      structured: flag.default(false),
      timeoutMs: positiveMs.default(600_000),
      /** Tokens reserved for the answer when sizing the context window. */
      answerTokens: z.coerce.number().int().positive().default(4096),
      temperature: z.coerce.number().min(0).max(2).default(0.1),
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
      /** Unset: quality.threshold of config/agent_config.yaml (0.8 as shipped). */
      qualityThreshold: z.coerce.number().min(0).max(1).optional(),
    })
    .prefault({}),
  retry: z
    .object({
      API_ERROR: retryPolicy({ strategy: 'exponential', baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2, maxAttempts: 3 }),
      RATE_LIMIT: retryPolicy({ strategy: 'adaptive', baseDelayMs: 2_000, maxDelayMs: 60_000, jitter: 0.2, maxAttempts: 5 }),
      NETWORK_ERROR: retryPolicy({ strategy: 'exponential', baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2, maxAttempts: 4 }),
      TIMEOUT: retryPolicy({ strategy: 'linear', baseDelayMs: 2_000, maxDelayMs: 30_000, jitter: 0.1, maxAttempts: 2 }),
      VALIDATION_FAILED: retryPolicy({ strategy: 'fixed', baseDelayMs: 0, maxDelayMs: 0, jitter: 0, maxAttempts: 3 }),
      QUALITY_THRESHOLD: retryPolicy({ strategy: 'fixed', baseDelayMs: 0, maxDelayMs: 0, jitter: 0, maxAttempts: 20 }),
      /** Stop a task when two consecutive attempts fail the same way after a change of strategy. */
      earlyStop: flag.default(true),
    })
    .prefault({}),
  breaker: z
    .object({
      /** Consecutive failed model calls that open an endpoint's circuit. */
      failureThreshold: z.coerce.number().int().min(1).max(1_000).default(3),
      /** How long an open circuit waits before one probe call may try the endpoint. */
      halfOpenAfterMs: positiveMs.default(30_000),
    })
    .prefault({}),
  codegen: z
    .object({
      /** Similarity (0-1) a SEARCH must reach for the closest-match fallback. */
      fuzzyThreshold: z.coerce.number().min(0.5).max(1).default(0.9),
      /** Minimum time between progress events of one generation. */
      progressIntervalMs: positiveMs.default(1_000),
    })
    .prefault({}),
  context: z
    .object({
      /** Characters of file content offered to the model. */
      fileBudgetChars: z.coerce.number().int().positive().default(24_000),
      /** Tokens of repository map (ranked signatures); an eighth of llm.contextWindow (or of 32768) when unset. */
      mapTokens: z.coerce.number().int().positive().optional(),
      /** Files larger than this are listed but not analysed. */
      maxFileBytes: z.coerce.number().int().positive().default(1_000_000),
      /** How long an unchanged-looking file outside git (a dirty working tree) is trusted without re-reading it. */
      dirtyTtlMs: z.coerce.number().int().nonnegative().default(60_000),
      /** Serve a made-up repository's context twice when the service starts, before it takes requests, so its first request is served warm. */
      warmUp: flag.default(true),
      /**
       * Directories whose checkouts the engine may read when asked over the bus (`patchbay
       * context` against a running engine on the same machine); none by default. A
       * colon-separated list in PATCHBAY_CONTEXT_LOCAL_ROOTS.
       */
      localRoots: listOf(':', z.string().startsWith('/', 'must be an absolute path')).default([]),
      /**
       * When no engine answers `patchbay context` for a checkout, start one in the background
       * that serves only that checkout, so the next call is answered warm.
       */
      startEngine: flag.default(true),
      /** How long that background engine waits for another request before it exits. */
      engineIdleMs: positiveMs.default(15 * 60_000),
    })
    .prefault({}),
  assessor: z
    .object({
      testTimeoutMs: positiveMs.default(300_000),
      outputLimitBytes: z.coerce.number().int().positive().default(1_000_000),
    })
    .prefault({}),
  quality: z
    .object({
      /** Directory with agent_config.yaml and language_configs/; patchbay's own config/ when absent. */
      configDir: z.string().min(1).optional(),
    })
    .prefault({}),
  sandbox: z
    .object({
      /**
       * auto: cut off the network and the file system with bubblewrap when it works here,
       * else run unisolated and say so; require: refuse to run unisolated; off: never isolate.
       */
      isolation: z.enum(['auto', 'require', 'off']).default('auto'),
      /** Variables sandboxed commands inherit; secret-named ones are dropped regardless. */
      passEnv: listOf(',', z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default(['PATH', 'LANG', 'LC_ALL', 'TZ', 'JAVA_HOME', 'GOROOT', 'GOPATH', 'GOFLAGS', 'PYENV_ROOT', 'VIRTUAL_ENV']),
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
  PATCHBAY_MAP_TOKENS: ['context', 'mapTokens'],
  PATCHBAY_CONTEXT_MAX_FILE_BYTES: ['context', 'maxFileBytes'],
  PATCHBAY_CONTEXT_DIRTY_TTL_MS: ['context', 'dirtyTtlMs'],
  PATCHBAY_CONTEXT_LOCAL_ROOTS: ['context', 'localRoots'],
  PATCHBAY_CONTEXT_WARM_UP: ['context', 'warmUp'],
  PATCHBAY_CONTEXT_START_ENGINE: ['context', 'startEngine'],
  PATCHBAY_CONTEXT_ENGINE_IDLE_MS: ['context', 'engineIdleMs'],
  PATCHBAY_OPENAI_BASE_URL: ['llm', 'openaiBaseUrl'],
  PATCHBAY_OPENAI_API_KEY: ['llm', 'openaiApiKey'],
  PATCHBAY_LLM_CONTEXT_WINDOW: ['llm', 'contextWindow'],
  PATCHBAY_LLM_STREAM: ['llm', 'stream'],
  PATCHBAY_LLM_STRUCTURED: ['llm', 'structured'],
  PATCHBAY_ANSWER_TOKENS: ['llm', 'answerTokens'],
  PATCHBAY_EARLY_STOP: ['retry', 'earlyStop'],
  PATCHBAY_BREAKER_FAILURES: ['breaker', 'failureThreshold'],
  PATCHBAY_BREAKER_HALF_OPEN_MS: ['breaker', 'halfOpenAfterMs'],
  PATCHBAY_EDIT_FUZZY_THRESHOLD: ['codegen', 'fuzzyThreshold'],
  // PATCHBAY_RETRY_<REASON>_<FIELD>, e.g. PATCHBAY_RETRY_RATE_LIMIT_MAX_ATTEMPTS=8.
  ...Object.fromEntries(
    RETRY_REASONS.flatMap((reason) =>
      (
        [
          ['STRATEGY', 'strategy'],
          ['BASE_DELAY_MS', 'baseDelayMs'],
          ['MAX_DELAY_MS', 'maxDelayMs'],
          ['JITTER', 'jitter'],
          ['MAX_ATTEMPTS', 'maxAttempts'],
        ] as const
      ).map(([env, field]) => [`PATCHBAY_RETRY_${reason}_${env}`, ['retry', reason, field]]),
    ),
  ),
  PATCHBAY_SANDBOX_ISOLATION: ['sandbox', 'isolation'],
  PATCHBAY_QUALITY_CONFIG_DIR: ['quality', 'configDir'],
};

/** The window assumed when llm.contextWindow is not set: that of the default model, qwen2.5-coder:32b. */
export const DEFAULT_CONTEXT_WINDOW = 32_768;

/** The repository map's token budget: the setting, or an eighth of the model's context window. */
export function mapTokenBudget(settings: Pick<Settings, 'llm' | 'context'>): number {
  return settings.context.mapTokens ?? Math.floor((settings.llm.contextWindow ?? DEFAULT_CONTEXT_WINDOW) / 8);
}
