import { z } from 'zod';
import {
  Assessment,
  Constraints,
  EscalationTarget,
  ErrorInfo,
  FileChange,
  GenerationMode,
  ModelInfo,
  RepoRef,
  RouteAgent,
  Scores,
  Stage,
  TaskId,
  TokenUsage,
} from './common.js';

/** Public input on patchbay.tasks.submit. The CloudEvent id is the task id. */
export const TaskSubmitted = z.object({
  title: z.string().min(1).max(500),
  description: z.string().max(20_000).optional(),
  repo: RepoRef,
  mode: GenerationMode.optional(),
  constraints: Constraints.optional(),
  model: z.string().min(1).optional().describe('Model name for this task; the configured model when absent'),
});
export type TaskSubmitted = z.infer<typeof TaskSubmitted>;

/** Public input on patchbay.ci.failure: a CI pipeline reports a failing build. */
export const CiFailure = z.object({
  repo: RepoRef,
  title: z.string().min(1).max(500).optional(),
  pipeline: z.string().max(200).optional(),
  job: z.string().max(200).optional(),
  runUrl: z.string().max(2000).optional(),
  testCommand: z.string().max(1000).optional(),
  failingTests: z.array(z.string().max(500)).max(200).optional(),
  log: z.string().max(64_000).optional().describe('Excerpt of the failing output'),
  constraints: Constraints.optional(),
});
export type CiFailure = z.infer<typeof CiFailure>;

export const RoutingDecision = z.object({
  agent: RouteAgent,
  confidence: z.number().min(0).max(1),
  scores: z.object({ codegen: z.number(), pm: z.number(), security: z.number() }),
  matched: z.object({
    codegen: z.array(z.string()),
    pm: z.array(z.string()),
    security: z.array(z.string()),
  }),
  mode: GenerationMode,
  reason: z.string(),
});
export type RoutingDecision = z.infer<typeof RoutingDecision>;

const lifecycle = { seq: z.number().int().positive().describe('Order of this event within the task') };

export const TaskAccepted = z.object({
  ...lifecycle,
  title: z.string(),
  repo: RepoRef,
  mode: GenerationMode,
  route: RoutingDecision,
  maxAttempts: z.number().int().positive(),
  qualityThreshold: z.number().min(0).max(1),
  origin: z.enum(['submit', 'ci']),
});
export type TaskAccepted = z.infer<typeof TaskAccepted>;

export const TaskStage = z.object({
  ...lifecycle,
  stage: Stage,
  status: z.enum(['started', 'completed', 'failed']),
  attempt: z.number().int().nonnegative(),
  summary: z.string().max(2000),
});
export type TaskStage = z.infer<typeof TaskStage>;

/** Streaming progress of a stage (e.g. tokens generated so far); published at a bounded rate. */
export const TaskProgress = z.object({
  stage: Stage,
  attempt: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative().optional(),
  message: z.string().max(500).optional(),
});
export type TaskProgress = z.infer<typeof TaskProgress>;

export const TaskAssessed = z.object({ ...lifecycle, assessment: Assessment });
export type TaskAssessed = z.infer<typeof TaskAssessed>;

export const TaskEscalated = z.object({
  ...lifecycle,
  taskId: z.string(),
  to: EscalationTarget,
  title: z.string(),
  description: z.string().optional(),
  repo: RepoRef,
  confidence: z.number().min(0).max(1),
  reason: z.string(),
  matched: z.array(z.string()),
});
export type TaskEscalated = z.infer<typeof TaskEscalated>;

export const TaskCompleted = z.object({
  ...lifecycle,
  status: z.literal('completed'),
  branch: z.string(),
  commit: z.string(),
  baseCommit: z.string(),
  attempts: z.number().int().positive(),
  score: z.number().min(0).max(1),
  scores: Scores,
  attemptScores: z.array(z.number().min(0).max(1)),
  filesChanged: z.array(FileChange),
  tokens: TokenUsage,
  durationMs: z.number().nonnegative(),
  model: ModelInfo.optional(),
  reportRef: z.string(),
});
export type TaskCompleted = z.infer<typeof TaskCompleted>;

export const TaskFailed = z.object({
  ...lifecycle,
  status: z.literal('failed'),
  reason: z.string(),
  error: ErrorInfo.optional(),
  attempts: z.number().int().nonnegative(),
  lastAssessment: Assessment.optional(),
  tokens: TokenUsage,
  durationMs: z.number().nonnegative(),
  model: ModelInfo.optional(),
  reportRef: z.string().optional(),
});
export type TaskFailed = z.infer<typeof TaskFailed>;

/** Public input on patchbay.tasks.<id>.control: stop a task; a model call in flight is aborted. */
export const TaskCancelRequested = z.object({
  taskId: TaskId,
  reason: z.string().max(500).optional().describe('Why, for the report'),
  requestedBy: z.string().max(200).optional().describe('Who asked, e.g. a user name or a system'),
});
export type TaskCancelRequested = z.infer<typeof TaskCancelRequested>;
