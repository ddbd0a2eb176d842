import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitFixture, type GitFixture, type ScriptedOllama, startNats, startScriptedOllama, type TestNats } from '@patchbay/testkit';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/dist/bin.js');
const DEMO = join(ROOT, 'examples/demo-repo');
const MODEL = 'qwen2.5-coder:32b';

let nats: TestNats;
let ollama: ScriptedOllama;
let workdir: string;
const startUp = (env: Record<string, string>) => execa('node', [BIN, 'up'], { env: { ...env, LOG_LEVEL: 'info' }, reject: false, all: true });
let up: ReturnType<typeof startUp>;
let upOutput = '';
let answers: { wrong: string; right: string };
let env: Record<string, string>;

const patchbay = (args: string[], extra: Record<string, string> = {}) =>
  execa('node', [BIN, ...args], { env: { ...env, ...extra }, reject: false, all: true, timeout: 120_000 });

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${upOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  nats = await startNats();
  ollama = await startScriptedOllama({ models: [MODEL] });
  workdir = await mkdtemp(join(tmpdir(), 'patchbay-cli-'));
  const replay = JSON.parse(await readFile(join(ROOT, 'examples/demo-repo.replay.json'), 'utf8')) as { answers: Array<{ content: string }> };
  answers = { right: replay.answers[0]?.content ?? '', wrong: replay.answers[1]?.content ?? '' };
  env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    NATS_URL: nats.url,
    OLLAMA_HOST: ollama.url,
    PATCHBAY_MODEL: MODEL,
    PATCHBAY_WORKDIR: workdir,
    LOG_LEVEL: 'warn',
  };
  up = startUp(env);
  up.all?.on('data', (chunk: Buffer) => {
    upOutput += chunk.toString();
  });
  await waitFor(() => upOutput.includes('Ctrl-C stops them'), 30_000, 'patchbay up to start');
}, 60_000);

afterAll(async () => {
  if (up.exitCode === null) up.kill('SIGKILL');
  await ollama?.close();
  await nats?.stop();
  await rm(workdir, { recursive: true, force: true });
});

const metricsUrls = () => [...upOutput.matchAll(/^\s+(\S+)\s+(http:\/\/127\.0\.0\.1:\d+\/metrics)$/gm)].map((m) => ({ name: m[1], url: m[2] ?? '' }));

describe('patchbay up', () => {
  it('runs all six services and prints where each serves /metrics', async () => {
    const urls = metricsUrls();
    expect(urls.map((u) => u.name)).toEqual(['router', 'context-engine', 'codegen', 'quality-assessor', 'feedback-processor', 'debugger']);
    const body = await (await fetch(urls[0]?.url ?? '')).text();
    expect(body).toContain('patchbay_messages_handled_total');
    expect(body).toContain('patchbay_stage_duration_seconds');
    expect(body).toContain('process_cpu_user_seconds_total');
  });
});

describe('patchbay run', () => {
  let repo: GitFixture;
  beforeAll(async () => {
    repo = await createGitFixture({ copyFrom: DEMO });
  });
  afterAll(() => repo.remove());

  it('shows progress live, prints the report with the branch, and exits 0 when the task completes', async () => {
    ollama.enqueue({ content: answers.wrong }, { content: answers.right });
    const result = await patchbay(['run', 'Fix the failing median tests in src/stats.js', '--repo', repo.dir]);
    expect(result.exitCode, result.all).toBe(0);
    const id = /task (\S+) submitted/.exec(result.all ?? '')?.[1] ?? '';
    expect(result.all).toContain('✓ routed to codegen');
    expect(result.all).toMatch(/assessment #1: did not pass/);
    expect(result.all).toMatch(/assessment #2: passed/);
    expect(result.all).toContain(`# patchbay report`);
    expect(result.all).toContain(`patchbay/${id}`);
    expect(await repo.git('branch', '--list', `patchbay/${id}`)).toContain(id);

    const changes = await patchbay(['changes', id]);
    expect(changes.exitCode).toBe(0);
    const lines = (changes.stdout ?? '').trim().split('\n').map((l) => JSON.parse(l) as { iteration: number; file: string });
    expect(lines.map((l) => [l.iteration, l.file])).toEqual([
      [1, 'src/stats.js'],
      [2, 'src/stats.js'],
    ]);

    const board = await patchbay(['board', '--repo', repo.dir]);
    const entries = (board.stdout ?? '').trim().split('\n').map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    expect(entries.find((e) => e.type === 'test_command')?.data).toMatchObject({ unit: 'npm test' });

    const report = await patchbay(['report', id]);
    expect(report.stdout).toContain('**completed**');
  });

  it('exits 1 and prints why when the task fails', async () => {
    ollama.enqueue({ content: answers.wrong }, { content: answers.wrong }, { content: answers.wrong });
    const result = await patchbay(['run', 'Fix the failing median tests in src/stats.js', '--repo', repo.dir, '--max-attempts', '3']);
    expect(result.exitCode, result.all).toBe(1);
    expect(result.all).toMatch(/✗ failed after 3 attempt\(s\)/);
    expect(result.all).toContain('This is the same failure as attempt 1');
    expect(result.all).toContain('## Last test output');
  });

  it('cancels a running task: the model call is aborted and the task ends failed (CANCELLED)', async () => {
    // A slow answer, so the task is still generating when the cancel arrives.
    ollama.enqueue({ content: answers.right.repeat(30), chunkSize: 1, chunkDelayMs: 5 });
    const before = ollama.generations().length;
    const id = 'cancel-me-1';
    const submitted = await patchbay(['run', 'Fix the failing median tests in src/stats.js', '--repo', repo.dir, '--id', id, '--no-wait']);
    expect(submitted.exitCode, submitted.all).toBe(0);
    const deadline = Date.now() + 30_000;
    while (ollama.generations().length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const cancel = await patchbay(['cancel', id, '--reason', 'wrong branch', '--by', 'ci-bot']);
    expect(cancel.exitCode, cancel.all).toBe(0);
    expect(cancel.all).toContain(`cancel requested for task ${id}`);
    expect(cancel.all).toContain('✗ failed after 1 attempt(s): cancelled by ci-bot: wrong branch');
    await new Promise((r) => setTimeout(r, 300));
    expect(ollama.generations().at(-1)?.aborted).toBe(true);
    // The terminal event stays the last one: the codegen failure that followed changed nothing.
    const events = await patchbay(['events', id, '--json']);
    const types = (events.stdout ?? '').trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.at(-1)).toBe('dev.patchbay.task.failed.v1');
    expect(types.filter((t) => t === 'dev.patchbay.task.failed.v1')).toHaveLength(1);
    const again = await patchbay(['cancel', id]);
    expect(again.exitCode).toBe(0);
    expect(again.all).toContain('has already ended (failed)');
    const unknown = await patchbay(['cancel', 'no-such-task']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.all).toContain('no task no-such-task');
  });

  it('exits 3 when the task is escalated', async () => {
    const result = await patchbay(['run', 'Run a security audit of the authentication module for OWASP vulnerabilities', '--repo', repo.dir]);
    expect(result.exitCode, result.all).toBe(3);
    expect(result.all).toContain('escalated to security');
  });

  it.each([
    [['run', 'Fix it', '--repo', '/does/not/exist'], /no such directory/],
    [['run', 'Fix it'], /required option '--repo/],
    [['run', 'Fix it', '--repo', '.', '--mode', 'sideways'], /--mode sideways is not a mode/],
    [['run', 'Fix it', '--repo', '.', '--max-attempts', 'lots'], /--max-attempts lots is not an integer/],
    [['run', 'Fix it', '--repo', '.', '--id', 'a.b'], /--id a\.b/],
    [['no-such-command'], /unknown command/],
    [['changes', 'bad id'], /is not a task id/],
    [['service', 'nope'], /no service named nope/],
    [['up', 'router', 'nope'], /no service named nope/],
    [['cancel', 'bad id'], /is not a task id/],
  ])('exits 2 on bad input: %j', async (args, message) => {
    const result = await patchbay(args, { NATS_URL: 'nats://127.0.0.1:1' });
    expect(result.exitCode, result.all).toBe(2);
    expect(result.all).toMatch(message);
  });

  it('exits 2 naming the setting when configuration is bad', async () => {
    const result = await patchbay(['route', 'fix it'], { PATCHBAY_MAX_ATTEMPTS: 'many' });
    expect(result.exitCode).toBe(0); // route needs no configuration
    const run = await patchbay(['board'], { PATCHBAY_QUALITY_THRESHOLD: '7' });
    expect(run.exitCode).toBe(2);
    expect(run.all).toContain('PATCHBAY_QUALITY_THRESHOLD (pipeline.qualityThreshold)');
  });

  it('prints the routing decision as JSON', async () => {
    const result = await patchbay(['route', 'Redesign the entire API architecture']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout ?? '')).toMatchObject({ agent: 'pm' });
  });

  it('runs the plain-NATS-client example from docs/events.md to the end of a task', async () => {
    ollama.enqueue({ content: answers.right });
    const result = await execa('node', [join(ROOT, 'docs/examples/submit-task.mjs'), repo.dir, 'Fix the median bug in src/stats.js'], {
      env,
      reject: false,
      all: true,
      timeout: 60_000,
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('dev.patchbay.task.accepted.v1');
    expect(result.all).toContain('dev.patchbay.task.completed.v1');
  });
});

describe('a standalone service', () => {
  it('stops at start with a message naming a bad setting', async () => {
    const result = await execa('node', [join(ROOT, 'services/router/dist/main.js')], {
      env: { ...env, PATCHBAY_METRICS_PORT: 'abc' },
      reject: false,
      all: true,
      timeout: 20_000,
    });
    expect(result.exitCode).toBe(78);
    expect(result.all).toContain('PATCHBAY_METRICS_PORT (metrics.port)');
  });
});

describe('shutdown', () => {
  it('stops patchbay up gracefully on SIGTERM', async () => {
    up.kill('SIGTERM');
    const result = await up;
    expect(result.exitCode).toBe(0);
    expect(upOutput).toMatch(/"msg":"stopped"/);
  });
});
