import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, isPatchbayError } from '@patchbay/errors';
import { ENV_SETTINGS, loadConfig, mapTokenBudget } from '@patchbay/config';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchbay-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function yamlFile(text: string): Promise<string> {
  counter += 1;
  const path = join(dir, `config-${counter}.yaml`);
  await writeFile(path, text);
  return path;
}

/** Runs loadConfig expecting a ConfigError; returns its message. */
function configError(run: () => unknown): string {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect(isPatchbayError(caught) && caught.code).toBe('CONFIG_INVALID');
  expect(isPatchbayError(caught) && caught.retryable).toBe(false);
  return (caught as Error).message;
}

const DEFAULT_PASS_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'JAVA_HOME', 'GOROOT', 'GOPATH', 'GOFLAGS', 'PYENV_ROOT', 'VIRTUAL_ENV'];

describe('loadConfig defaults', () => {
  it('gives every setting a working default from an empty environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.nats).toEqual({ url: 'nats://127.0.0.1:4222', connectTimeoutMs: 10_000 });
    expect(config.llm).toEqual({
      provider: 'ollama',
      host: 'http://127.0.0.1:11434',
      model: 'qwen2.5-coder:32b',
      openaiBaseUrl: 'http://127.0.0.1:8000/v1',
      stream: true,
      structured: false,
      timeoutMs: 600_000,
      answerTokens: 4096,
      temperature: 0.1,
    });
    expect(config.retry.RATE_LIMIT).toEqual({ strategy: 'adaptive', baseDelayMs: 2_000, maxDelayMs: 60_000, jitter: 0.2, maxAttempts: 5 });
    expect(config.retry.VALIDATION_FAILED.maxAttempts).toBe(3);
    expect(config.retry.earlyStop).toBe(true);
    expect(config.breaker).toEqual({ failureThreshold: 3, halfOpenAfterMs: 30_000 });
    expect(config.codegen).toEqual({ fuzzyThreshold: 0.9, progressIntervalMs: 1_000 });
    expect(config.llm.replayFile).toBeUndefined();
    expect(config.workdir).toBe(join(tmpdir(), 'patchbay'));
    expect(config.log.level).toBe('info');
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.telemetry.otlpEndpoint).toBeUndefined();
    // The threshold defaults to config/agent_config.yaml's quality.threshold, read by the router.
    expect(config.pipeline).toEqual({ maxAttempts: 3 });
    expect(config.context).toEqual({ fileBudgetChars: 24_000, maxFileBytes: 1_000_000, dirtyTtlMs: 60_000, warmUp: true, localRoots: [], startEngine: true, engineIdleMs: 900_000 });
    expect(config.assessor).toEqual({ testTimeoutMs: 300_000, outputLimitBytes: 1_000_000 });
    expect(config.sandbox.passEnv).toEqual(DEFAULT_PASS_ENV);
    expect(config.service).toEqual({ concurrency: 2, shutdownGraceMs: 15_000 });
    expect(config.knownSecrets).toEqual([]);
    expect(config.sandboxEnv).toEqual({});
  });

  it('reads only the env object it is given, not the process environment', () => {
    const saved = process.env['PATCHBAY_MODEL'];
    process.env['PATCHBAY_MODEL'] = 'from-the-real-process-env';
    try {
      expect(loadConfig({ env: {} }).llm.model).toBe('qwen2.5-coder:32b');
      expect(loadConfig({ env: { PATCHBAY_MODEL: 'given' } }).llm.model).toBe('given');
    } finally {
      if (saved === undefined) delete process.env['PATCHBAY_MODEL'];
      else process.env['PATCHBAY_MODEL'] = saved;
    }
  });
});

describe('loadConfig from the environment', () => {
  it('maps each documented variable onto its setting, coercing numbers', () => {
    const config = loadConfig({
      env: {
        NATS_URL: 'nats://bus.internal:4333',
        OLLAMA_HOST: 'http://gpu-box:11434',
        PATCHBAY_MODEL: 'llama3.1:8b',
        PATCHBAY_LLM_PROVIDER: 'replay',
        PATCHBAY_REPLAY_FILE: '/answers.json',
        PATCHBAY_LLM_TIMEOUT_MS: '1234',
        PATCHBAY_WORKDIR: '/var/lib/patchbay',
        LOG_LEVEL: 'debug',
        PATCHBAY_METRICS_HOST: '0.0.0.0',
        PATCHBAY_METRICS_PORT: '9464',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        PATCHBAY_MAX_ATTEMPTS: '5',
        PATCHBAY_QUALITY_THRESHOLD: '0.65',
        PATCHBAY_TEST_TIMEOUT_MS: '45000',
        PATCHBAY_CONCURRENCY: '8',
        PATCHBAY_SANDBOX_PASS_ENV: 'PATH, HOME ,LANG,',
      },
    });
    expect(config.nats.url).toBe('nats://bus.internal:4333');
    expect(config.llm).toMatchObject({
      host: 'http://gpu-box:11434',
      model: 'llama3.1:8b',
      provider: 'replay',
      replayFile: '/answers.json',
      timeoutMs: 1234,
    });
    expect(config.workdir).toBe('/var/lib/patchbay');
    expect(config.log.level).toBe('debug');
    expect(config.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.telemetry.otlpEndpoint).toBe('http://otel:4318');
    expect(config.pipeline).toEqual({ maxAttempts: 5, qualityThreshold: 0.65 });
    expect(config.assessor.testTimeoutMs).toBe(45_000);
    expect(config.service.concurrency).toBe(8);
    expect(config.sandbox.passEnv).toEqual(['PATH', 'HOME', 'LANG']);
    // Numbers arrive as numbers, not strings.
    expect(typeof config.metrics.port).toBe('number');
    expect(typeof config.pipeline.qualityThreshold).toBe('number');
  });

  it('every variable in ENV_SETTINGS changes its setting', () => {
    const samples: Record<string, string> = {
      NATS_URL: 'nats://x:1',
      OLLAMA_HOST: 'http://x:2',
      PATCHBAY_MODEL: 'm',
      PATCHBAY_LLM_PROVIDER: 'replay',
      PATCHBAY_REPLAY_FILE: '/f.json',
      PATCHBAY_LLM_TIMEOUT_MS: '7',
      PATCHBAY_WORKDIR: '/w',
      LOG_LEVEL: 'warn',
      PATCHBAY_METRICS_HOST: 'h',
      PATCHBAY_METRICS_PORT: '3',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://o:4',
      PATCHBAY_MAX_ATTEMPTS: '9',
      PATCHBAY_QUALITY_THRESHOLD: '0.33',
      PATCHBAY_TEST_TIMEOUT_MS: '11',
      PATCHBAY_CONCURRENCY: '13',
      PATCHBAY_SANDBOX_PASS_ENV: 'ONLY_THIS',
      PATCHBAY_MAP_TOKENS: '777',
      PATCHBAY_CONTEXT_MAX_FILE_BYTES: '5000',
      PATCHBAY_CONTEXT_DIRTY_TTL_MS: '15',
      PATCHBAY_CONTEXT_LOCAL_ROOTS: '/srv/repos',
      PATCHBAY_CONTEXT_WARM_UP: 'false',
      PATCHBAY_CONTEXT_START_ENGINE: 'false',
      PATCHBAY_CONTEXT_ENGINE_IDLE_MS: '21',
      PATCHBAY_OPENAI_BASE_URL: 'http://vllm:8000/v1',
      PATCHBAY_OPENAI_API_KEY: 'sk-sample-key-000000000000',
      PATCHBAY_LLM_CONTEXT_WINDOW: '65536',
      PATCHBAY_LLM_STREAM: 'false',
      PATCHBAY_LLM_STRUCTURED: 'true',
      PATCHBAY_ANSWER_TOKENS: '2048',
      PATCHBAY_EARLY_STOP: 'false',
      PATCHBAY_BREAKER_FAILURES: '8',
      PATCHBAY_BREAKER_HALF_OPEN_MS: '250',
      PATCHBAY_EDIT_FUZZY_THRESHOLD: '0.75',
      ...Object.fromEntries(
        ['API_ERROR', 'RATE_LIMIT', 'NETWORK_ERROR', 'TIMEOUT', 'VALIDATION_FAILED', 'QUALITY_THRESHOLD'].flatMap((reason) => [
          [`PATCHBAY_RETRY_${reason}_STRATEGY`, reason.endsWith('FAILED') || reason.endsWith('THRESHOLD') ? 'linear' : 'fixed'],
          [`PATCHBAY_RETRY_${reason}_BASE_DELAY_MS`, '17'],
          [`PATCHBAY_RETRY_${reason}_MAX_DELAY_MS`, '19'],
          [`PATCHBAY_RETRY_${reason}_JITTER`, '0.5'],
          [`PATCHBAY_RETRY_${reason}_MAX_ATTEMPTS`, '7'],
        ]),
      ),
      PATCHBAY_SANDBOX_ISOLATION: 'require',
      PATCHBAY_QUALITY_CONFIG_DIR: '/etc/patchbay',
    };
    expect(Object.keys(ENV_SETTINGS).sort()).toEqual(Object.keys(samples).sort());
    const defaults = loadConfig({ env: {} }) as unknown as Record<string, unknown>;
    for (const [name, path] of Object.entries(ENV_SETTINGS)) {
      const config = loadConfig({ env: { [name]: samples[name] } }) as unknown as Record<string, unknown>;
      const get = (tree: Record<string, unknown>) => path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], tree);
      expect(get(config), name).not.toEqual(get(defaults));
      expect(String(get(config)), name).toBe(samples[name]);
    }
  });

  it('starts no background context engine on a CI runner, unless told to', () => {
    expect(loadConfig({ env: {} }).context.startEngine).toBe(true);
    expect(loadConfig({ env: { CI: 'true' } }).context.startEngine).toBe(false);
    expect(loadConfig({ env: { CI: 'false' } }).context.startEngine).toBe(true);
    expect(loadConfig({ env: { CI: '1', PATCHBAY_CONTEXT_START_ENGINE: 'true' } }).context.startEngine).toBe(true);
  });

  it('reads the context engine\'s local roots as a colon-separated list of absolute paths', () => {
    expect(loadConfig({ env: { PATCHBAY_CONTEXT_LOCAL_ROOTS: '/srv/repos: /home/dev/src :' } }).context.localRoots).toEqual(['/srv/repos', '/home/dev/src']);
    expect(() => loadConfig({ env: { PATCHBAY_CONTEXT_LOCAL_ROOTS: '/srv/repos:src' } })).toThrow(/PATCHBAY_CONTEXT_LOCAL_ROOTS.*must be an absolute path/);
  });

  it('sizes the repository map for the model\'s context window unless told', () => {
    expect(mapTokenBudget(loadConfig({ env: {} }))).toBe(4_096);
    expect(mapTokenBudget(loadConfig({ env: { PATCHBAY_LLM_CONTEXT_WINDOW: '131072' } }))).toBe(16_384);
    expect(mapTokenBudget(loadConfig({ env: { PATCHBAY_LLM_CONTEXT_WINDOW: '131072', PATCHBAY_MAP_TOKENS: '900' } }))).toBe(900);
  });

  it('names a bad retry setting by its variable, and masks an API key from any source', () => {
    expect(() => loadConfig({ env: { PATCHBAY_RETRY_RATE_LIMIT_STRATEGY: 'random' } })).toThrow(/PATCHBAY_RETRY_RATE_LIMIT_STRATEGY \(retry\.RATE_LIMIT\.strategy\)/);
    expect(() => loadConfig({ env: { PATCHBAY_RETRY_TIMEOUT_JITTER: '2' } })).toThrow(/PATCHBAY_RETRY_TIMEOUT_JITTER/);
    const flagged = loadConfig({ env: {}, overrides: { llm: { provider: 'openai', openaiApiKey: 'key-given-as-a-flag-123' } } });
    expect(flagged.knownSecrets).toContain('key-given-as-a-flag-123');
    expect(loadConfig({ env: { PATCHBAY_OPENAI_API_KEY: 'sk-from-env-1234567' } }).knownSecrets).toEqual(['sk-from-env-1234567']);
  });

  it('loads the example configuration file as documented', () => {
    const example = new URL('../../../examples/patchbay.example.yaml', import.meta.url).pathname;
    const config = loadConfig({ env: {}, file: example });
    expect(config.retry.TIMEOUT).toEqual({ strategy: 'linear', baseDelayMs: 2_000, maxDelayMs: 30_000, jitter: 0.1, maxAttempts: 2 });
    expect(config.retry.VALIDATION_FAILED.maxAttempts).toBe(3);
    expect(config.breaker).toEqual({ failureThreshold: 3, halfOpenAfterMs: 30_000 });
    // The example restates the defaults: it must not drift from them.
    const defaults = loadConfig({ env: {} });
    expect(config.retry).toEqual(defaults.retry);
    expect(config.llm).toEqual(defaults.llm);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ env: { NATS_URL: '', PATCHBAY_METRICS_PORT: '', PATCHBAY_CONFIG: '' } });
    expect(config.nats.url).toBe('nats://127.0.0.1:4222');
    expect(config.metrics.port).toBe(0);
  });
});

describe('loadConfig from a YAML file', () => {
  const YAML = [
    'nats:',
    '  url: nats://from-file:4222',
    'llm:',
    '  model: file-model',
    '  temperature: 0.5',
    'pipeline:',
    '  maxAttempts: 4',
    'metrics:',
    '  port: 9000',
    'sandbox:',
    '  passEnv: [PATH, HOME]',
    '',
  ].join('\n');

  it('reads the file named by the file option', async () => {
    const file = await yamlFile(YAML);
    const config = loadConfig({ env: {}, file });
    expect(config.nats.url).toBe('nats://from-file:4222');
    expect(config.llm.model).toBe('file-model');
    expect(config.llm.temperature).toBe(0.5);
    expect(config.pipeline.maxAttempts).toBe(4);
    expect(config.metrics.port).toBe(9000);
    expect(config.sandbox.passEnv).toEqual(['PATH', 'HOME']);
    // Settings the file does not mention keep their defaults, also inside a section it does.
    expect(config.llm.host).toBe('http://127.0.0.1:11434');
    expect(config.pipeline.qualityThreshold).toBeUndefined();
  });

  it('reads the file named by PATCHBAY_CONFIG', async () => {
    const file = await yamlFile(YAML);
    expect(loadConfig({ env: { PATCHBAY_CONFIG: file } }).llm.model).toBe('file-model');
  });

  it('prefers the file option over PATCHBAY_CONFIG', async () => {
    const named = await yamlFile('llm:\n  model: named-by-option\n');
    const fromEnv = await yamlFile('llm:\n  model: named-by-env\n');
    expect(loadConfig({ env: { PATCHBAY_CONFIG: fromEnv }, file: named }).llm.model).toBe('named-by-option');
  });

  it('ranks defaults < file < environment < overrides, merging sections key by key', async () => {
    const file = await yamlFile(YAML);
    const config = loadConfig({
      env: { PATCHBAY_CONFIG: file, PATCHBAY_MODEL: 'env-model', OLLAMA_HOST: 'http://env-host:11434', PATCHBAY_MAX_ATTEMPTS: '6' },
      overrides: { pipeline: { maxAttempts: 7 }, log: { level: 'silent' } },
    });
    expect(config.llm.model).toBe('env-model'); // env over file
    expect(config.llm.host).toBe('http://env-host:11434'); // env over default
    expect(config.llm.temperature).toBe(0.5); // file, untouched by env in the same section
    expect(config.nats.url).toBe('nats://from-file:4222'); // file over default
    expect(config.pipeline.maxAttempts).toBe(7); // overrides over env over file
    expect(config.log.level).toBe('silent');
    expect(config.metrics.port).toBe(9000);
  });

  it('lets overrides win over the environment without a file', () => {
    const config = loadConfig({ env: { NATS_URL: 'nats://env:1' }, overrides: { nats: { url: 'nats://flag:2' } } });
    expect(config.nats.url).toBe('nats://flag:2');
    expect(config.nats.connectTimeoutMs).toBe(10_000);
  });

  it('accepts an empty file as all defaults', async () => {
    const file = await yamlFile('');
    expect(loadConfig({ env: {}, file }).nats.url).toBe('nats://127.0.0.1:4222');
  });

  it('refuses a file that is not a mapping', async () => {
    const file = await yamlFile('- just\n- a list\n');
    const message = configError(() => loadConfig({ env: {}, file }));
    expect(message).toContain(file);
    expect(message).toContain('must hold a YAML mapping');
  });

  it('reports a file that is not valid YAML as a configuration error naming the file', async () => {
    const file = await yamlFile('nats:\n  url: [unclosed\nllm: {\n');
    const message = configError(() => loadConfig({ env: {}, file }));
    expect(message).toContain(file);
    expect(message).toContain('not valid YAML');
  });

  it('says clearly when PATCHBAY_CONFIG names a file that cannot be read', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    const message = configError(() => loadConfig({ env: { PATCHBAY_CONFIG: missing } }));
    expect(message).toBe(`Invalid configuration: the config file ${missing} (PATCHBAY_CONFIG) cannot be read`);
    // A directory is not a readable file either.
    expect(configError(() => loadConfig({ env: { PATCHBAY_CONFIG: dir } }))).toContain(dir);
  });

  it('names the setting path of a bad value from the file, and the file among the sources', async () => {
    const file = await yamlFile('context:\n  fileBudgetChars: -5\n');
    const message = configError(() => loadConfig({ env: {}, file }));
    expect(message).toContain('context.fileBudgetChars');
    expect(message).toContain(`(settings come from defaults, file ${file}, environment)`);
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['PATCHBAY_METRICS_PORT', '99999', 'metrics.port'],
    ['PATCHBAY_METRICS_PORT', 'ninety', 'metrics.port'],
    ['OLLAMA_HOST', 'not a url', 'llm.host'],
    ['LOG_LEVEL', 'loud', 'log.level'],
    ['PATCHBAY_LLM_PROVIDER', 'openai-ish', 'llm.provider'],
    ['PATCHBAY_QUALITY_THRESHOLD', '1.5', 'pipeline.qualityThreshold'],
    ['PATCHBAY_MAX_ATTEMPTS', '0', 'pipeline.maxAttempts'],
    ['PATCHBAY_MAX_ATTEMPTS', '2.5', 'pipeline.maxAttempts'],
    ['PATCHBAY_CONCURRENCY', '65', 'service.concurrency'],
    ['PATCHBAY_LLM_TIMEOUT_MS', '-1', 'llm.timeoutMs'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'otel collector', 'telemetry.otlpEndpoint'],
    ['PATCHBAY_SANDBOX_PASS_ENV', 'PATH,NOT-A-NAME', 'sandbox.passEnv.1'],
  ])('%s=%s is a ConfigError naming the variable and %s', (name, value, setting) => {
    const message = configError(() => loadConfig({ env: { [name]: value } }));
    expect(message).toMatch(/^Invalid configuration:\n/);
    if (setting === 'sandbox.passEnv.1') {
      expect(message).toContain(setting);
    } else {
      expect(message).toContain(`${name} (${setting}):`);
    }
    expect(message).toContain('(settings come from defaults, environment)');
  });

  it('lists every bad setting at once', () => {
    const message = configError(() => loadConfig({ env: { PATCHBAY_METRICS_PORT: '-1', LOG_LEVEL: 'chatty', PATCHBAY_CONCURRENCY: 'many' } }));
    expect(message).toContain('PATCHBAY_METRICS_PORT (metrics.port)');
    expect(message).toContain('LOG_LEVEL (log.level)');
    expect(message).toContain('PATCHBAY_CONCURRENCY (service.concurrency)');
  });

  it('names flags among the sources when overrides are bad', () => {
    const message = configError(() => loadConfig({ env: {}, overrides: { service: { concurrency: 0 } } }));
    expect(message).toContain('PATCHBAY_CONCURRENCY (service.concurrency)');
    expect(message).toContain('(settings come from defaults, environment, flags)');
  });
});

describe('secrets in the environment', () => {
  const ENV = {
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: '/home/dev',
    GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    OPENAI_API_KEY: 'sk-proj-1234567890abcdefghij',
    DB_PASSWORD: 'hunter2-hunter2',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    SHORT_TOKEN: 'abc', // too short to mask without wrecking ordinary text
    PLAIN_SETTING: 'plain-value-123',
  };

  it('collects the values of secret-named variables as knownSecrets', () => {
    const config = loadConfig({ env: ENV });
    expect([...config.knownSecrets].sort()).toEqual(
      [ENV.GITHUB_TOKEN, ENV.OPENAI_API_KEY, ENV.DB_PASSWORD, ENV.AWS_SECRET_ACCESS_KEY].sort(),
    );
    expect(config.knownSecrets).not.toContain(ENV.PLAIN_SETTING);
    expect(config.knownSecrets).not.toContain(ENV.PATH);
  });

  it('gives sandboxes only the passEnv variables, never secret-named ones', () => {
    const config = loadConfig({
      env: { ...ENV, PATCHBAY_SANDBOX_PASS_ENV: 'PATH,LANG,GITHUB_TOKEN,DB_PASSWORD,MISSING_VAR' },
    });
    expect(config.sandbox.passEnv).toEqual(['PATH', 'LANG', 'GITHUB_TOKEN', 'DB_PASSWORD', 'MISSING_VAR']);
    expect(config.sandboxEnv).toEqual({ PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' });
  });

  it('uses the default passEnv list when none is configured', () => {
    const config = loadConfig({ env: { ...ENV, TZ: 'UTC' } });
    expect(config.sandboxEnv).toEqual({ PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', TZ: 'UTC' });
    expect(Object.values(config.sandboxEnv)).not.toContain(ENV.GITHUB_TOKEN);
  });

  it('takes passEnv from the YAML file too, still without secrets', async () => {
    const file = await yamlFile('sandbox:\n  passEnv:\n    - HOME\n    - OPENAI_API_KEY\n');
    expect(loadConfig({ env: { ...ENV, PATCHBAY_CONFIG: file } }).sandboxEnv).toEqual({ HOME: '/home/dev' });
  });
});
