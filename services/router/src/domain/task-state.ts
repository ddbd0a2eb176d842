import { z } from 'zod';
import {
  Assessment,
  EditStrategy,
  ErrorInfo,
  FileChange,
  GenerationMode,
  ModelInfo,
  RepoRef,
  RoutingDecision,
  Stage,
  TokenUsage,
} from '@patchbay/contracts';

export const TASK_STATUSES = [
  'context',
  'generating',
  'assessing',
  'improving',
  'delivering',
  'completed',
  'failed',
  'escalated',
] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'escalated'];

export const AttemptRecord = z.object({
  attempt: z.number().int().positive(),
  diffRef: z.string().optional(),
  files: z.array(FileChange).default([]),
  tokens: TokenUsage.optional(),
  assessment: Assessment.optional(),
  feedback: z.string().optional(),
  signature: z.string().optional(),
  error: ErrorInfo.optional(),
  hypothesis: z.string().optional(),
  /** Why this attempt was made: the failure of the one before it. */
  retryReason: z.enum(['VALIDATION_FAILED', 'QUALITY_THRESHOLD']).optional(),
  /** How edits were asked for; whole files after a repeated failure. */
  strategy: EditStrategy.optional(),
  /** The model that answered and how long it took, for the report. */
  model: z.string().optional(),
  modelMs: z.number().nonnegative().optional(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

/** A message the router owes the bus; kept in the state until published (transactional outbox). */
export const Outgoing = z.object({
  subject: z.string(),
  type: z.string(),
  data: z.unknown(),
  msgId: z.string(),
  /** Render and store the task report before publishing this one. */
  withReport: z.boolean().optional(),
});
export type Outgoing = z.infer<typeof Outgoing>;

/** Task-level retry policy, fixed when the task starts (config `retry`). */
export const TaskPolicy = z.object({
  /** Attempts whose answer could not be applied before the task gives up. */
  validationMaxAttempts: z.number().int().positive(),
  /** Attempts below the quality threshold before the task gives up (within maxAttempts). */
  qualityMaxAttempts: z.number().int().positive(),
  /** Two consecutive attempts failing the same way: change strategy, then stop. */
  earlyStop: z.boolean(),
});
export type TaskPolicy = z.infer<typeof TaskPolicy>;

export const TaskState = z.object({
  id: z.string(),
  origin: z.enum(['submit', 'ci']),
  title: z.string(),
  description: z.string().optional(),
  repo: RepoRef,
  model: z.string().optional(),
  mode: GenerationMode,
  route: RoutingDecision,
  maxAttempts: z.number().int().positive(),
  qualityThreshold: z.number().min(0).max(1),
  /** Absent on tasks stored before policies existed: the defaults apply. */
  policy: TaskPolicy.optional(),
  status: TaskStatus,
  /** The attempt in progress (0 before the first). */
  attempt: z.number().int().nonnegative(),
  baseCommit: z.string().optional(),
  contextRef: z.string().optional(),
  testCommand: z.string().optional(),
  attempts: z.array(AttemptRecord),
  tokens: TokenUsage,
  modelInfo: ModelInfo.optional(),
  branch: z.string().optional(),
  commit: z.string().optional(),
  failure: z.object({ reason: z.string(), stage: Stage.optional(), error: ErrorInfo.optional() }).optional(),
  traceparent: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  /** Lifecycle events published so far; the next one gets seq + 1. */
  seq: z.number().int().nonnegative(),
  outbox: z.array(Outgoing),
});
export type TaskState = z.infer<typeof TaskState>;
