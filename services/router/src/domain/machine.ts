import {
  type Assessment,
  type AssessmentCompleted,
  type CiFailure,
  type CodegenCompleted,
  type Constraints,
  type ContextCompleted,
  type DebugCompleted,
  type DeliveryCompleted,
  type EventType,
  type FeedbackCompleted,
  type GenerationMode,
  type RepoRef,
  type Stage,
  type StageFailed,
  type TaskCancelRequested,
  type TaskSubmitted,
  eventTypes,
  subjects,
} from '@patchbay/contracts';
import { routeRequest } from './routing.js';
import { type AttemptRecord, TERMINAL_STATUSES, type TaskPolicy, type TaskState } from './task-state.js';

/**
 * The task's flow in one place: a pure state machine. Given the current state and an
 * incoming result it returns the next state, with the messages to send in its outbox.
 * Stale or duplicate inputs (a redelivery, an old attempt) return null and change nothing.
 */

export interface Defaults {
  maxAttempts: number;
  qualityThreshold: number;
  /** Task-level retry policy (config `retry`); DEFAULT_POLICY when absent. */
  policy?: TaskPolicy | undefined;
}

export const DEFAULT_POLICY: TaskPolicy = { validationMaxAttempts: 3, qualityMaxAttempts: 20, earlyStop: true };

/** Why the next attempt is made. */
type RetryReason = NonNullable<AttemptRecord['retryReason']>;

interface NextAttempt {
  reason: RetryReason;
  /** Only with whole-file edits: what to rewrite and what the debugger thinks. */
  wholeFile?: { focusFiles: string[]; hypothesis?: string | undefined };
}

export interface NewTask {
  id: string;
  origin: 'submit' | 'ci';
  title: string;
  description?: string | undefined;
  repo: RepoRef;
  mode?: GenerationMode | undefined;
  model?: string | undefined;
  constraints?: Constraints | undefined;
  traceparent?: string | undefined;
  /** Lessons from earlier tasks in the repository, read at intake. */
  lessons?: { text: string; keys: string[] } | undefined;
}

export type ResultInput =
  | { type: typeof eventTypes.contextCompleted; data: ContextCompleted }
  | { type: typeof eventTypes.codegenCompleted; data: CodegenCompleted }
  | { type: typeof eventTypes.assessmentCompleted; data: AssessmentCompleted }
  | { type: typeof eventTypes.feedbackCompleted; data: FeedbackCompleted }
  | { type: typeof eventTypes.debugCompleted; data: DebugCompleted }
  | { type: typeof eventTypes.deliveryCompleted; data: DeliveryCompleted }
  | { type: typeof eventTypes.stageFailed; data: StageFailed };

export const branchFor = (taskId: string) => `patchbay/${taskId}`;
export const reportRefFor = (taskId: string) => `reports/${taskId}.md`;

/** A task built from a CI pipeline's failure report: a bug fix with the failure as its description. */
export function taskFromCiFailure(id: string, failure: CiFailure, traceparent?: string): NewTask {
  const where = [failure.pipeline, failure.job].filter(Boolean).join(' / ');
  const lines = [
    `CI reported a failure${where ? ` in ${where}` : ''}${failure.repo.ref ? ` at ${failure.repo.ref}` : ''}.`,
    failure.runUrl ? `Run: ${failure.runUrl}` : '',
    failure.testCommand ? `Test command: ${failure.testCommand}` : '',
    failure.failingTests?.length ? `Failing tests:\n${failure.failingTests.map((t) => `- ${t}`).join('\n')}` : '',
    failure.log ? `Failing output (excerpt):\n${failure.log.slice(-6_000)}` : '',
  ];
  return {
    id,
    origin: 'ci',
    title: failure.title ?? `Fix the CI failure${where ? ` in ${where}` : ''}`,
    description: lines.filter(Boolean).join('\n\n'),
    repo: failure.repo,
    mode: 'BUG_FIXING',
    constraints: failure.constraints,
    traceparent,
  };
}

export function taskFromSubmission(id: string, submission: TaskSubmitted, traceparent?: string): NewTask {
  return { id, origin: 'submit', ...submission, traceparent };
}

class Draft {
  constructor(
    readonly state: TaskState,
    private readonly now: Date,
  ) {
    state.updatedAt = now.toISOString();
  }

  event(type: EventType, data: Record<string, unknown>, withReport = false): void {
    this.state.seq += 1;
    this.state.outbox.push({
      subject: subjects.taskEvents(this.state.id),
      type,
      data: { seq: this.state.seq, ...data },
      msgId: `${this.state.id}.event.${this.state.seq}`,
      ...(withReport ? { withReport } : {}),
    });
  }

  stage(stage: Stage, status: 'started' | 'completed' | 'failed', summary: string, attempt = this.state.attempt): void {
    this.event(eventTypes.taskStage, { stage, status, attempt, summary: summary.slice(0, 2_000) });
  }

  request(stage: Stage, type: EventType, data: Record<string, unknown>): void {
    const attempt = typeof data['attempt'] === 'number' ? data['attempt'] : 0;
    this.state.outbox.push({
      subject: subjects.workRequest(stage),
      type,
      data: { taskId: this.state.id, ...data },
      msgId: `${this.state.id}.${stage}.${attempt}.request`,
    });
  }

  current(): AttemptRecord {
    let record = this.state.attempts.find((a) => a.attempt === this.state.attempt);
    if (!record) {
      record = { attempt: this.state.attempt, files: [] };
      this.state.attempts.push(record);
    }
    return record;
  }

  finish(): void {
    this.state.finishedAt = this.now.toISOString();
  }

  durationMs(): number {
    return this.now.getTime() - Date.parse(this.state.createdAt);
  }
}

function requestCodegen(d: Draft, feedback?: string, next?: NextAttempt): void {
  const s = d.state;
  // Once whole files were asked for, later attempts keep asking for them.
  const wholeFile = next?.wholeFile ?? (s.attempts.some((a) => a.attempt < s.attempt && a.strategy === 'whole-file') ? { focusFiles: [] } : undefined);
  // The first attempt gets its record when it has something to record.
  if (next) d.current().retryReason = next.reason;
  if (wholeFile) d.current().strategy = 'whole-file';
  d.stage('codegen', 'started', `attempt ${s.attempt} of ${s.maxAttempts}${wholeFile ? ', asking for whole files' : ''}`);
  d.request('codegen', eventTypes.codegenRequested, {
    ...(wholeFile
      ? {
          strategy: 'whole-file',
          ...(wholeFile.focusFiles.length ? { focusFiles: wholeFile.focusFiles } : {}),
          ...(wholeFile.hypothesis ? { hypothesis: wholeFile.hypothesis.slice(0, 2_000) } : {}),
        }
      : {}),
    attempt: s.attempt,
    repo: s.repo,
    baseCommit: s.baseCommit,
    contextRef: s.contextRef,
    mode: s.mode,
    title: s.title,
    ...(s.description !== undefined ? { description: s.description } : {}),
    ...(feedback !== undefined ? { feedback } : {}),
    ...(s.model !== undefined ? { model: s.model } : {}),
    ...(s.lessons ? { lessons: s.lessons.text } : {}),
  });
}

/** After a review: the next attempt builds on the delivered commit, so the context engine reads it first. */
function contextForReview(d: Draft, feedback: string): void {
  const s = d.state;
  if (s.review) s.review.feedback = feedback;
  s.status = 'context';
  d.stage('context', 'started', `analysing the delivered commit ${s.commit?.slice(0, 12) ?? ''}`);
  d.request('context', eventTypes.contextRequested, {
    attempt: s.attempt,
    repo: { url: s.repo.url, ...(s.commit ? { ref: s.commit } : {}) },
    title: s.title,
    ...(s.description !== undefined ? { description: s.description } : {}),
  });
}

/** Tells the feedback processor how the task ended, so it learns what recurred and what passed. */
function learn(d: Draft, outcome: 'completed' | 'failed'): void {
  const s = d.state;
  const attempts = s.attempts.map((a) => ({
    attempt: a.attempt,
    passed: a.assessment?.passed === true,
    ...(a.signature ? { signature: a.signature } : {}),
  }));
  s.outbox.push({
    subject: subjects.workRequest('feedback'),
    type: eventTypes.learningRequested,
    data: {
      taskId: s.id,
      attempt: s.attempt,
      repo: s.repo,
      outcome,
      firstAttemptPassed: attempts.find((a) => a.attempt === (s.attempts[0]?.attempt ?? 1))?.passed ?? false,
      lessonKeys: s.lessons?.keys ?? [],
      attempts,
    },
    msgId: `${s.id}.learning.${s.attempt}.${outcome}`,
  });
}

function fail(d: Draft, reason: string, stage?: Stage, error?: StageFailed['error']): void {
  const s = d.state;
  s.status = 'failed';
  s.failure = { reason, ...(stage ? { stage } : {}), ...(error ? { error } : {}) };
  d.finish();
  const lastAssessment = [...s.attempts].reverse().find((a) => a.assessment)?.assessment;
  if (s.attempts.length > 0) learn(d, 'failed');
  d.event(
    eventTypes.taskFailed,
    {
      status: 'failed',
      reason,
      ...(error ? { error } : {}),
      attempts: s.attempts.length,
      ...(lastAssessment ? { lastAssessment } : {}),
      tokens: s.tokens,
      durationMs: d.durationMs(),
      ...(s.modelInfo ? { model: s.modelInfo } : {}),
      reportRef: reportRefFor(s.id),
    },
    true,
  );
}

/** Ask the feedback processor (and, on failing tests, the debugger) before the next attempt. */
function improve(d: Draft, assessment?: Assessment, error?: StageFailed['error']): void {
  const s = d.state;
  s.status = 'improving';
  const previous = s.attempts.flatMap((a) =>
    a.feedback ? [{ attempt: a.attempt, feedback: a.feedback, signature: a.signature ?? '' }] : [],
  );
  d.stage('feedback', 'started', `turning attempt ${s.attempt}'s failure into feedback`);
  d.request('feedback', eventTypes.feedbackRequested, {
    attempt: s.attempt,
    title: s.title,
    ...(assessment ? { assessment } : {}),
    ...(error ? { error } : {}),
    previous,
    repo: s.repo,
  });
  const diffRef = d.current().diffRef;
  if (assessment && assessment.failingTests.length + (assessment.tests?.failed ?? 0) > 0 && diffRef) {
    d.stage('debug', 'started', `forming a hypothesis for attempt ${s.attempt}'s failing tests`);
    d.request('debug', eventTypes.debugRequested, {
      attempt: s.attempt,
      repo: s.repo,
      baseCommit: s.baseCommit,
      diffRef,
      assessment,
    });
  }
}

function describeTests(a: Assessment): string {
  if (!a.tests) return 'no test command';
  if (a.tests.timedOut) return 'tests timed out';
  if (a.tests.passed !== undefined || a.tests.failed !== undefined) {
    return `${a.tests.passed ?? 0} passed, ${a.tests.failed ?? 0} failed`;
  }
  return a.tests.exitCode === 0 ? 'tests passed' : `tests exited ${String(a.tests.exitCode)}`;
}

/** A new task: routed, then either escalated or sent to the context engine. */
export function startTask(task: NewTask, defaults: Defaults, now: Date): TaskState {
  const text = [task.title, task.description ?? ''].join('\n');
  const route = routeRequest(text, {
    ...(task.mode ? { mode: task.mode } : {}),
    forceCodegen: task.origin === 'ci',
  });
  const state: TaskState = {
    id: task.id,
    origin: task.origin,
    title: task.title,
    ...(task.description !== undefined ? { description: task.description } : {}),
    repo: task.repo,
    ...(task.model !== undefined ? { model: task.model } : {}),
    mode: route.mode,
    route,
    maxAttempts: task.constraints?.maxAttempts ?? defaults.maxAttempts,
    qualityThreshold: task.constraints?.qualityThreshold ?? defaults.qualityThreshold,
    policy: defaults.policy ?? DEFAULT_POLICY,
    status: 'context',
    attempt: 0,
    attempts: [],
    tokens: { prompt: 0, completion: 0 },
    ...(task.traceparent ? { traceparent: task.traceparent } : {}),
    ...(task.constraints?.qualityThreshold !== undefined ? { thresholdFromTask: true } : {}),
    ...(task.lessons ? { lessons: task.lessons } : {}),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    seq: 0,
    outbox: [],
  };
  const d = new Draft(state, now);
  if (route.agent !== 'codegen') {
    state.status = 'escalated';
    d.finish();
    const escalation = {
      taskId: state.id,
      to: route.agent,
      title: state.title,
      ...(state.description !== undefined ? { description: state.description } : {}),
      repo: state.repo,
      confidence: route.confidence,
      reason: route.reason,
      matched: route.matched[route.agent],
    };
    // The hand-off goes out first: whoever sees the task escalated finds the escalation sent.
    state.outbox.push({
      subject: subjects.escalation(route.agent),
      type: eventTypes.taskEscalated,
      data: { seq: state.seq + 1, ...escalation },
      msgId: `${state.id}.escalation`,
    });
    d.event(eventTypes.taskEscalated, escalation, true);
    return state;
  }
  d.event(eventTypes.taskAccepted, {
    title: state.title,
    repo: state.repo,
    mode: state.mode,
    route,
    maxAttempts: state.maxAttempts,
    qualityThreshold: state.qualityThreshold,
    origin: state.origin,
  });
  d.stage('context', 'started', 'analysing the repository');
  d.request('context', eventTypes.contextRequested, {
    attempt: 0,
    repo: state.repo,
    title: state.title,
    ...(state.description !== undefined ? { description: state.description } : {}),
  });
  return state;
}

/** The next state for a stage result, or null when the result is stale or a duplicate. */
export function advance(current: TaskState, input: ResultInput, now: Date): TaskState | null {
  if (TERMINAL_STATUSES.includes(current.status)) return null;
  const state: TaskState = structuredClone(current);
  const d = new Draft(state, now);

  switch (input.type) {
    case eventTypes.contextCompleted: {
      if (state.status !== 'context') return null;
      const { summary } = input.data;
      state.baseCommit = input.data.baseCommit;
      state.contextRef = input.data.contextRef;
      if (summary.testCommand !== undefined) state.testCommand = summary.testCommand;
      const langs = Object.entries(summary.languages)
        .sort((a, b) => b[1] - a[1])
        .map(([l, n]) => `${l} ${n}`)
        .join(', ');
      d.stage('context', 'completed', `${summary.fileCount} files (${langs || 'no code'}); tests: ${summary.testCommand ?? 'none found'}`);
      state.status = 'generating';
      // 0 → 1 for a new task; after a re-opening, the attempt that addresses the review.
      state.attempt += 1;
      const review = state.review?.feedback;
      delete state.review;
      requestCodegen(d, review);
      return state;
    }
    case eventTypes.codegenCompleted: {
      if (state.status !== 'generating' || input.data.attempt !== state.attempt) return null;
      const record = d.current();
      record.diffRef = input.data.diffRef;
      record.files = input.data.files;
      record.tokens = input.data.tokens;
      record.model = input.data.model.name;
      record.modelMs = input.data.durationMs;
      state.tokens = {
        prompt: state.tokens.prompt + input.data.tokens.prompt,
        completion: state.tokens.completion + input.data.tokens.completion,
      };
      state.modelInfo = input.data.model;
      const files = input.data.files.map((f) => f.path).join(', ') || 'no files';
      d.stage('codegen', 'completed', `changed ${files} (${input.data.tokens.prompt + input.data.tokens.completion} tokens)`);
      state.status = 'assessing';
      d.stage('assessment', 'started', `running ${state.testCommand ?? 'checks'} on attempt ${state.attempt}`);
      d.request('assessment', eventTypes.assessmentRequested, {
        attempt: state.attempt,
        repo: state.repo,
        baseCommit: state.baseCommit,
        diffRef: input.data.diffRef,
        ...(state.testCommand !== undefined ? { testCommand: state.testCommand } : {}),
        qualityThreshold: state.qualityThreshold,
        ...(state.thresholdFromTask ? { thresholdFromTask: true } : {}),
      });
      return state;
    }
    case eventTypes.assessmentCompleted: {
      if (state.status !== 'assessing' || input.data.attempt !== state.attempt) return null;
      const { assessment } = input.data;
      d.current().assessment = assessment;
      d.stage(
        'assessment',
        'completed',
        `${assessment.passed ? 'passed' : 'did not pass'}: score ${assessment.score.toFixed(2)} (threshold ${assessment.threshold}); ${describeTests(assessment)}`,
      );
      d.event(eventTypes.taskAssessed, { assessment });
      if (assessment.passed) {
        state.status = 'delivering';
        const branch = branchFor(state.id);
        d.stage('delivery', 'started', `committing to ${branch}`);
        d.request('delivery', eventTypes.deliveryRequested, {
          attempt: state.attempt,
          repo: state.repo,
          baseCommit: state.baseCommit,
          diffRef: d.current().diffRef,
          branch,
          message: commitMessage(state, assessment),
          date: now.toISOString(),
        });
      } else {
        const below = state.attempts.filter((a) => a.assessment && !a.assessment.passed).length;
        const limit = policyOf(state).qualityMaxAttempts;
        if (state.attempt < state.maxAttempts && below < limit) {
          improve(d, assessment);
        } else {
          const why = state.attempt < state.maxAttempts ? ` (QUALITY_THRESHOLD allows ${limit})` : '';
          fail(d, `${describeTests(assessment)}; score ${assessment.score.toFixed(2)} below ${assessment.threshold} after ${state.attempt} attempts${why}`);
        }
      }
      return state;
    }
    case eventTypes.feedbackCompleted: {
      if (state.status !== 'improving' || input.data.attempt !== state.attempt) return null;
      if (state.review) {
        d.current().feedback = input.data.feedback;
        d.current().signature = input.data.signature;
        d.stage('feedback', 'completed', `review: ${input.data.feedback.split('\n')[0] ?? ''}`);
        contextForReview(d, input.data.feedback);
        return state;
      }
      const record = d.current();
      record.feedback = input.data.feedback;
      record.signature = input.data.signature;
      const reason: RetryReason = record.error ? 'VALIDATION_FAILED' : 'QUALITY_THRESHOLD';
      const previous = state.attempts.find((a) => a.attempt === state.attempt - 1);
      // "Two consecutive attempts fail the same way": the same failing tests, findings or error.
      const same = policyOf(state).earlyStop && previous?.signature !== undefined && previous.signature === input.data.signature;
      const switched = state.attempts.some((a) => a.strategy === 'whole-file');
      if (same && switched) {
        d.stage('feedback', 'completed', `repeated failure after the change of strategy: ${input.data.feedback.split('\n')[0] ?? ''}`);
        fail(
          d,
          `stopped early: attempts ${previous.attempt} and ${state.attempt} failed the same way (${input.data.signature.slice(0, 200)}), even after switching to whole-file edits`,
        );
        return state;
      }
      const summary = input.data.feedback.split('\n')[0] ?? '';
      d.stage('feedback', 'completed', same ? `same failure as attempt ${previous.attempt}: switching to whole-file edits; ${summary}` : `${input.data.repeated ? 'repeated failure: ' : ''}${summary}`);
      state.status = 'generating';
      state.attempt += 1;
      requestCodegen(d, input.data.feedback, {
        reason,
        ...(same ? { wholeFile: { focusFiles: focusFilesOf(record, previous, input.data.items), hypothesis: usableHypothesis(record) } } : {}),
      });
      return state;
    }
    case eventTypes.debugCompleted: {
      const record = state.attempts.find((a) => a.attempt === input.data.attempt);
      if (!record || record.hypothesis !== undefined) return null;
      record.hypothesis = input.data.hypothesis ?? '(no hypothesis)';
      d.stage('debug', 'completed', `${input.data.entries} debug log entries; ${record.hypothesis}`, input.data.attempt);
      return state;
    }
    case eventTypes.deliveryCompleted: {
      if (state.status !== 'delivering') return null;
      state.status = 'completed';
      state.branch = input.data.branch;
      state.commit = input.data.commit;
      d.finish();
      d.stage('delivery', 'completed', `${input.data.branch} at ${input.data.commit.slice(0, 12)}`);
      const final = d.current();
      const assessment = final.assessment;
      learn(d, 'completed');
      d.event(
        eventTypes.taskCompleted,
        {
          status: 'completed',
          branch: input.data.branch,
          commit: input.data.commit,
          baseCommit: state.baseCommit,
          attempts: state.attempt,
          score: assessment?.score ?? 0,
          scores: assessment?.scores ?? {},
          attemptScores: state.attempts.flatMap((a) => (a.assessment ? [a.assessment.score] : [])),
          filesChanged: final.files,
          tokens: state.tokens,
          durationMs: d.durationMs(),
          ...(state.modelInfo ? { model: state.modelInfo } : {}),
          reportRef: reportRefFor(state.id),
        },
        true,
      );
      return state;
    }
    case eventTypes.stageFailed: {
      const { stage, error, attempt } = input.data;
      const expected: Record<Stage, TaskState['status']> = {
        context: 'context',
        codegen: 'generating',
        assessment: 'assessing',
        feedback: 'improving',
        debug: state.status,
        delivery: 'delivering',
      };
      if (state.status !== expected[stage] || (stage !== 'context' && attempt !== state.attempt)) {
        if (stage !== 'debug') return null;
      }
      if (stage === 'debug') {
        // Like debug.completed: one outcome per attempt, so a redelivered failure changes nothing.
        const record = state.attempts.find((a) => a.attempt === attempt);
        if (!record || record.hypothesis !== undefined) return null;
        record.hypothesis = `(debugger failed: ${error.code})`;
      }
      d.stage(stage, 'failed', `${error.code}: ${error.message}`, attempt);
      if (stage === 'debug') return state;
      if (input.data.tokens) {
        state.tokens = {
          prompt: state.tokens.prompt + input.data.tokens.prompt,
          completion: state.tokens.completion + input.data.tokens.completion,
        };
        d.current().tokens = input.data.tokens;
      }
      if (input.data.model) {
        state.modelInfo = input.data.model;
        d.current().model = input.data.model.name;
      }
      if (stage === 'codegen' && error.retryable && error.code === 'EDIT_INVALID') {
        // VALIDATION_FAILED: a new attempt with the error as feedback, within its own limit.
        d.current().error = error;
        const invalid = state.attempts.filter((a) => a.error?.code === 'EDIT_INVALID').length;
        const limit = policyOf(state).validationMaxAttempts;
        if (state.attempt < state.maxAttempts && invalid < limit) {
          improve(d, undefined, error);
          return state;
        }
        if (state.attempt < state.maxAttempts) {
          fail(d, `codegen failed: the model's answer could not be applied in ${invalid} attempts (VALIDATION_FAILED allows ${limit}): ${error.message}`, stage, error);
          return state;
        }
      }
      if (stage === 'feedback' && state.review) {
        contextForReview(d, `A reviewer looked at the delivered change and asks:\n\n${state.review.text}`);
        return state;
      }
      if (stage === 'feedback') {
        // Without the processor's feedback, the raw failure is still better than nothing.
        const a = d.current().assessment;
        const fallback = a ? `The previous attempt failed: ${describeTests(a)}.\n${a.outputExcerpt.slice(-2_000)}` : error.message;
        const failed = d.current();
        failed.feedback = fallback;
        state.status = 'generating';
        state.attempt += 1;
        requestCodegen(d, fallback, { reason: failed.error ? 'VALIDATION_FAILED' : 'QUALITY_THRESHOLD' });
        return state;
      }
      fail(d, `${stage} failed: ${error.message}`, stage, error);
      return state;
    }
  }
}

function policyOf(state: TaskState): TaskPolicy {
  return state.policy ?? DEFAULT_POLICY;
}

/** The files to rewrite whole: what the two failing attempts touched and where the failures point. */
function focusFilesOf(current: AttemptRecord, previous: AttemptRecord, items: FeedbackCompleted['items']): string[] {
  const files = [...current.files, ...previous.files].map((f) => f.path);
  for (const item of items) {
    const file = item.location?.replace(/:\d+(?::\d+)?$/, '');
    if (file) files.push(file);
  }
  return [...new Set(files)].slice(0, 10);
}

function usableHypothesis(record: AttemptRecord): string | undefined {
  const h = record.hypothesis;
  return h === undefined || h.startsWith('(') ? undefined : h;
}

/**
 * A cancel request: the task ends at once with task.failed (error CANCELLED), and every
 * result that arrives later is ignored. Null when the task has already ended.
 */
export function cancelTask(current: TaskState, request: Pick<TaskCancelRequested, 'reason' | 'requestedBy'>, now: Date): TaskState | null {
  if (TERMINAL_STATUSES.includes(current.status)) return null;
  const state: TaskState = structuredClone(current);
  const d = new Draft(state, now);
  const by = request.requestedBy ? ` by ${request.requestedBy}` : '';
  const message = `cancelled${by}${request.reason ? `: ${request.reason}` : ''}`;
  const error = { code: 'CANCELLED', message, retryable: false };
  // The attempt in flight ends here too; the report shows it as cancelled.
  if (state.attempt > 0 && ['generating', 'assessing', 'improving'].includes(state.status)) {
    const record = d.current();
    if (!record.assessment && !record.error) record.error = error;
  }
  fail(d, message, undefined, error);
  return state;
}

function commitMessage(state: TaskState, assessment: Assessment): string {
  const lines = [
    `${state.title}`.slice(0, 72),
    '',
    ...(state.description ? [state.description.slice(0, 2_000), ''] : []),
    `Patchbay-Task: ${state.id}`,
    `Patchbay-Mode: ${state.mode}`,
    `Patchbay-Attempts: ${state.attempt}`,
    `Patchbay-Score: ${assessment.score.toFixed(2)}`,
    ...(state.modelInfo ? [`Patchbay-Model: ${state.modelInfo.name}${state.modelInfo.replay ? ' (replay)' : ''}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * A person's review of a completed task re-opens it: the review goes through the feedback
 * processor, the context engine reads the delivered commit, and the next attempts build on
 * it; a passing one lands as a new commit on the same branch. Anything but a completed task
 * is left alone (null).
 */
export function reopenTask(current: TaskState, review: { text: string; author?: string | undefined }, now: Date): TaskState | null {
  if (current.status !== 'completed' || !current.commit) return null;
  const state: TaskState = structuredClone(current);
  const d = new Draft(state, now);
  const budget = state.attemptBudget ?? state.maxAttempts;
  state.attemptBudget = budget;
  state.maxAttempts = state.attempt + budget;
  state.status = 'improving';
  delete state.finishedAt;
  state.review = { text: review.text, ...(review.author ? { author: review.author } : {}) };
  // The delivered commit is the new base: the next diff, its tests and its commit build on it.
  state.baseCommit = state.commit;
  d.event(eventTypes.taskReopened, {
    attempt: state.attempt + 1,
    text: review.text,
    ...(review.author ? { author: review.author } : {}),
    branch: state.branch ?? branchFor(state.id),
    fromCommit: state.commit,
    maxAttempts: state.maxAttempts,
  });
  d.stage('feedback', 'started', `review of attempt ${state.attempt}: ${review.text.split('\n')[0]?.slice(0, 200) ?? ''}`);
  d.request('feedback', eventTypes.feedbackRequested, {
    attempt: state.attempt,
    title: state.title,
    previous: [],
    repo: state.repo,
    review: { text: review.text, ...(review.author ? { author: review.author } : {}) },
  });
  return state;
}

/** Messages left in the outbox after a successful publish are removed by their ids. */
export function clearOutbox(state: TaskState, published: readonly string[]): TaskState | null {
  if (state.outbox.length === 0) return null;
  const remaining = state.outbox.filter((o) => !published.includes(o.msgId));
  if (remaining.length === state.outbox.length) return null;
  return { ...state, outbox: remaining };
}
