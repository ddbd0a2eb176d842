import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, cancelTask, connectBus, ensureTopology, openArtifacts, publishEvent, readTaskEvents } from '@patchbay/bus';
import { codegenService } from '@patchbay/codegen';
import { type ConfigInput, loadConfig } from '@patchbay/config';
import {
  type AnyCloudEvent,
  type CodegenRequested,
  type RepoContext,
  createEvent,
  eventTypes,
  parseEvent,
  subjects,
} from '@patchbay/contracts';
import { type RunningService, startService } from '@patchbay/runtime';
import {
  type GitFixture,
  type ScriptedOllama,
  type ScriptedOpenAi,
  createGitFixture,
  startNats,
  startScriptedOllama,
  startScriptedOpenAi,
  type TestNats,
} from '@patchbay/testkit';

/**
 * The codegen service against a real NATS server, real git worktrees and a scripted model
 * server speaking Ollama's (or OpenAI's) wire format: every model failure reaches the
 * right retry reason and outcome.
 */

const MODEL = 'qwen2.5-coder:32b';
const SOURCE = 'export function median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  return s[0];\n}\n\nexport function mean(xs) {\n  return xs.reduce((a, b) => a + b, 0) / xs.length;\n}\n';
const FIX = ['src/stats.js', '<<<<<<< SEARCH', '  return s[0];', '=======', '  return s[Math.floor(s.length / 2)];', '>>>>>>> REPLACE', ''].join('\n');

let nats: TestNats;
let bus: Bus;
let repo: GitFixture;
let workdir: string;
let contextRef: string;
const results: AnyCloudEvent[] = [];
let counter = 0;

const context = (): RepoContext => ({
  repo: repo.dir,
  commit: repo.head,
  languages: [{ name: 'JavaScript', files: 1, lines: 8 }],
  manifests: [],
  dependencies: [],
  frameworks: [],
  testDirs: [],
  files: [{ path: 'src/stats.js', size: SOURCE.length, language: 'JavaScript' }],
  filesOmitted: 0,
  relevant: [{ path: 'src/stats.js', reason: 'named in the task', content: SOURCE }],
  skipped: [],
  fromBoard: [],
});

/** A codegen service with fast retries; each describe block runs its own, one at a time. */
async function startCodegen(overrides: ConfigInput): Promise<RunningService> {
  const base: ConfigInput = {
    nats: { url: nats.url },
    workdir,
    log: { level: 'silent' },
    llm: { provider: 'ollama', model: MODEL, timeoutMs: 5_000 },
    retry: {
      API_ERROR: { strategy: 'exponential', baseDelayMs: 5, maxDelayMs: 20, jitter: 0, maxAttempts: 3 },
      RATE_LIMIT: { strategy: 'adaptive', baseDelayMs: 5, maxDelayMs: 30, jitter: 0, maxAttempts: 3 },
      NETWORK_ERROR: { strategy: 'linear', baseDelayMs: 5, maxDelayMs: 20, jitter: 0, maxAttempts: 3 },
      TIMEOUT: { strategy: 'fixed', baseDelayMs: 5, maxDelayMs: 20, jitter: 0, maxAttempts: 2 },
    },
    breaker: { failureThreshold: 50, halfOpenAfterMs: 1_000 },
    codegen: { progressIntervalMs: 20 },
  };
  const merged = structuredClone(base) as Record<string, Record<string, unknown>>;
  for (const [key, value] of Object.entries(overrides)) merged[key] = { ...(merged[key] ?? {}), ...(value as Record<string, unknown>) };
  return startService(codegenService, { config: loadConfig({ env: {}, overrides: merged as ConfigInput }) });
}

async function request(over: Partial<CodegenRequested> = {}): Promise<string> {
  counter += 1;
  const data: CodegenRequested = {
    taskId: `cg-${counter}`,
    attempt: 1,
    repo: { url: repo.dir },
    baseCommit: repo.head,
    contextRef,
    mode: 'BUG_FIXING',
    title: 'Fix median in src/stats.js',
    ...over,
  };
  const event = createEvent(eventTypes.codegenRequested, data, { source: 'test', subject: data.taskId });
  await publishEvent(bus, subjects.workRequest('codegen'), event, { msgId: `${data.taskId}.codegen.${data.attempt}.request` });
  return data.taskId;
}

async function resultFor(taskId: string, timeoutMs = 15_000): Promise<AnyCloudEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = results.find((e) => (e.data as { taskId?: string }).taskId === taskId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no codegen result for ${taskId}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function metric(service: RunningService, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(service.metricsUrl)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

beforeAll(async () => {
  nats = await startNats();
  bus = await connectBus({ url: nats.url, name: 'codegen-test' });
  await ensureTopology(bus);
  repo = await createGitFixture({ 'src/stats.js': SOURCE, 'README.md': '# stats\n' });
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-codegen-'));
  contextRef = await (await openArtifacts(bus)).putJson('context/codegen-test.json', context());
  bus.nc.subscribe(subjects.workResult('codegen'), {
    callback: (_err, msg) => {
      const parsed = parseEvent(msg.data);
      if (parsed.ok) results.push(parsed.event);
    },
  });
}, 60_000);

afterAll(async () => {
  await bus?.drain();
  await repo?.remove();
  await nats?.stop();
  await rm(workdir, { recursive: true, force: true });
});

describe('with Ollama, streaming', () => {
  let ollama: ScriptedOllama;
  let service: RunningService;
  beforeAll(async () => {
    ollama = await startScriptedOllama({ models: [MODEL, 'tiny:1b'], contextLengths: { 'tiny:1b': 2_048 } });
    service = await startCodegen({ llm: { host: ollama.url, timeoutMs: 400 } });
  });
  afterAll(async () => {
    await service.stop();
    await ollama.close();
  });

  it('turns a good answer into a diff, with tokens, progress events and a sized window', async () => {
    ollama.enqueue({ content: `Here is the fix.\n\n${FIX}`, chunkSize: 2, chunkDelayMs: 1, promptTokens: 900, completionTokens: 40 });
    const id = await request();
    const result = await resultFor(id);
    expect(result.type).toBe(eventTypes.codegenCompleted);
    if (result.type !== eventTypes.codegenCompleted) return;
    expect(result.data.files).toEqual([{ path: 'src/stats.js', action: 'modify', linesAdded: 1, linesRemoved: 1 }]);
    expect(result.data.tokens).toEqual({ prompt: 900, completion: 40 });
    const body = ollama.generations().at(-1)?.body as { options: { num_ctx: number; num_predict: number } };
    expect(body.options.num_ctx % 1_024).toBe(0);
    expect(body.options.num_ctx).toBeGreaterThanOrEqual(4_096 + 100);
    expect(body.options.num_ctx).toBeLessThanOrEqual(32_768);
    expect(body.options.num_predict).toBe(4_096);
    const progress = (await readTaskEvents(bus, id)).filter((e) => e.type === eventTypes.taskProgress);
    expect(progress.length).toBeGreaterThan(0);
    expect(await metric(service, 'patchbay_llm_tokens_total', { model: MODEL, kind: 'prompt' })).toBeGreaterThanOrEqual(900);
    expect(await metric(service, 'patchbay_llm_call_duration_seconds_count', { model: MODEL, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['malformed blocks', 'src/stats.js\n<<<<<<< SEARCH\n  return s[0];\n  return s[1];\n', /SEARCH has no "=======" divider/],
    ['prose only', 'The median should use the middle element.', /no SEARCH\/REPLACE blocks/],
    ['ambiguous SEARCH text', 'src/stats.js\n<<<<<<< SEARCH\n}\n=======\n};\n>>>>>>> REPLACE\n', /appears 2 times; include more surrounding lines/],
    ['an edit outside the repository', '../outside.txt\n<<<<<<< SEARCH\n=======\nowned\n>>>>>>> REPLACE\n', /edits refused[\s\S]*leaves the repository/],
    ['an edit under .git', '.git/hooks/pre-commit\n<<<<<<< SEARCH\n=======\n#!/bin/sh\n>>>>>>> REPLACE\n', /edits refused[\s\S]*inside \.git/],
    ['an empty SEARCH on an existing file', 'src/stats.js\n<<<<<<< SEARCH\n=======\nexport const x = 1;\n>>>>>>> REPLACE\n', /already exists, and an empty SEARCH only creates new files/],
  ])('answers with %s: a VALIDATION_FAILED failure with the reason fed back, and the tokens counted', async (_what, content, message) => {
    ollama.enqueue({ content, promptTokens: 500, completionTokens: 25 });
    const result = await resultFor(await request());
    expect(result.type).toBe(eventTypes.stageFailed);
    if (result.type !== eventTypes.stageFailed) return;
    expect(result.data.error).toMatchObject({ code: 'EDIT_INVALID', retryable: true });
    expect(result.data.error.message).toMatch(message);
    expect(result.data.tokens).toEqual({ prompt: 500, completion: 25 });
    expect(result.data.model).toEqual({ provider: 'ollama', name: MODEL, replay: false });
  });

  it('says when the answer was cut off at the answer budget', async () => {
    ollama.enqueue({ content: 'src/stats.js\n<<<<<<< SEARCH\n  return s[0];\n=======\n  return s[Math', truncated: true });
    const result = await resultFor(await request());
    expect(result.type === eventTypes.stageFailed && result.data.error.message).toMatch(/cut off at the answer budget of 4096 tokens/);
  });

  it('repeats after a 429 (RATE_LIMIT), a 500 (API_ERROR) and a reset connection (NETWORK_ERROR), then succeeds', async () => {
    const before = ollama.generations().length;
    ollama.enqueue({ status: 429, error: 'slow down', retryAfterSeconds: 0 }, { status: 500, error: 'busy' }, { reset: true }, { content: FIX });
    const result = await resultFor(await request());
    expect(result.type, JSON.stringify(result.data)).toBe(eventTypes.codegenCompleted);
    expect(ollama.generations().length - before).toBe(4);
    for (const reason of ['RATE_LIMIT', 'API_ERROR', 'NETWORK_ERROR']) {
      expect(await metric(service, 'patchbay_model_retries_total', { reason }), reason).toBeGreaterThanOrEqual(1);
      expect(await metric(service, 'patchbay_model_retry_outcomes_total', { reason, outcome: 'succeeded' }), reason).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives up on API_ERROR after its maxAttempts, as a final failure the bus does not repeat', async () => {
    const before = ollama.generations().length;
    ollama.enqueue({ status: 500, error: 'e1' }, { status: 502, error: 'e2' }, { status: 503, error: 'e3' });
    const result = await resultFor(await request());
    expect(result.type).toBe(eventTypes.stageFailed);
    if (result.type !== eventTypes.stageFailed) return;
    expect(result.data.error).toMatchObject({ code: 'MODEL_API_ERROR', retryable: false });
    expect(result.data.error.message).toMatch(/gave up after 3 failed calls/);
    expect(ollama.generations().length - before).toBe(3);
    expect(await metric(service, 'patchbay_model_retry_outcomes_total', { reason: 'API_ERROR', outcome: 'gave_up' })).toBe(1);
  });

  it('times out a hanging model (TIMEOUT), repeats once as configured, then fails', async () => {
    const before = ollama.generations().length;
    ollama.enqueue({ hang: true }, { hang: true });
    const result = await resultFor(await request());
    expect(result.type === eventTypes.stageFailed && result.data.error).toMatchObject({ code: 'TIMEOUT', retryable: false });
    expect(ollama.generations().length - before).toBe(2);
    expect(ollama.generations().slice(before).every((r) => r.aborted)).toBe(true);
  });

  it('does not repeat a non-transient error: an unknown model', async () => {
    const result = await resultFor(await request({ model: 'not-pulled:7b' }));
    expect(result.type === eventTypes.stageFailed && result.data.error).toMatchObject({ code: 'MODEL_NOT_FOUND', retryable: false });
  });

  it('refuses a prompt over the model window before sending anything', async () => {
    const before = ollama.generations().length;
    const result = await resultFor(await request({ model: 'tiny:1b' }));
    expect(result.type).toBe(eventTypes.stageFailed);
    if (result.type !== eventTypes.stageFailed) return;
    expect(result.data.error).toMatchObject({ code: 'PROMPT_TOO_LARGE', retryable: false });
    expect(result.data.error.message).toMatch(/do not fit the 2048-token context window of tiny:1b, so nothing was sent/);
    expect(ollama.generations().length).toBe(before);
  });

  it('asks for whole files when the strategy changed, and lets them rewrite existing files', async () => {
    const whole = ['FILE: src/stats.js', '```js', SOURCE.replace('return s[0];', 'return s[Math.floor(s.length / 2)];').trimEnd(), '```', ''].join('\n');
    ollama.enqueue({ content: whole });
    const id = await request({ strategy: 'whole-file', focusFiles: ['src/stats.js'], hypothesis: 'median() returns the smallest element', feedback: 'Same failure twice.' });
    const result = await resultFor(id);
    expect(result.type).toBe(eventTypes.codegenCompleted);
    const body = ollama.generations().at(-1)?.body as { messages: Array<{ content: string }> };
    const [system, user] = body.messages.map((m) => m.content);
    expect(system).toContain('FILE: path/to/file.ext');
    expect(system).not.toContain('<<<<<<< SEARCH');
    expect(user).toContain('## Change of strategy');
    expect(user).toContain('(start with src/stats.js)');
    expect(user).toContain("## Debugger's hypothesis\nmedian() returns the smallest element");
  });

  it('aborts the model call when the task is cancelled, and the server sees the request aborted', async () => {
    ollama.enqueue({ content: FIX.repeat(20), chunkSize: 1, chunkDelayMs: 5 });
    const before = ollama.generations().length;
    const id = await request();
    const deadline = Date.now() + 10_000;
    while (ollama.generations().length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    await cancelTask(bus, id, { source: 'test', reason: 'changed my mind' });
    const result = await resultFor(id);
    expect(result.type === eventTypes.stageFailed && result.data.error).toMatchObject({ code: 'CANCELLED', retryable: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(ollama.generations().at(-1)?.aborted).toBe(true);
    // A later request for the cancelled task is not started at all.
    const count = ollama.generations().length;
    results.splice(0, results.length, ...results.filter((e) => (e.data as { taskId?: string }).taskId !== id));
    await request({ taskId: id, attempt: 2 });
    const second = await resultFor(id);
    expect(second.type === eventTypes.stageFailed && second.data).toMatchObject({ attempt: 2, error: { code: 'CANCELLED' } });
    expect(ollama.generations().length).toBe(count);
  });
});

describe('the circuit breaker of the model endpoint', () => {
  let ollama: ScriptedOllama;
  let service: RunningService;
  beforeAll(async () => {
    ollama = await startScriptedOllama({ models: [MODEL] });
    service = await startCodegen({
      llm: { host: ollama.url },
      breaker: { failureThreshold: 2, halfOpenAfterMs: 150 },
    });
  });
  afterAll(async () => {
    await service.stop();
    await ollama.close();
  });

  it('opens after the configured failures; the task waits on the bus (more waits than its 5 deliveries) and completes after a half-open probe', async () => {
    // Two resets open the circuit; six probes fail and reopen it; the seventh probe succeeds.
    ollama.enqueue(...Array.from({ length: 8 }, () => ({ reset: true as const })), { content: FIX });
    const id = await request();
    const result = await resultFor(id, 20_000);
    expect(result.type).toBe(eventTypes.codegenCompleted);
    expect(ollama.pending()).toBe(0);
    expect(await metric(service, 'patchbay_model_breaker_transitions_total', { to: 'open' })).toBe(7);
    expect(await metric(service, 'patchbay_model_breaker_transitions_total', { to: 'half_open' })).toBe(7);
    expect(await metric(service, 'patchbay_model_breaker_transitions_total', { to: 'closed' })).toBe(1);
    expect(await metric(service, 'patchbay_model_breaker_state')).toBe(0);
    expect(await metric(service, 'patchbay_messages_handled_total', { outcome: 'wait' })).toBe(7);
    // Calls were spaced by the half-open period, not hammered.
    const calls = ollama.generations().map((r) => r.at);
    for (let i = 2; i < calls.length; i++) expect((calls[i] ?? 0) - (calls[i - 1] ?? 0)).toBeGreaterThanOrEqual(140);
  }, 30_000);
});

describe('with an OpenAI-compatible endpoint', () => {
  let server: ScriptedOpenAi;
  let service: RunningService;
  const key = 'sk-codegen-test-0123456789abcdef';
  beforeAll(async () => {
    server = await startScriptedOpenAi({ models: ['qwen2.5-coder-32b-instruct'], contextLength: 32_768, apiKey: key });
    service = await startCodegen({
      llm: { provider: 'openai', openaiBaseUrl: server.url, openaiApiKey: key, model: 'qwen2.5-coder-32b-instruct', stream: false, structured: true },
    });
  });
  afterAll(async () => {
    await service.stop();
    await server.close();
  });

  it('asks for structured output without streaming, and applies the JSON edits', async () => {
    server.enqueue({ content: JSON.stringify({ edits: [{ path: 'src/stats.js', search: '  return s[0];', replace: '  return s[Math.floor(s.length / 2)];' }] }) });
    const result = await resultFor(await request());
    expect(result.type).toBe(eventTypes.codegenCompleted);
    if (result.type !== eventTypes.codegenCompleted) return;
    expect(result.data.model).toEqual({ provider: 'openai', name: 'qwen2.5-coder-32b-instruct', replay: false });
    const body = server.generations().at(-1)?.body as Record<string, unknown>;
    expect(body['stream']).toBe(false);
    expect(body['response_format']).toMatchObject({ type: 'json_schema', json_schema: { name: 'patchbay_edits', schema: { required: ['edits'] } } });
    const system = (body['messages'] as Array<{ content: string }>)[0]?.content ?? '';
    expect(system).toContain('Answer with one JSON object');
    // The key never reaches the model.
    expect(JSON.stringify(body)).not.toContain(key);
  });

  it('turns malformed JSON into VALIDATION_FAILED, and a 429 with Retry-After into a repeat', async () => {
    server.enqueue({ content: '{"edits": [{"path": "src/stats.js"' });
    const bad = await resultFor(await request());
    expect(bad.type === eventTypes.stageFailed && bad.data.error.message).toMatch(/not valid JSON/);
    server.enqueue({ status: 429, error: 'slow down', retryAfterSeconds: 0 }, { content: JSON.stringify({ edits: [{ path: 'NEW.md', search: '', replace: '# new' }] }) });
    const good = await resultFor(await request());
    expect(good.type === eventTypes.codegenCompleted && good.data.files).toEqual([{ path: 'NEW.md', action: 'create', linesAdded: 1, linesRemoved: 0 }]);
  });
});
