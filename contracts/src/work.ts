import { z } from 'zod';
import {
  Assessment,
  ErrorInfo,
  FileChange,
  GenerationMode,
  ModelInfo,
  RepoRef,
  Stage,
  TaskId,
  TokenUsage,
} from './common.js';

export const EDIT_STRATEGIES = ['search-replace', 'whole-file'] as const;
export const EditStrategy = z.enum(EDIT_STRATEGIES);
export type EditStrategy = z.infer<typeof EditStrategy>;

/** Every stage message names its task; attempt 0 means "not tied to an attempt". */
const addressed = { taskId: TaskId, attempt: z.number().int().nonnegative() };

export const ContextRequested = z.object({
  ...addressed,
  repo: RepoRef,
  title: z.string(),
  description: z.string().optional(),
});
export type ContextRequested = z.infer<typeof ContextRequested>;

export const ContextSummary = z.object({
  languages: z.record(z.string(), z.number().int().nonnegative()).describe('Files per language'),
  manifests: z.array(z.string()),
  testCommand: z.string().optional(),
  fileCount: z.number().int().nonnegative(),
  fromBoard: z.array(z.string()).describe('Board entry types reused instead of explored'),
});
export type ContextSummary = z.infer<typeof ContextSummary>;

export const ContextCompleted = z.object({
  ...addressed,
  baseCommit: z.string(),
  contextRef: z.string(),
  summary: ContextSummary,
});
export type ContextCompleted = z.infer<typeof ContextCompleted>;

export const CodegenRequested = z.object({
  ...addressed,
  repo: RepoRef,
  baseCommit: z.string(),
  contextRef: z.string(),
  mode: GenerationMode,
  title: z.string(),
  description: z.string().optional(),
  feedback: z.string().max(8000).optional().describe('What the previous attempt got wrong'),
  model: z.string().optional(),
  /** How to ask for edits: SEARCH/REPLACE blocks, or whole files after repeated failures. */
  strategy: EditStrategy.optional(),
  /** Files the attempt should concentrate on (with whole-file edits: rewrite these). */
  focusFiles: z.array(z.string().max(500)).max(50).optional(),
  /** The debugger's hypothesis about the previous failure. */
  hypothesis: z.string().max(2000).optional(),
  /** Lessons learned in earlier tasks on this repository. */
  lessons: z.string().max(8000).optional(),
});
export type CodegenRequested = z.infer<typeof CodegenRequested>;

export const CodegenCompleted = z.object({
  ...addressed,
  diffRef: z.string(),
  files: z.array(FileChange),
  tokens: TokenUsage,
  model: ModelInfo,
  durationMs: z.number().nonnegative(),
});
export type CodegenCompleted = z.infer<typeof CodegenCompleted>;

export const AssessmentRequested = z.object({
  ...addressed,
  repo: RepoRef,
  baseCommit: z.string(),
  diffRef: z.string(),
  testCommand: z.string().optional(),
  qualityThreshold: z.number().min(0).max(1),
});
export type AssessmentRequested = z.infer<typeof AssessmentRequested>;

export const AssessmentCompleted = z.object({ ...addressed, assessment: Assessment });
export type AssessmentCompleted = z.infer<typeof AssessmentCompleted>;

export const FeedbackRequested = z.object({
  ...addressed,
  title: z.string(),
  assessment: Assessment.optional(),
  error: ErrorInfo.optional().describe('Set when the attempt failed before assessment'),
  previous: z
    .array(z.object({ attempt: z.number().int().positive(), feedback: z.string().max(8000), signature: z.string().max(2000) }))
    .max(20)
    .describe('Feedback given to earlier attempts, with the fingerprint of what failed'),
});
export type FeedbackRequested = z.infer<typeof FeedbackRequested>;

export const FeedbackItem = z.object({
  kind: z.enum(['QUALITY', 'ERROR', 'VALIDATION', 'PERFORMANCE', 'SECURITY', 'USER']),
  message: z.string(),
  location: z.string().optional(),
});
export type FeedbackItem = z.infer<typeof FeedbackItem>;

export const FeedbackCompleted = z.object({
  ...addressed,
  feedback: z.string().max(8000),
  items: z.array(FeedbackItem).max(50),
  repeated: z.boolean().describe('The same failure as an earlier attempt'),
  signature: z.string().max(2000).describe('Fingerprint of what failed, to recognise it again'),
});
export type FeedbackCompleted = z.infer<typeof FeedbackCompleted>;

export const DebugRequested = z.object({
  ...addressed,
  repo: RepoRef,
  baseCommit: z.string(),
  diffRef: z.string(),
  assessment: Assessment,
});
export type DebugRequested = z.infer<typeof DebugRequested>;

export const DebugCompleted = z.object({
  ...addressed,
  entries: z.number().int().nonnegative(),
  hypothesis: z.string().optional(),
});
export type DebugCompleted = z.infer<typeof DebugCompleted>;

export const DeliveryRequested = z.object({
  ...addressed,
  repo: RepoRef,
  baseCommit: z.string(),
  diffRef: z.string(),
  branch: z.string(),
  message: z.string(),
  /** Commit date, fixed by the router so a redelivered request makes the same commit. */
  date: z.iso.datetime(),
});
export type DeliveryRequested = z.infer<typeof DeliveryRequested>;

export const DeliveryCompleted = z.object({ ...addressed, branch: z.string(), commit: z.string() });
export type DeliveryCompleted = z.infer<typeof DeliveryCompleted>;

/** Any stage that could not produce its result. */
export const StageFailed = z.object({
  ...addressed,
  stage: Stage,
  error: ErrorInfo,
  /** Tokens a failed generation still consumed. */
  tokens: TokenUsage.optional(),
  model: ModelInfo.optional(),
});
export type StageFailed = z.infer<typeof StageFailed>;
