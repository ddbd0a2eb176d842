import { describe, expect, it } from 'vitest';
import {
  STAGES,
  type Assessment,
  type CiFailure,
  type ErrorInfo,
  type ModelInfo,
  type TokenUsage,
  eventSchemas,
  eventTypes,
  subjects,
} from '@patchbay/contracts';
import {
  type Defaults,
  type NewTask,
  type ResultInput,
  advance,
  branchFor,
  cancelTask,
  clearOutbox,
  reopenTask,
  reportRefFor,
  startTask,
  taskFromCiFailure,
  taskFromSubmission,
} from '../src/domain/machine.js';
import { renderReport } from '../src/domain/report.js';
import { retryStats } from '../src/domain/retry-stats.js';
import { type Outgoing, TaskState } from '../src/domain/task-state.js';

/* ------------------------------------------------------------------------------------------
 * Fixtures: fixed clocks, a task, and result inputs as the stage services send them.
 * ---------------------------------------------------------------------------------------- */

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1_000);
const DEFAULTS: Defaults = { maxAttempts: 3, qualityThreshold: 0.8 };
const ID = 'task-1';
const BASE = 'a'.repeat(40);
const COMMIT = 'c0ffee'.repeat(6) + 'abcd';
const MODEL: ModelInfo = { provider: 'ollama', name: 'qwen2.5-coder:32b', replay: false };

const submission = (over: Partial<NewTask> = {}): NewTask => ({
  id: ID,
  origin: 'submit',
  title: 'Fix the failing median tests in src/stats.js',
  description: 'median() returns the wrong value for even-length lists',
  repo: { url: '/repos/demo' },
  ...over,
});

const contextDone = (testCommand: string | null = 'npm test'): ResultInput => ({
  type: eventTypes.contextCompleted,
  data: {
    taskId: ID,
    attempt: 0,
    baseCommit: BASE,
    contextRef: `context/${ID}.json`,
    summary: {
      languages: { JavaScript: 2, TypeScript: 5 },
      manifests: ['package.json'],
      ...(testCommand !== null ? { testCommand } : {}),
      fileCount: 9,
      fromBoard: [],
    },
  },
});

const codegenDone = (attempt: number, tokens: TokenUsage = { prompt: 100, completion: 20 }, model: ModelInfo = MODEL): ResultInput => ({
  type: eventTypes.codegenCompleted,
  data: {
    taskId: ID,
    attempt,
    diffRef: `diffs/${ID}/${attempt}.diff`,
    files: [{ path: 'src/stats.js', action: 'modify', linesAdded: 3, linesRemoved: 2 }],
    tokens,
    model,
    durationMs: 1_500,
  },
});

const assessmentOf = (attempt: number, over: Partial<Assessment> = {}): Assessment => ({
  attempt,
  passed: false,
  score: 0.4,
  threshold: 0.8,
  scores: { correctness: 0.4, readability: 0.9 },
  tests: { command: 'npm test', exitCode: 1, timedOut: false, durationMs: 800, passed: 3, failed: 2 },
  failingTests: ['median of an even-length list', 'median of two values'],
  outputExcerpt: 'not ok 4 - median of an even-length list\n  expected 2.5 but got 3',
  isolated: true,
  ...over,
});

const passing = (attempt: number): Assessment =>
  assessmentOf(attempt, {
    passed: true,
    score: 1,
    scores: { correctness: 1, readability: 0.95 },
    tests: { command: 'npm test', exitCode: 0, timedOut: false, durationMs: 700, passed: 5, failed: 0 },
    failingTests: [],
    outputExcerpt: 'ok 5 tests',
  });

const assessed = (assessment: Assessment): ResultInput => ({
  type: eventTypes.assessmentCompleted,
  data: { taskId: ID, attempt: assessment.attempt, assessment },
});

const feedbackDone = (attempt: number, feedback = `Feedback for attempt ${attempt}: average the middle values`, signature = `sig-${attempt}`): ResultInput => ({
  type: eventTypes.feedbackCompleted,
  data: { taskId: ID, attempt, feedback, items: [{ kind: 'ERROR', message: 'wrong median' }], repeated: false, signature },
});

const debugDone = (attempt: number, hypothesis?: string): ResultInput => ({
  type: eventTypes.debugCompleted,
  data: { taskId: ID, attempt, entries: 1, ...(hypothesis !== undefined ? { hypothesis } : {}) },
});

const delivered = (attempt: number, branch = branchFor(ID)): ResultInput => ({
  type: eventTypes.deliveryCompleted,
  data: { taskId: ID, attempt, branch, commit: COMMIT },
});

const stageFailed = (
  stage: 'context' | 'codegen' | 'assessment' | 'feedback' | 'debug' | 'delivery',
  attempt: number,
  error: ErrorInfo,
  extra: { tokens?: TokenUsage; model?: ModelInfo } = {},
): ResultInput => ({
  type: eventTypes.stageFailed,
  data: { taskId: ID, attempt, stage, error, ...extra },
});

const EDIT_INVALID: ErrorInfo = { code: 'EDIT_INVALID', message: 'the SEARCH block does not match src/stats.js', retryable: true };
const PROMPT_TOO_LARGE: ErrorInfo = { code: 'PROMPT_TOO_LARGE', message: 'the prompt needs 40000 tokens', retryable: false };

/* ------------------------------------------------------------------------------------------
 * A driver that behaves like the router's handlers: advance, then publish and clear the outbox.
 * ---------------------------------------------------------------------------------------- */

class Run {
  state: TaskState;
  /** Every message published so far, in order. */
  readonly published: Outgoing[] = [];
  private clock = 0;

  constructor(task: NewTask = submission(), defaults: Defaults = DEFAULTS) {
    this.state = startTask(task, defaults, T0);
    this.flush();
  }

  /** Feeds one result; it must be accepted. Returns what it published. */
  feed(input: ResultInput): Outgoing[] {
    const before = structuredClone(this.state);
    this.clock += 10;
    const next = advance(this.state, input, at(this.clock));
    if (next === null) throw new Error(`advance refused ${input.type} in status ${this.state.status}`);
    // advance never mutates the state it was given.
    expect(this.state).toEqual(before);
    // The returned state is a valid stored record.
    expect(TaskState.safeParse(next).success).toBe(true);
    expect(next.updatedAt).toBe(at(this.clock).toISOString());
    this.state = next;
    return this.flush();
  }

  /** Feeds a result that must be ignored as stale or duplicate. */
  ignored(input: ResultInput): void {
    const before = structuredClone(this.state);
    expect(advance(this.state, input, at(this.clock + 1))).toBeNull();
    expect(this.state).toEqual(before);
  }

  private flush(): Outgoing[] {
    const out = [...this.state.outbox];
    this.published.push(...out);
    if (out.length > 0) {
      const cleared = clearOutbox(this.state, out.map((o) => o.msgId));
      expect(cleared).not.toBeNull();
      this.state = cleared as TaskState;
    }
    expect(this.state.outbox).toEqual([]);
    return out;
  }

  /** Lifecycle events on the task's events subject. */
  events(): Outgoing[] {
    return this.published.filter((o) => o.subject === subjects.taskEvents(ID));
  }

  requests(stage?: string): Outgoing[] {
    return this.published.filter(
      (o) =>
        STAGES.some((st) => o.subject === subjects.workRequest(st)) &&
        o.type !== eventTypes.learningRequested &&
        (stage === undefined || o.subject === subjects.workRequest(stage as never)),
    );
  }

  /** What the feedback processor is told when the task ends. */
  learning(): Outgoing[] {
    return this.published.filter((o) => o.type === eventTypes.learningRequested);
  }

  /** Compact labels of the lifecycle: "accepted", "codegen:started:1", ... */
  labels(from = 0): string[] {
    return this.events()
      .slice(from)
      .map((o) => {
        const data = o.data as { stage?: string; status?: string; attempt?: number };
        return o.type === eventTypes.taskStage ? `${data.stage}:${data.status}:${data.attempt}` : o.type.split('.').slice(3, -1).join('.');
      });
  }
}

const dataOf = <T = Record<string, unknown>>(o: Outgoing | undefined): T => {
  if (o === undefined) throw new Error('no such message');
  return o.data as T;
};

/** Invariants every run must keep, whatever its path. */
function expectWellFormed(run: Run): void {
  // Lifecycle seq is 1, 2, 3, ... on the events subject with no gaps or repeats.
  const seqs = run.events().map((o) => dataOf<{ seq: number }>(o).seq);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(run.state.seq).toBe(seqs.length);
  // msgIds are unique, so JetStream de-duplication never drops a distinct message.
  const ids = run.published.map((o) => o.msgId);
  expect(new Set(ids).size).toBe(ids.length);
  // Every event id of the lifecycle is derived from the task and the seq.
  for (const o of run.events()) expect(o.msgId).toBe(`${ID}.event.${dataOf<{ seq: number }>(o).seq}`);
  // Work requests are addressed by stage and attempt.
  for (const o of run.requests()) {
    const stage = o.subject.split('.')[2];
    expect(o.msgId).toBe(`${ID}.${stage}.${dataOf<{ attempt: number }>(o).attempt}.request`);
    expect(dataOf<{ taskId: string }>(o).taskId).toBe(ID);
  }
  // At most one learning request per ending, addressed by the attempt it ended at.
  for (const o of run.learning()) expect(o.msgId).toMatch(new RegExp(`^${ID}\\.learning\\.\\d+\\.(completed|failed)$`));
  // Everything published matches its public or internal contract.
  for (const o of run.published) {
    const schema = eventSchemas[o.type as keyof typeof eventSchemas];
    expect(schema, o.type).toBeDefined();
    const parsed = schema.safeParse(o.data);
    expect(parsed.success, `${o.type}: ${parsed.error?.message ?? ''}`).toBe(true);
  }
}

/** Drives a run up to the first codegen request. */
function toGenerating(task?: NewTask, defaults?: Defaults): Run {
  const run = new Run(task, defaults);
  run.feed(contextDone());
  return run;
}

/* ------------------------------------------------------------------------------------------ */

describe('startTask', () => {
  it('accepts an implementation task and asks the context engine, nothing else', () => {
    const state = startTask(submission(), DEFAULTS, T0);
    expect(state.status).toBe('context');
    expect(state.attempt).toBe(0);
    expect(state.seq).toBe(2);
    expect(state.createdAt).toBe(T0.toISOString());
    expect(state.updatedAt).toBe(T0.toISOString());
    expect(state.finishedAt).toBeUndefined();
    expect(state.mode).toBe('BUG_FIXING');
    expect(state.route.agent).toBe('codegen');
    expect(state.maxAttempts).toBe(3);
    expect(state.qualityThreshold).toBe(0.8);
    expect(state.outbox.map((o) => [o.subject, o.type, o.msgId])).toEqual([
      [subjects.taskEvents(ID), eventTypes.taskAccepted, `${ID}.event.1`],
      [subjects.taskEvents(ID), eventTypes.taskStage, `${ID}.event.2`],
      [subjects.workRequest('context'), eventTypes.contextRequested, `${ID}.context.0.request`],
    ]);
    expect(state.outbox[0]?.data).toMatchObject({
      seq: 1,
      title: 'Fix the failing median tests in src/stats.js',
      repo: { url: '/repos/demo' },
      mode: 'BUG_FIXING',
      maxAttempts: 3,
      qualityThreshold: 0.8,
      origin: 'submit',
      route: { agent: 'codegen' },
    });
    expect(state.outbox[1]?.data).toMatchObject({ seq: 2, stage: 'context', status: 'started', attempt: 0 });
    expect(state.outbox[2]?.data).toEqual({
      taskId: ID,
      attempt: 0,
      repo: { url: '/repos/demo' },
      title: 'Fix the failing median tests in src/stats.js',
      description: 'median() returns the wrong value for even-length lists',
    });
    expect(state.outbox.some((o) => o.withReport)).toBe(false);
    expect(TaskState.safeParse(state).success).toBe(true);
  });

  it('is deterministic: the same task at the same time gives the same state', () => {
    expect(startTask(submission(), DEFAULTS, T0)).toEqual(startTask(submission(), DEFAULTS, T0));
  });

  it('lets constraints override the defaults', () => {
    const state = startTask(submission({ constraints: { maxAttempts: 1, qualityThreshold: 0.95 } }), DEFAULTS, T0);
    expect(state.maxAttempts).toBe(1);
    expect(state.qualityThreshold).toBe(0.95);
    expect(state.outbox[0]?.data).toMatchObject({ maxAttempts: 1, qualityThreshold: 0.95 });
    // Only the constraint given overrides; the other stays at its default.
    const partial = startTask(submission({ constraints: { maxAttempts: 5 } }), DEFAULTS, T0);
    expect([partial.maxAttempts, partial.qualityThreshold]).toEqual([5, 0.8]);
  });

  it.each([
    ['pm', 'Redesign the entire API architecture'],
    ['security', 'Perform a security audit for OWASP vulnerabilities'],
  ] as const)('escalates to %s without asking for context', (target, title) => {
    const run = new Run(submission({ title, description: undefined }));
    expect(run.state.status).toBe('escalated');
    expect(run.state.finishedAt).toBe(T0.toISOString());
    expect(run.state.route.agent).toBe(target);
    expect(run.requests()).toEqual([]);
    // The hand-off first, the task's last event after it.
    expect(run.published.map((o) => [o.subject, o.type, o.msgId])).toEqual([
      [subjects.escalation(target), eventTypes.taskEscalated, `${ID}.escalation`],
      [subjects.taskEvents(ID), eventTypes.taskEscalated, `${ID}.event.1`],
    ]);
    const [onEscalation, onEvents] = run.published;
    expect(onEvents?.withReport).toBe(true);
    expect(onEscalation?.withReport).toBeUndefined();
    // The same escalation, with the same seq, goes to both subjects.
    expect(onEscalation?.data).toEqual(onEvents?.data);
    expect(onEvents?.data).toMatchObject({ seq: 1, taskId: ID, to: target, title, repo: { url: '/repos/demo' } });
    expect(dataOf<{ matched: string[] }>(onEvents).matched.length).toBeGreaterThan(0);
    expect(dataOf<{ confidence: number }>(onEvents).confidence).toBe(run.state.route.confidence);
    expectWellFormed(run);
    // An escalated task is terminal: any result is ignored.
    run.ignored(contextDone());
    run.ignored(stageFailed('context', 0, PROMPT_TOO_LARGE));
  });

  it('takes an explicit mode as a request for implementation, even for vague text', () => {
    const vague = startTask(submission({ title: 'Please look at things', description: undefined }), DEFAULTS, T0);
    expect(vague.status).toBe('escalated');
    expect(vague.route.agent).toBe('pm');
    const explicit = startTask(submission({ title: 'Please look at things', description: undefined, mode: 'REFACTORING' }), DEFAULTS, T0);
    expect(explicit.status).toBe('context');
    expect(explicit.mode).toBe('REFACTORING');
    expect(explicit.route.agent).toBe('codegen');
  });
});

describe('taskFromSubmission and taskFromCiFailure', () => {
  it('copies a submission, its model and constraints into the new task', () => {
    const task = taskFromSubmission(
      'sub-1',
      { title: 'Add a mean function', repo: { url: '/r', ref: 'dev' }, mode: 'FEATURE_DEVELOPMENT', model: 'llama3', constraints: { maxAttempts: 2 } },
      '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
    );
    expect(task).toEqual({
      id: 'sub-1',
      origin: 'submit',
      title: 'Add a mean function',
      repo: { url: '/r', ref: 'dev' },
      mode: 'FEATURE_DEVELOPMENT',
      model: 'llama3',
      constraints: { maxAttempts: 2 },
      traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
    });
    const state = startTask(task, DEFAULTS, T0);
    expect(state.traceparent).toBe(task.traceparent);
    expect(state.model).toBe('llama3');
    expect(state.maxAttempts).toBe(2);
  });

  it('turns a CI failure into a BUG_FIXING task whose description carries the evidence', () => {
    const failure: CiFailure = {
      repo: { url: '/repos/demo', ref: 'main' },
      pipeline: 'build',
      job: 'unit',
      runUrl: 'https://ci.example/run/42',
      testCommand: 'npm test',
      failingTests: ['median of an even-length list', 'median of two values'],
      log: `${'x'.repeat(7_000)}TAIL-OF-LOG`,
    };
    const task = taskFromCiFailure('ci-1', failure);
    expect(task.origin).toBe('ci');
    expect(task.mode).toBe('BUG_FIXING');
    expect(task.title).toBe('Fix the CI failure in build / unit');
    const description = task.description ?? '';
    expect(description).toContain('CI reported a failure in build / unit at main.');
    expect(description).toContain('Run: https://ci.example/run/42');
    expect(description).toContain('Test command: npm test');
    expect(description).toContain('Failing tests:\n- median of an even-length list\n- median of two values');
    // The log is cut to its last 6,000 characters: the end is what matters.
    expect(description).toContain('TAIL-OF-LOG');
    expect(description.length).toBeLessThan(6_500);
    // With nothing but a repository it still reads sensibly.
    const bare = taskFromCiFailure('ci-2', { repo: { url: '/r' } });
    expect(bare.title).toBe('Fix the CI failure');
    expect(bare.description).toBe('CI reported a failure.');
    // An explicit title wins.
    expect(taskFromCiFailure('ci-3', { repo: { url: '/r' }, title: 'Nightly is red' }).title).toBe('Nightly is red');
  });

  it('sends a CI failure to codegen even when its text would escalate', () => {
    const failure: CiFailure = {
      repo: { url: '/repos/demo' },
      title: 'Security audit: review the entire architecture for vulnerabilities',
      log: 'Redesign the entire API architecture',
      constraints: { maxAttempts: 4 },
    };
    // The same words from a person escalate...
    expect(startTask(submission({ title: failure.title ?? '', description: failure.log }), DEFAULTS, T0).status).toBe('escalated');
    // ...but from CI they are a failing build to fix.
    const run = new Run(taskFromCiFailure(ID, failure));
    expect(run.state.status).toBe('context');
    expect(run.state.origin).toBe('ci');
    expect(run.state.mode).toBe('BUG_FIXING');
    expect(run.state.route).toMatchObject({ agent: 'codegen', reason: 'CI failure: implementation work', mode: 'BUG_FIXING' });
    expect(run.state.route.confidence).toBeGreaterThanOrEqual(0.95);
    expect(run.state.maxAttempts).toBe(4);
    expect(run.labels()).toEqual(['accepted', 'context:started:0']);
    expect(dataOf(run.events()[0])).toMatchObject({ origin: 'ci', mode: 'BUG_FIXING' });
    expect(run.requests('context')).toHaveLength(1);
    expect(run.published.some((o) => o.type === eventTypes.taskEscalated)).toBe(false);
    run.feed(contextDone());
    expect(dataOf(run.requests('codegen')[0])).toMatchObject({ mode: 'BUG_FIXING', title: failure.title });
    expectWellFormed(run);
  });
});

describe('advance: the happy path in one attempt', () => {
  it('goes context → codegen → assessment → delivery → completed', () => {
    const run = new Run();

    const afterContext = run.feed(contextDone());
    expect(run.state).toMatchObject({ status: 'generating', attempt: 1, baseCommit: BASE, contextRef: `context/${ID}.json`, testCommand: 'npm test' });
    expect(afterContext.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskStage, eventTypes.codegenRequested]);
    expect(dataOf(afterContext[0])).toMatchObject({ stage: 'context', status: 'completed', attempt: 0 });
    // Languages are listed most files first.
    expect(dataOf<{ summary: string }>(afterContext[0]).summary).toBe('9 files (TypeScript 5, JavaScript 2); tests: npm test');
    expect(dataOf(afterContext[1])).toMatchObject({ stage: 'codegen', status: 'started', attempt: 1, summary: 'attempt 1 of 3' });
    expect(afterContext[2]?.subject).toBe(subjects.workRequest('codegen'));
    expect(afterContext[2]?.data).toEqual({
      taskId: ID,
      attempt: 1,
      repo: { url: '/repos/demo' },
      baseCommit: BASE,
      contextRef: `context/${ID}.json`,
      mode: 'BUG_FIXING',
      title: 'Fix the failing median tests in src/stats.js',
      description: 'median() returns the wrong value for even-length lists',
    });

    const afterCodegen = run.feed(codegenDone(1));
    expect(run.state).toMatchObject({ status: 'assessing', attempt: 1, tokens: { prompt: 100, completion: 20 }, modelInfo: MODEL });
    // Each attempt also records which model answered and how long it took (for the report).
    expect(run.state.attempts).toEqual([
      {
        attempt: 1,
        diffRef: `diffs/${ID}/1.diff`,
        files: [{ path: 'src/stats.js', action: 'modify', linesAdded: 3, linesRemoved: 2 }],
        tokens: { prompt: 100, completion: 20 },
        model: MODEL.name,
        modelMs: 1_500,
      },
    ]);
    expect(afterCodegen.map((o) => o.subject)).toEqual([subjects.taskEvents(ID), subjects.taskEvents(ID), subjects.workRequest('assessment')]);
    expect(dataOf<{ summary: string }>(afterCodegen[0]).summary).toBe('changed src/stats.js (120 tokens)');
    expect(afterCodegen[2]?.data).toEqual({
      taskId: ID,
      attempt: 1,
      repo: { url: '/repos/demo' },
      baseCommit: BASE,
      diffRef: `diffs/${ID}/1.diff`,
      testCommand: 'npm test',
      qualityThreshold: 0.8,
    });

    const afterAssessment = run.feed(assessed(passing(1)));
    expect(run.state.status).toBe('delivering');
    expect(afterAssessment.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskAssessed, eventTypes.taskStage, eventTypes.deliveryRequested]);
    expect(dataOf<{ summary: string }>(afterAssessment[0]).summary).toBe('passed: score 1.00 (threshold 0.8); 5 passed, 0 failed');
    expect(dataOf(afterAssessment[1])).toEqual({ seq: dataOf<{ seq: number }>(afterAssessment[0]).seq + 1, assessment: passing(1) });
    const delivery = dataOf<Record<string, unknown>>(afterAssessment[3]);
    expect(delivery).toMatchObject({
      taskId: ID,
      attempt: 1,
      baseCommit: BASE,
      diffRef: `diffs/${ID}/1.diff`,
      branch: `patchbay/${ID}`,
      // The router fixes the commit date so a redelivered request makes the same commit.
      date: at(30).toISOString(),
    });
    expect(delivery['message']).toBe(
      [
        'Fix the failing median tests in src/stats.js',
        '',
        'median() returns the wrong value for even-length lists',
        '',
        `Patchbay-Task: ${ID}`,
        'Patchbay-Mode: BUG_FIXING',
        'Patchbay-Attempts: 1',
        'Patchbay-Score: 1.00',
        'Patchbay-Model: qwen2.5-coder:32b',
        '',
      ].join('\n'),
    );

    const afterDelivery = run.feed(delivered(1));
    expect(run.state).toMatchObject({ status: 'completed', branch: `patchbay/${ID}`, commit: COMMIT, finishedAt: at(40).toISOString() });
    // The feedback processor learns how the task ended (what recurred, what passed).
    expect(afterDelivery.map((o) => [o.type, o.withReport])).toEqual([
      [eventTypes.taskStage, undefined],
      [eventTypes.learningRequested, undefined],
      [eventTypes.taskCompleted, true],
    ]);
    expect(afterDelivery[1]?.data).toEqual({
      taskId: ID,
      attempt: 1,
      repo: { url: '/repos/demo' },
      outcome: 'completed',
      firstAttemptPassed: true,
      lessonKeys: [],
      attempts: [{ attempt: 1, passed: true }],
    });
    expect(dataOf<{ summary: string }>(afterDelivery[0]).summary).toBe(`patchbay/${ID} at ${COMMIT.slice(0, 12)}`);
    expect(afterDelivery[2]?.data).toEqual({
      seq: run.state.seq,
      status: 'completed',
      branch: `patchbay/${ID}`,
      commit: COMMIT,
      baseCommit: BASE,
      attempts: 1,
      score: 1,
      scores: { correctness: 1, readability: 0.95 },
      attemptScores: [1],
      filesChanged: [{ path: 'src/stats.js', action: 'modify', linesAdded: 3, linesRemoved: 2 }],
      tokens: { prompt: 100, completion: 20 },
      durationMs: 40_000,
      model: MODEL,
      reportRef: reportRefFor(ID),
    });
    expect(reportRefFor(ID)).toBe(`reports/${ID}.md`);

    expect(run.labels()).toEqual([
      'accepted',
      'context:started:0',
      'context:completed:0',
      'codegen:started:1',
      'codegen:completed:1',
      'assessment:started:1',
      'assessment:completed:1',
      'assessed',
      'delivery:started:1',
      'delivery:completed:1',
      'completed',
    ]);
    expect(run.requests().map((o) => o.msgId)).toEqual([
      `${ID}.context.0.request`,
      `${ID}.codegen.1.request`,
      `${ID}.assessment.1.request`,
      `${ID}.delivery.1.request`,
    ]);
    expectWellFormed(run);
  });

  it('publishes exactly the same messages when replayed with the same inputs and clock', () => {
    const drive = () => {
      const run = new Run();
      run.feed(contextDone());
      run.feed(codegenDone(1));
      run.feed(assessed(passing(1)));
      run.feed(delivered(1));
      return run;
    };
    const a = drive();
    const b = drive();
    expect(a.published).toEqual(b.published);
    expect(a.state).toEqual(b.state);
  });

  it('asks for checks rather than a command when the context found no tests', () => {
    const run = new Run();
    const out = run.feed(contextDone(null));
    expect(run.state.testCommand).toBeUndefined();
    expect(dataOf<{ summary: string }>(out[0]).summary).toMatch(/tests: none found$/);
    const assess = run.feed(codegenDone(1));
    expect(dataOf<{ summary: string }>(assess[1]).summary).toBe('running checks on attempt 1');
    expect(dataOf(assess[2])).not.toHaveProperty('testCommand');
    expectWellFormed(run);
  });

  it('passes the requested model on to codegen', () => {
    const run = toGenerating(submission({ model: 'llama3:8b' }));
    expect(dataOf(run.requests('codegen')[0])).toMatchObject({ model: 'llama3:8b' });
  });
});

describe('advance: stale and duplicate inputs', () => {
  it('ignores a second context.completed and results for attempts not in flight', () => {
    const run = new Run();
    run.ignored(codegenDone(1)); // codegen not requested yet
    run.ignored(delivered(1));
    run.feed(contextDone());
    run.ignored(contextDone()); // redelivery
    run.ignored(codegenDone(2)); // an attempt that was never requested
    run.ignored(codegenDone(0));
    run.ignored(assessed(passing(1))); // assessment not requested yet
    run.ignored(feedbackDone(1));
    run.ignored(stageFailed('context', 0, PROMPT_TOO_LARGE)); // context is done
    run.ignored(stageFailed('codegen', 2, EDIT_INVALID)); // wrong attempt
    run.ignored(stageFailed('assessment', 1, PROMPT_TOO_LARGE)); // not assessing
    run.ignored(debugDone(1)); // no attempt record yet
    run.feed(codegenDone(1));
    run.ignored(codegenDone(1)); // duplicate
    run.ignored(stageFailed('codegen', 1, EDIT_INVALID)); // too late: codegen already succeeded
    expect(run.state.tokens).toEqual({ prompt: 100, completion: 20 });
    run.feed(assessed(passing(1)));
    run.ignored(assessed(passing(1)));
    run.ignored(assessed(assessmentOf(1)));
    run.ignored(stageFailed('assessment', 1, PROMPT_TOO_LARGE)); // assessment is done
    run.ignored(feedbackDone(1)); // nothing to improve
    run.feed(delivered(1));
    expect(run.state.status).toBe('completed');
    expectWellFormed(run);
  });

  it('ignores every input once the task is terminal', () => {
    const run = new Run();
    run.feed(contextDone());
    run.feed(codegenDone(1));
    run.feed(assessed(passing(1)));
    run.feed(delivered(1));
    const seq = run.state.seq;
    for (const input of [
      contextDone(),
      codegenDone(1),
      assessed(passing(1)),
      feedbackDone(1),
      debugDone(1, 'late hypothesis'),
      delivered(1),
      stageFailed('delivery', 1, PROMPT_TOO_LARGE),
      stageFailed('debug', 1, PROMPT_TOO_LARGE),
    ]) {
      run.ignored(input);
    }
    expect(run.state.seq).toBe(seq);
  });

  it('ignores results for an earlier attempt once the next one is running', () => {
    const run = toGenerating();
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    run.feed(feedbackDone(1));
    expect(run.state).toMatchObject({ status: 'generating', attempt: 2 });
    run.ignored(codegenDone(1));
    run.ignored(assessed(assessmentOf(1)));
    run.ignored(feedbackDone(1));
    run.ignored(stageFailed('codegen', 1, EDIT_INVALID));
    run.ignored(stageFailed('feedback', 1, PROMPT_TOO_LARGE));
    expect(run.state.attempt).toBe(2);
    expectWellFormed(run);
  });
});

describe('clearOutbox', () => {
  it('removes only the published messages, and returns null when nothing changes', () => {
    const state = startTask(submission(), DEFAULTS, T0);
    const [first, second, third] = state.outbox;
    const partly = clearOutbox(state, [first?.msgId ?? '', third?.msgId ?? '']);
    expect(partly?.outbox).toEqual([second]);
    // The rest of the state is untouched, and so is the input.
    expect({ ...partly, outbox: [] }).toEqual({ ...state, outbox: [] });
    expect(state.outbox).toHaveLength(3);
    expect(clearOutbox(state, ['unrelated'])).toBeNull();
    expect(clearOutbox(state, [])).toBeNull();
    const empty = clearOutbox(state, state.outbox.map((o) => o.msgId));
    expect(empty?.outbox).toEqual([]);
    expect(clearOutbox(empty as TaskState, [first?.msgId ?? ''])).toBeNull();
  });

  it('keeps messages added after a publish started (a concurrent advance) in the outbox', () => {
    const state = startTask(submission(), DEFAULTS, T0);
    const publishedIds = state.outbox.map((o) => o.msgId);
    const moved = advance(state, contextDone(), at(5)) as TaskState;
    const cleared = clearOutbox(moved, publishedIds) as TaskState;
    expect(cleared.outbox.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskStage, eventTypes.codegenRequested]);
  });
});

describe('advance: failure, feedback, then success', () => {
  it('asks for feedback and a debug hypothesis, retries with the feedback, then delivers', () => {
    const run = toGenerating();
    run.feed(codegenDone(1, { prompt: 100, completion: 20 }));
    const failed = run.feed(assessed(assessmentOf(1)));
    expect(run.state).toMatchObject({ status: 'improving', attempt: 1 });
    expect(failed.map((o) => o.type)).toEqual([
      eventTypes.taskStage,
      eventTypes.taskAssessed,
      eventTypes.taskStage,
      eventTypes.feedbackRequested,
      eventTypes.taskStage,
      eventTypes.debugRequested,
    ]);
    expect(dataOf<{ summary: string }>(failed[0]).summary).toBe('did not pass: score 0.40 (threshold 0.8); 3 passed, 2 failed');
    expect(failed[3]?.data).toEqual({ taskId: ID, attempt: 1, title: run.state.title, assessment: assessmentOf(1), previous: [], repo: { url: '/repos/demo' } });
    expect(failed[5]?.subject).toBe(subjects.workRequest('debug'));
    expect(failed[5]?.data).toEqual({
      taskId: ID,
      attempt: 1,
      repo: { url: '/repos/demo' },
      baseCommit: BASE,
      diffRef: `diffs/${ID}/1.diff`,
      assessment: assessmentOf(1),
    });

    const retry = run.feed(feedbackDone(1, 'Average the two middle values\nmore detail', 'sig-median'));
    expect(run.state).toMatchObject({ status: 'generating', attempt: 2 });
    expect(run.state.attempts[0]).toMatchObject({ feedback: 'Average the two middle values\nmore detail', signature: 'sig-median' });
    expect(dataOf<{ summary: string }>(retry[0]).summary).toBe('Average the two middle values');
    expect(dataOf(retry[1])).toMatchObject({ stage: 'codegen', status: 'started', attempt: 2, summary: 'attempt 2 of 3' });
    expect(retry[2]?.msgId).toBe(`${ID}.codegen.2.request`);
    expect(dataOf(retry[2])).toMatchObject({ attempt: 2, feedback: 'Average the two middle values\nmore detail' });

    // The debugger answers late, while attempt 2 is already running: still recorded.
    const hypothesis = run.feed(debugDone(1, 'median() indexes the unsorted input'));
    expect(hypothesis).toHaveLength(1);
    expect(dataOf(hypothesis[0])).toMatchObject({ stage: 'debug', status: 'completed', attempt: 1, summary: '1 debug log entries; median() indexes the unsorted input' });
    expect(run.state).toMatchObject({ status: 'generating', attempt: 2 });
    expect(run.state.attempts[0]?.hypothesis).toBe('median() indexes the unsorted input');
    run.ignored(debugDone(1, 'a second opinion')); // duplicate

    run.feed(codegenDone(2, { prompt: 150, completion: 30 }));
    run.feed(assessed(passing(2)));
    const done = run.feed(delivered(2));
    const completed = dataOf<Record<string, unknown>>(done.at(-1));
    expect(completed).toMatchObject({
      attempts: 2,
      score: 1,
      attemptScores: [0.4, 1],
      tokens: { prompt: 250, completion: 50 },
      durationMs: 80_000,
    });
    expect(run.labels()).toEqual([
      'accepted',
      'context:started:0',
      'context:completed:0',
      'codegen:started:1',
      'codegen:completed:1',
      'assessment:started:1',
      'assessment:completed:1',
      'assessed',
      'feedback:started:1',
      'debug:started:1',
      'feedback:completed:1',
      'codegen:started:2',
      'debug:completed:1',
      'codegen:completed:2',
      'assessment:started:2',
      'assessment:completed:2',
      'assessed',
      'delivery:started:2',
      'delivery:completed:2',
      'completed',
    ]);
    const delivery = run.requests('delivery');
    expect(delivery.map((o) => o.msgId)).toEqual([`${ID}.delivery.2.request`]);
    expect(dataOf(delivery[0])).toMatchObject({ diffRef: `diffs/${ID}/2.diff` });
    expect(dataOf<{ message: string }>(delivery[0]).message).toContain('Patchbay-Attempts: 2');
    expectWellFormed(run);
  });

  it('sends earlier feedback with its signature to the feedback processor on the next failure', () => {
    const run = toGenerating();
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    run.feed(feedbackDone(1, 'first feedback', 'sig-one'));
    run.feed(codegenDone(2));
    const second = run.feed(assessed(assessmentOf(2, { score: 0.5 })));
    const request = second.find((o) => o.type === eventTypes.feedbackRequested);
    expect(request?.msgId).toBe(`${ID}.feedback.2.request`);
    expect(dataOf(request)).toMatchObject({ attempt: 2, previous: [{ attempt: 1, feedback: 'first feedback', signature: 'sig-one' }] });
    run.feed(feedbackDone(2, 'second feedback', 'sig-two'));
    expect(run.state.attempt).toBe(3);
    expect(dataOf(run.requests('codegen').at(-1))).toMatchObject({ attempt: 3, feedback: 'second feedback' });
    expectWellFormed(run);
  });

  it('asks the debugger only when tests failed and a diff exists', () => {
    // Tests passed but quality is below the threshold: feedback only.
    const lowQuality = toGenerating();
    lowQuality.feed(codegenDone(1));
    const out = lowQuality.feed(
      assessed(assessmentOf(1, { tests: { command: 'npm test', exitCode: 0, timedOut: false, durationMs: 5, passed: 5, failed: 0 }, failingTests: [] })),
    );
    expect(out.map((o) => o.type)).toContain(eventTypes.feedbackRequested);
    expect(out.map((o) => o.type)).not.toContain(eventTypes.debugRequested);

    // No test command at all: nothing to debug.
    const noTests = toGenerating();
    noTests.feed(codegenDone(1));
    expect(noTests.feed(assessed(assessmentOf(1, { tests: null, failingTests: [] }))).map((o) => o.type)).not.toContain(eventTypes.debugRequested);

    // A failing count without names still counts as failing tests.
    const countOnly = toGenerating();
    countOnly.feed(codegenDone(1));
    expect(countOnly.feed(assessed(assessmentOf(1, { failingTests: [] }))).map((o) => o.type)).toContain(eventTypes.debugRequested);

    // A codegen failure has no diff and no assessment: feedback only.
    const editError = toGenerating();
    expect(editError.feed(stageFailed('codegen', 1, EDIT_INVALID)).map((o) => o.type)).not.toContain(eventTypes.debugRequested);
  });

  it('records a failed debugger without stopping the task, and only once', () => {
    const run = toGenerating();
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    const out = run.feed(stageFailed('debug', 1, { code: 'SANDBOX_FAILED', message: 'cannot run node', retryable: false }));
    expect(out).toHaveLength(1);
    expect(dataOf(out[0])).toMatchObject({ stage: 'debug', status: 'failed', attempt: 1, summary: 'SANDBOX_FAILED: cannot run node' });
    expect(run.state).toMatchObject({ status: 'improving', attempt: 1 });
    expect(run.state.failure).toBeUndefined();
    // A redelivery of the same failure must not publish a second lifecycle event.
    run.ignored(stageFailed('debug', 1, { code: 'SANDBOX_FAILED', message: 'cannot run node', retryable: false }));
    // Neither does a failure for an attempt that never asked the debugger.
    run.ignored(stageFailed('debug', 7, { code: 'SANDBOX_FAILED', message: 'cannot run node', retryable: false }));
    // One debug outcome per attempt: a late completion after the failure is a duplicate too.
    run.ignored(debugDone(1, 'late hypothesis'));
    // The report says the debugger failed for that attempt.
    expect(renderReport(run.state)).toMatch(/## Debugger hypotheses\n\n- attempt 1: .*SANDBOX_FAILED/);
    run.feed(feedbackDone(1));
    expect(run.state.status).toBe('generating');
    expectWellFormed(run);
  });
});

describe('advance: giving up', () => {
  it('fails after maxAttempts with the last assessment, the report and the reason', () => {
    const run = toGenerating(undefined, { maxAttempts: 2, qualityThreshold: 0.8 });
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    run.feed(feedbackDone(1));
    run.feed(codegenDone(2));
    const last = assessmentOf(2, { score: 0.55, tests: { command: 'npm test', exitCode: 1, timedOut: false, durationMs: 9, passed: 4, failed: 1 } });
    const out = run.feed(assessed(last));
    expect(out.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskAssessed, eventTypes.learningRequested, eventTypes.taskFailed]);
    expect(out.some((o) => o.type === eventTypes.feedbackRequested || o.type === eventTypes.codegenRequested)).toBe(false);
    const failed = out[3];
    expect(failed?.withReport).toBe(true);
    expect(failed?.subject).toBe(subjects.taskEvents(ID));
    expect(failed?.data).toEqual({
      seq: run.state.seq,
      status: 'failed',
      reason: '4 passed, 1 failed; score 0.55 below 0.8 after 2 attempts',
      attempts: 2,
      lastAssessment: last,
      tokens: { prompt: 200, completion: 40 },
      durationMs: 60_000,
      model: MODEL,
      reportRef: reportRefFor(ID),
    });
    expect(run.state).toMatchObject({ status: 'failed', attempt: 2, finishedAt: at(60).toISOString(), failure: { reason: '4 passed, 1 failed; score 0.55 below 0.8 after 2 attempts' } });
    expect(run.state.failure?.stage).toBeUndefined();
    run.ignored(feedbackDone(2));
    run.ignored(debugDone(2, 'too late'));
    expectWellFormed(run);
  });

  it('fails at once with maxAttempts 1 from the task constraints', () => {
    const run = toGenerating(submission({ constraints: { maxAttempts: 1, qualityThreshold: 0.95 } }));
    const assess = run.feed(codegenDone(1));
    expect(dataOf(assess.at(-1))).toMatchObject({ qualityThreshold: 0.95 });
    // 0.9 passes the default 0.8 but the assessor judged it against 0.95.
    const out = run.feed(assessed(assessmentOf(1, { score: 0.9, threshold: 0.95, tests: { command: 'npm test', exitCode: 0, timedOut: true, durationMs: 300_000 } })));
    expect(run.state.status).toBe('failed');
    expect(dataOf<{ reason: string }>(out.at(-1)).reason).toBe('tests timed out; score 0.90 below 0.95 after 1 attempts');
    expectWellFormed(run);
  });

  it('describes a run without counts by its exit code', () => {
    const run = toGenerating(submission({ constraints: { maxAttempts: 1 } }));
    run.feed(codegenDone(1));
    const out = run.feed(assessed(assessmentOf(1, { tests: { command: 'make test', exitCode: 2, timedOut: false, durationMs: 1 }, failingTests: [] })));
    expect(dataOf<{ reason: string }>(out.at(-1)).reason).toBe('tests exited 2; score 0.40 below 0.8 after 1 attempts');
  });
});

describe('advance: stage failures', () => {
  it('retries a retryable codegen failure through feedback, carrying the error', () => {
    const run = toGenerating();
    const out = run.feed(stageFailed('codegen', 1, EDIT_INVALID, { tokens: { prompt: 300, completion: 40 }, model: MODEL }));
    expect(run.state).toMatchObject({ status: 'improving', attempt: 1, tokens: { prompt: 300, completion: 40 }, modelInfo: MODEL });
    expect(run.state.attempts[0]).toMatchObject({ attempt: 1, error: EDIT_INVALID, tokens: { prompt: 300, completion: 40 } });
    expect(out.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskStage, eventTypes.feedbackRequested]);
    expect(dataOf(out[0])).toMatchObject({ stage: 'codegen', status: 'failed', attempt: 1, summary: `EDIT_INVALID: ${EDIT_INVALID.message}` });
    expect(out[2]?.data).toEqual({ taskId: ID, attempt: 1, title: run.state.title, error: EDIT_INVALID, previous: [], repo: { url: '/repos/demo' } });
    run.feed(feedbackDone(1, 'Quote the SEARCH block exactly'));
    expect(run.state).toMatchObject({ status: 'generating', attempt: 2 });
    expect(dataOf(run.requests('codegen').at(-1))).toMatchObject({ attempt: 2, feedback: 'Quote the SEARCH block exactly' });
    expectWellFormed(run);
  });

  it('fails on a non-retryable codegen failure, naming the stage and error', () => {
    const run = toGenerating();
    const out = run.feed(stageFailed('codegen', 1, PROMPT_TOO_LARGE));
    expect(run.state.status).toBe('failed');
    expect(run.state.failure).toEqual({ reason: `codegen failed: ${PROMPT_TOO_LARGE.message}`, stage: 'codegen', error: PROMPT_TOO_LARGE });
    expect(out.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskFailed]);
    expect(out[1]?.withReport).toBe(true);
    expect(dataOf(out[1])).toMatchObject({ status: 'failed', reason: `codegen failed: ${PROMPT_TOO_LARGE.message}`, error: PROMPT_TOO_LARGE, attempts: 0, reportRef: reportRefFor(ID) });
    expect(dataOf(out[1])).not.toHaveProperty('lastAssessment');
    expectWellFormed(run);
  });

  it('fails on a retryable codegen failure when no attempts are left', () => {
    const run = toGenerating(submission({ constraints: { maxAttempts: 1 } }));
    run.feed(stageFailed('codegen', 1, EDIT_INVALID));
    expect(run.state.status).toBe('failed');
    expect(run.state.failure?.error).toEqual(EDIT_INVALID);
    expect(run.requests('feedback')).toEqual([]);
  });

  it('falls back to the raw failure when the feedback processor fails', () => {
    const run = toGenerating();
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    const out = run.feed(stageFailed('feedback', 1, { code: 'MODEL_API_ERROR', message: 'ollama answered 500', retryable: true }));
    expect(run.state).toMatchObject({ status: 'generating', attempt: 2 });
    expect(out.map((o) => o.type)).toEqual([eventTypes.taskStage, eventTypes.taskStage, eventTypes.codegenRequested]);
    expect(dataOf(out[0])).toMatchObject({ stage: 'feedback', status: 'failed', attempt: 1 });
    const expected = `The previous attempt failed: 3 passed, 2 failed.\n${assessmentOf(1).outputExcerpt}`;
    expect(dataOf(out[2])).toMatchObject({ attempt: 2, feedback: expected });
    expect(run.state.attempts[0]?.feedback).toBe(expected);
    expectWellFormed(run);
  });

  it('falls back to the codegen error message when feedback fails after a codegen failure', () => {
    const run = toGenerating();
    run.feed(stageFailed('codegen', 1, EDIT_INVALID));
    const out = run.feed(stageFailed('feedback', 1, { code: 'INTERNAL', message: 'feedback crashed', retryable: false }));
    expect(dataOf(out.at(-1))).toMatchObject({ attempt: 2, feedback: 'feedback crashed' });
    // The next failure's feedback request lists the fallback as previous feedback.
    run.feed(codegenDone(2));
    const again = run.feed(assessed(assessmentOf(2)));
    expect(dataOf(again.find((o) => o.type === eventTypes.feedbackRequested))).toMatchObject({
      previous: [{ attempt: 1, feedback: 'feedback crashed', signature: '' }],
    });
    expectWellFormed(run);
  });

  it.each([
    ['context', (run: Run) => run],
    ['assessment', (run: Run) => (run.feed(contextDone()), run.feed(codegenDone(1)), run)],
    ['delivery', (run: Run) => (run.feed(contextDone()), run.feed(codegenDone(1)), run.feed(assessed(passing(1))), run)],
  ] as const)('fails the task when %s fails', (stage, prepare) => {
    const run = prepare(new Run());
    const attempt = run.state.attempt;
    const error: ErrorInfo = { code: 'GIT_FAILED', message: `${stage} could not run git`, retryable: false };
    const out = run.feed(stageFailed(stage, attempt, error));
    expect(run.state.status).toBe('failed');
    expect(run.state.failure).toEqual({ reason: `${stage} failed: ${stage} could not run git`, stage, error });
    // With attempts behind it (not after a failed context), the ending is also learned from.
    const learned = stage !== 'context';
    expect(out.map((o) => o.type)).toEqual([eventTypes.taskStage, ...(learned ? [eventTypes.learningRequested] : []), eventTypes.taskFailed]);
    if (learned) expect(dataOf(out[1])).toMatchObject({ outcome: 'failed', firstAttemptPassed: stage === 'delivery' });
    const last = out.at(-1);
    expect(dataOf(out[0])).toMatchObject({ stage, status: 'failed', attempt });
    expect(last?.withReport).toBe(true);
    expect(dataOf(last)).toMatchObject({ reason: `${stage} failed: ${stage} could not run git`, error, reportRef: reportRefFor(ID) });
    run.ignored(stageFailed(stage, attempt, error));
    expectWellFormed(run);
  });

  it('adds up tokens from completed and failed generations', () => {
    const run = toGenerating(undefined, { maxAttempts: 4, qualityThreshold: 0.8 });
    run.feed(stageFailed('codegen', 1, EDIT_INVALID, { tokens: { prompt: 1_000, completion: 200 } }));
    run.feed(feedbackDone(1));
    run.feed(codegenDone(2, { prompt: 1_100, completion: 150 }));
    run.feed(assessed(assessmentOf(2)));
    run.feed(feedbackDone(2));
    // A failure without token counts adds nothing.
    run.feed(stageFailed('codegen', 3, EDIT_INVALID));
    expect(run.state.tokens).toEqual({ prompt: 2_100, completion: 350 });
    run.feed(feedbackDone(3));
    run.feed(codegenDone(4, { prompt: 1_200, completion: 100 }));
    run.feed(assessed(passing(4)));
    const out = run.feed(delivered(4));
    expect(dataOf(out.at(-1))).toMatchObject({ tokens: { prompt: 3_300, completion: 450 }, attempts: 4, attemptScores: [0.4, 1] });
    expect(run.state.attempts.map((a) => a.tokens)).toEqual([
      { prompt: 1_000, completion: 200 },
      { prompt: 1_100, completion: 150 },
      undefined,
      { prompt: 1_200, completion: 100 },
    ]);
    expectWellFormed(run);
  });
});

describe('renderReport', () => {
  const completedRun = (model: ModelInfo) => {
    const run = toGenerating();
    run.feed(codegenDone(1, { prompt: 100, completion: 20 }, model));
    run.feed(assessed(assessmentOf(1, { failingTests: ['median | even', 'median of two values'] })));
    run.feed(feedbackDone(1, 'Average the two middle values', 'sig'));
    run.feed(debugDone(1, 'median() indexes the unsorted input'));
    run.feed(codegenDone(2, { prompt: 150, completion: 30 }, model));
    run.feed(assessed({ ...passing(2), isolated: false }));
    run.feed(delivered(2));
    return run;
  };

  it('names the branch, the attempts, the files and the feedback of a completed task', () => {
    const report = renderReport(completedRun(MODEL).state);
    expect(report.startsWith('# patchbay report: Fix the failing median tests in src/stats.js\n')).toBe(true);
    expect(report).toContain(`| Task | \`${ID}\` |`);
    expect(report).toContain('| Status | **completed** |');
    expect(report).toContain(`| Branch | \`patchbay/${ID}\` at \`${COMMIT.slice(0, 12)}\` |`);
    expect(report).toContain(`| Repository | /repos/demo @ \`${BASE.slice(0, 12)}\` |`);
    expect(report).toContain('| Model | qwen2.5-coder:32b (ollama) |');
    expect(report).not.toContain('REPLAY');
    expect(report).toContain('| Attempts | 2 of 3 |');
    expect(report).toContain('| Tokens | prompt 250, completion 50 |');
    expect(report).toContain('| Duration | 80.0 s |');
    expect(report).toContain('| # | score | tests | files | outcome |');
    // A pipe inside a test name would break the table: it is escaped.
    expect(report).toContain('| 1 | 0.40 | 3 passed, 2 failed | src/stats.js | failed: median \\| even; median of two values |');
    expect(report).toContain('| 2 | 1.00 | 5 passed, 0 failed | src/stats.js | passed |');
    expect(report).toContain('## Files changed\n\n- `src/stats.js` (modify, +3 −2)');
    expect(report).toContain('- correctness: 1.00');
    expect(report).toContain('_Tests and analysers ran without network isolation on this machine._');
    expect(report).toContain('## Feedback between attempts\n\nAfter attempt 1:\n\n> Average the two middle values');
    expect(report).toContain('## Debugger hypotheses\n\n- attempt 1: median() indexes the unsorted input');
    expect(report).not.toContain('**Failed:**');
    expect(report).not.toContain('Last test output');
  });

  it('says REPLAY when the answers came from recorded files', () => {
    const report = renderReport(completedRun({ provider: 'replay', name: 'demo-median', replay: true }).state);
    expect(report).toContain('| Model | demo-median — REPLAY: recorded answers, not a live model |');
  });

  it('shows the reason and the last test output of a failed task', () => {
    const run = toGenerating(submission({ constraints: { maxAttempts: 1 } }));
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    const report = renderReport(run.state);
    expect(report).toContain('| Status | **failed** |');
    expect(report).toContain('**Failed:** 3 passed, 2 failed; score 0.40 below 0.8 after 1 attempts');
    expect(report).toContain(`## Last test output\n\n\`\`\`\n${assessmentOf(1).outputExcerpt}\n\`\`\``);
    expect(report).not.toContain('## Files changed');
    expect(report).not.toMatch(/\| Branch \|/);
  });

  it('shows a stage error as the outcome of its attempt and says when no model was called', () => {
    const run = toGenerating(submission({ constraints: { maxAttempts: 1 } }));
    run.feed(stageFailed('codegen', 1, EDIT_INVALID));
    const failed = renderReport(run.state);
    expect(failed).toContain(`**Failed:** codegen failed: ${EDIT_INVALID.message}`);
    expect(failed).not.toContain('Last test output');

    const escalated = renderReport(startTask(submission({ title: 'Redesign the entire API architecture', description: undefined }), DEFAULTS, T0));
    expect(escalated).toContain('| Status | **escalated** |');
    expect(escalated).toContain('| Model | none called |');
    expect(escalated).toMatch(/\| Route \| pm \(confidence 0\.\d\d; planning or architecture request/);
    expect(escalated).toContain('| Attempts | 0 of 3 |');
    expect(escalated).not.toContain('## Attempts');
  });

  it('shows the codegen error in the attempts table', () => {
    const run = toGenerating();
    run.feed(stageFailed('codegen', 1, EDIT_INVALID));
    expect(renderReport(run.state)).toContain(`| 1 | — | — | — | EDIT_INVALID: ${EDIT_INVALID.message} |`);
  });
});

/* ------------------------------------------------------------------------------------------
 * Task-level retry policy: reasons, limits, early stop with a change of strategy, cancel.
 * ---------------------------------------------------------------------------------------- */

const feedbackWith = (attempt: number, signature: string, items: Array<{ kind: 'ERROR'; message: string; location?: string }> = []): ResultInput => ({
  type: eventTypes.feedbackCompleted,
  data: { taskId: ID, attempt, feedback: `Attempt ${attempt} failed`, items, repeated: false, signature },
});

/** Feeds one failed, assessed attempt and its feedback; returns what the feedback step published. */
function failOnce(run: Run, attempt: number, signature: string, files = 'src/stats.js'): Outgoing[] {
  run.feed({ ...codegenDone(attempt), data: { ...(codegenDone(attempt).data as object), files: [{ path: files, action: 'modify', linesAdded: 1, linesRemoved: 1 }] } } as ResultInput);
  run.feed(assessed(assessmentOf(attempt)));
  return run.feed(feedbackWith(attempt, signature, [{ kind: 'ERROR', message: 'x', location: 'test/stats.test.js:12' }]));
}

describe('advance: early stop and change of strategy', () => {
  it('asks for whole files after two attempts fail the same way, then stops when it happens again', () => {
    const run = toGenerating(undefined, { maxAttempts: 6, qualityThreshold: 0.8 });
    failOnce(run, 1, 'tests:median');
    expect(dataOf(run.requests('codegen').at(-1))).not.toHaveProperty('strategy');
    // The debugger's hypothesis about attempt 2 arrives before its feedback.
    run.feed(codegenDone(2));
    run.feed(assessed(assessmentOf(2)));
    run.feed(debugDone(2, 'median() indexes the unsorted input'));
    const before = structuredClone(run.state);
    const out = run.feed(feedbackWith(2, 'tests:median', [{ kind: 'ERROR', message: 'x', location: 'test/stats.test.js:12' }]));
    expect(retryStats(before, run.state)).toEqual([{ kind: 'retry', reason: 'QUALITY_THRESHOLD' }, { kind: 'strategy_change', to: 'whole-file' }]);
    expect(dataOf(out[0])).toMatchObject({ stage: 'feedback', status: 'completed', summary: expect.stringContaining('same failure as attempt 1: switching to whole-file edits') });
    expect(dataOf(out.find((o) => o.type === eventTypes.codegenRequested))).toMatchObject({
      attempt: 3,
      strategy: 'whole-file',
      focusFiles: ['src/stats.js', 'test/stats.test.js'],
      hypothesis: 'median() indexes the unsorted input',
      feedback: 'Attempt 2 failed',
    });
    expect(run.state.attempts.find((a) => a.attempt === 3)).toMatchObject({ retryReason: 'QUALITY_THRESHOLD', strategy: 'whole-file' });

    // Attempt 3 fails differently: go on, still with whole files.
    failOnce(run, 3, 'tests:mean');
    expect(dataOf(run.requests('codegen').at(-1))).toMatchObject({ attempt: 4, strategy: 'whole-file' });
    expect(dataOf(run.requests('codegen').at(-1))).not.toHaveProperty('focusFiles');

    // Attempt 4 fails like attempt 3, after the change of strategy: stop, attempts left or not.
    const stop = structuredClone(run.state);
    const end = failOnce(run, 4, 'tests:mean');
    expect(run.state.status).toBe('failed');
    expect(run.state.failure?.reason).toBe('stopped early: attempts 3 and 4 failed the same way (tests:mean), even after switching to whole-file edits');
    expect(end.at(-1)?.type).toBe(eventTypes.taskFailed);
    expect(dataOf(end.at(-1))).toMatchObject({ attempts: 4, lastAssessment: { attempt: 4 } });
    expect(retryStats(stop, run.state)).toEqual([{ kind: 'early_stop' }, { kind: 'outcome', reason: 'QUALITY_THRESHOLD', outcome: 'failed' }]);
    expect(run.requests('codegen')).toHaveLength(4);
    expect(renderReport(run.state)).toContain('| 3 | qwen2.5-coder:32b | 100 | 20 | 1.5 s | QUALITY_THRESHOLD | whole files |');
    expectWellFormed(run);
  });

  it('treats two malformed answers in a row as the same failure (VALIDATION_FAILED) and switches to whole files', () => {
    const run = toGenerating(undefined, { maxAttempts: 5, qualityThreshold: 0.8 });
    run.feed(stageFailed('codegen', 1, EDIT_INVALID));
    run.feed(feedbackWith(1, 'error:EDIT_INVALID'));
    run.feed(stageFailed('codegen', 2, EDIT_INVALID));
    const out = run.feed(feedbackWith(2, 'error:EDIT_INVALID'));
    const request = dataOf(out.find((o) => o.type === eventTypes.codegenRequested));
    expect(request).toMatchObject({ attempt: 3, strategy: 'whole-file' });
    // No files were changed and the feedback points nowhere: nothing to single out.
    expect(request).not.toHaveProperty('focusFiles');
    expect(run.state.attempts.map((a) => a.retryReason)).toEqual([undefined, 'VALIDATION_FAILED', 'VALIDATION_FAILED']);
    expectWellFormed(run);
  });

  it('never switches or stops early when different things fail, or when early stop is off', () => {
    const differing = toGenerating(undefined, { maxAttempts: 3, qualityThreshold: 0.8 });
    failOnce(differing, 1, 'tests:a');
    failOnce(differing, 2, 'tests:b');
    expect(differing.requests('codegen').map((o) => dataOf(o)['strategy'])).toEqual([undefined, undefined, undefined]);

    const off = toGenerating(undefined, { maxAttempts: 4, qualityThreshold: 0.8, policy: { validationMaxAttempts: 3, qualityMaxAttempts: 20, earlyStop: false } });
    failOnce(off, 1, 'tests:a');
    failOnce(off, 2, 'tests:a');
    failOnce(off, 3, 'tests:a');
    expect(off.state.status).toBe('generating');
    expect(off.requests('codegen').map((o) => dataOf(o)['strategy'])).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('advance: per-reason task-level limits', () => {
  it('fails after VALIDATION_FAILED.maxAttempts unusable answers even with attempts left', () => {
    const policy = { validationMaxAttempts: 2, qualityMaxAttempts: 20, earlyStop: true };
    const run = toGenerating(undefined, { maxAttempts: 5, qualityThreshold: 0.8, policy });
    expect(run.state.policy).toEqual(policy);
    run.feed(stageFailed('codegen', 1, EDIT_INVALID));
    run.feed(feedbackWith(1, 'error:EDIT_INVALID:1'));
    run.feed(stageFailed('codegen', 2, EDIT_INVALID));
    expect(run.state.status).toBe('failed');
    expect(run.state.failure?.reason).toBe(`codegen failed: the model's answer could not be applied in 2 attempts (VALIDATION_FAILED allows 2): ${EDIT_INVALID.message}`);
    expectWellFormed(run);
  });

  it('fails after QUALITY_THRESHOLD.maxAttempts attempts below the threshold', () => {
    const run = toGenerating(undefined, { maxAttempts: 5, qualityThreshold: 0.8, policy: { validationMaxAttempts: 3, qualityMaxAttempts: 2, earlyStop: true } });
    failOnce(run, 1, 'tests:a');
    run.feed(codegenDone(2));
    run.feed(assessed(assessmentOf(2)));
    expect(run.state.status).toBe('failed');
    expect(run.state.failure?.reason).toBe('3 passed, 2 failed; score 0.40 below 0.8 after 2 attempts (QUALITY_THRESHOLD allows 2)');
  });

  it('fails the task when the model endpoint kept failing: codegen already retried those', () => {
    const run = toGenerating();
    const gaveUp: ErrorInfo = { code: 'RATE_LIMITED', message: 'model endpoint is rate limiting (gave up after 5 failed calls)', retryable: false };
    run.feed(stageFailed('codegen', 1, gaveUp));
    expect(run.state.status).toBe('failed');
    expect(run.state.failure).toMatchObject({ stage: 'codegen', error: gaveUp });
    // A transient code marked retryable is not a reason for a new attempt either.
    const other = toGenerating();
    other.feed(stageFailed('codegen', 1, { code: 'MODEL_API_ERROR', message: 'answered 500', retryable: true }));
    expect(other.state.status).toBe('failed');
    expect(other.requests('feedback')).toEqual([]);
  });

  it('uses the default policy for tasks stored before policies existed', () => {
    const run = toGenerating();
    const { policy: _policy, ...old } = run.state;
    const next = advance(old, stageFailed('codegen', 1, EDIT_INVALID), at(1_000));
    expect(next?.status).toBe('improving');
  });
});

describe('cancelTask', () => {
  it('ends a running task with task.failed (CANCELLED) and ignores every later result', () => {
    const run = toGenerating();
    run.feed(codegenDone(1));
    const next = cancelTask(run.state, { reason: 'wrong repository', requestedBy: 'alice' }, at(500));
    expect(next).not.toBeNull();
    if (!next) return;
    expect(next.status).toBe('failed');
    const failed = next.outbox.at(-1);
    expect(failed?.type).toBe(eventTypes.taskFailed);
    expect(failed?.withReport).toBe(true);
    expect(failed?.data).toMatchObject({
      status: 'failed',
      reason: 'cancelled by alice: wrong repository',
      error: { code: 'CANCELLED', message: 'cancelled by alice: wrong repository', retryable: false },
      attempts: 1,
    });
    expect(eventSchemas[eventTypes.taskFailed].safeParse(failed?.data).success).toBe(true);
    expect(advance(next, assessed(passing(1)), at(600))).toBeNull();
    expect(advance(next, stageFailed('codegen', 1, { code: 'CANCELLED', message: 'aborted', retryable: false }), at(600))).toBeNull();
    expect(cancelTask(next, {}, at(700))).toBeNull();
    expect(renderReport(next)).toContain('**Failed:** cancelled by alice: wrong repository');
  });

  it('counts the attempt in flight, shown as cancelled in the report', () => {
    const run = toGenerating();
    const next = cancelTask(run.state, {}, at(100));
    expect(next?.attempts).toEqual([{ attempt: 1, files: [], error: { code: 'CANCELLED', message: 'cancelled', retryable: false } }]);
    expect(next?.outbox.at(-1)?.data).toMatchObject({ attempts: 1, reason: 'cancelled' });
    expect(renderReport(next as TaskState)).toContain('| 1 | — | — | — | CANCELLED: cancelled |');
  });

  it('does nothing to a task that has already ended', () => {
    const run = toGenerating(submission({ constraints: { maxAttempts: 1 } }));
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    expect(cancelTask(run.state, { reason: 'late' }, at(900))).toBeNull();
  });
});

describe('lessons and thresholds from the task', () => {
  it('puts the lessons read at intake into every codegen request, and names them when the task ends', () => {
    const lessons = { text: '- eslint/no-eval: eval can be harmful. (seen at src/a.js:3)', keys: ['rule:eslint/no-eval'] };
    const run = new Run(submission({ lessons }));
    run.feed(contextDone());
    expect(dataOf(run.requests('codegen').at(-1))).toMatchObject({ attempt: 1, lessons: lessons.text });
    run.feed(codegenDone(1));
    run.feed(assessed(assessmentOf(1)));
    run.feed(feedbackDone(1));
    expect(dataOf(run.requests('codegen').at(-1))).toMatchObject({ attempt: 2, lessons: lessons.text });
    run.feed(codegenDone(2));
    run.feed(assessed(passing(2)));
    run.feed(delivered(2));
    expect(run.learning().map((o) => o.data)).toEqual([
      {
        taskId: ID,
        attempt: 2,
        repo: { url: '/repos/demo' },
        outcome: 'completed',
        firstAttemptPassed: false,
        lessonKeys: ['rule:eslint/no-eval'],
        attempts: [
          { attempt: 1, passed: false, signature: 'sig-1' },
          { attempt: 2, passed: true },
        ],
      },
    ]);
    expectWellFormed(run);
  });

  it("tells the assessor when the threshold is the task's own", () => {
    const own = new Run(submission({ constraints: { qualityThreshold: 0.9 } }));
    own.feed(contextDone());
    own.feed(codegenDone(1));
    expect(dataOf(own.requests('assessment').at(-1))).toMatchObject({ qualityThreshold: 0.9, thresholdFromTask: true });
    const byDefault = toGenerating();
    byDefault.feed(codegenDone(1));
    expect(dataOf(byDefault.requests('assessment').at(-1))).not.toHaveProperty('thresholdFromTask');
  });
});

describe("reopenTask: a person's review of a completed task", () => {
  function completed(): Run {
    const run = toGenerating();
    run.feed(codegenDone(1));
    run.feed(assessed(passing(1)));
    run.feed(delivered(1));
    return run;
  }

  it('re-opens a completed task: review feedback, context at the delivered commit, then a new attempt on it', () => {
    const run = completed();
    const before = run.state.seq;
    const reopened = reopenTask(run.state, { text: 'Use the logger instead of console.log', author: 'ana' }, at(100));
    expect(reopened).not.toBeNull();
    run.state = reopened as TaskState;
    expect(run.state).toMatchObject({ status: 'improving', attempt: 1, maxAttempts: 4, attemptBudget: 3, baseCommit: COMMIT, review: { text: 'Use the logger instead of console.log', author: 'ana' } });
    expect(run.state.finishedAt).toBeUndefined();
    const out = [...run.state.outbox];
    run.state = clearOutbox(run.state, out.map((o) => o.msgId)) as TaskState;
    run.published.push(...out);
    expect(out.map((o) => o.type)).toEqual([eventTypes.taskReopened, eventTypes.taskStage, eventTypes.feedbackRequested]);
    expect(dataOf(out[0])).toEqual({ seq: before + 1, attempt: 2, text: 'Use the logger instead of console.log', author: 'ana', branch: branchFor(ID), fromCommit: COMMIT, maxAttempts: 4 });
    expect(dataOf(out[2])).toMatchObject({ attempt: 1, review: { text: 'Use the logger instead of console.log', author: 'ana' }, repo: { url: '/repos/demo' } });

    const afterFeedback = run.feed({ type: eventTypes.feedbackCompleted, data: { taskId: ID, attempt: 1, feedback: 'A reviewer asks: use the logger', items: [{ kind: 'USER', message: 'use the logger' }], repeated: false, signature: 'review:abc' } });
    expect(run.state.status).toBe('context');
    const contextRequest = afterFeedback.find((o) => o.type === eventTypes.contextRequested);
    expect(dataOf(contextRequest)).toMatchObject({ attempt: 1, repo: { url: '/repos/demo', ref: COMMIT } });

    const NEXT = 'b'.repeat(40);
    const ctx = contextDone() as { type: typeof eventTypes.contextCompleted; data: { baseCommit: string; attempt: number } };
    run.feed({ ...ctx, data: { ...ctx.data, baseCommit: COMMIT, attempt: 1 } } as ResultInput);
    expect(run.state).toMatchObject({ status: 'generating', attempt: 2, baseCommit: COMMIT });
    expect(run.state.review).toBeUndefined();
    expect(dataOf(run.requests('codegen').at(-1))).toMatchObject({ attempt: 2, baseCommit: COMMIT, feedback: 'A reviewer asks: use the logger' });

    run.feed(codegenDone(2));
    run.feed(assessed(passing(2)));
    expect(dataOf(run.requests('delivery').at(-1))).toMatchObject({ attempt: 2, baseCommit: COMMIT, branch: branchFor(ID) });
    run.feed({ type: eventTypes.deliveryCompleted, data: { taskId: ID, attempt: 2, branch: branchFor(ID), commit: NEXT } });
    expect(run.state).toMatchObject({ status: 'completed', commit: NEXT, attempt: 2 });
    const terminals = run.events().filter((o) => o.type === eventTypes.taskCompleted);
    expect(terminals).toHaveLength(2);
    expect(dataOf(terminals[1])).toMatchObject({ commit: NEXT, baseCommit: COMMIT, attempts: 2 });
    expect(run.learning().map((o) => o.msgId)).toEqual([`${ID}.learning.1.completed`, `${ID}.learning.2.completed`]);
    expectWellFormed(run);
  });

  it('leaves a task that is not completed alone', () => {
    const running = toGenerating();
    expect(reopenTask(running.state, { text: 'more' }, at(5))).toBeNull();
    const failed = toGenerating(submission({ constraints: { maxAttempts: 1 } }));
    failed.feed(codegenDone(1));
    failed.feed(assessed(assessmentOf(1)));
    expect(failed.state.status).toBe('failed');
    expect(reopenTask(failed.state, { text: 'more' }, at(50))).toBeNull();
  });
});
