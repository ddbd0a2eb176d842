import { z } from 'zod';
import { ESCALATION_TARGETS, STAGES, TOKEN_PATTERN } from './subjects.js';

export const TaskId = z
  .string()
  .regex(TOKEN_PATTERN, 'a task id is 1-128 letters, digits, "-" or "_", starting with a letter or digit');

export const GENERATION_MODES = [
  'FEATURE_DEVELOPMENT',
  'BUG_FIXING',
  'REFACTORING',
  'TESTING',
  'DOCUMENTATION',
  'OPTIMIZATION',
] as const;
export const GenerationMode = z.enum(GENERATION_MODES);
export type GenerationMode = z.infer<typeof GenerationMode>;

export const RepoRef = z.object({
  url: z.string().min(1).describe('A local path or any git URL'),
  ref: z.string().min(1).optional().describe('Branch, tag or commit; the default branch when absent'),
});
export type RepoRef = z.infer<typeof RepoRef>;

export const Constraints = z.object({
  maxAttempts: z.number().int().min(1).max(20).optional(),
  qualityThreshold: z.number().min(0).max(1).optional(),
});
export type Constraints = z.infer<typeof Constraints>;

export const Stage = z.enum(STAGES);
export type Stage = z.infer<typeof Stage>;
export const EscalationTarget = z.enum(ESCALATION_TARGETS);
export type EscalationTarget = z.infer<typeof EscalationTarget>;
export const RouteAgent = z.enum(['codegen', ...ESCALATION_TARGETS]);
export type RouteAgent = z.infer<typeof RouteAgent>;

export const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const TokenUsage = z.object({
  prompt: z.number().int().nonnegative(),
  completion: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

export const ModelInfo = z.object({
  provider: z.string().describe('ollama, openai or replay'),
  name: z.string(),
  replay: z.boolean().describe('True when answers come from recorded files, not a live model'),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const FileChange = z.object({
  path: z.string(),
  action: z.enum(['create', 'modify', 'delete']),
  linesAdded: z.number().int().nonnegative(),
  linesRemoved: z.number().int().nonnegative(),
});
export type FileChange = z.infer<typeof FileChange>;

export const QUALITY_DIMENSIONS = [
  'readability',
  'maintainability',
  'correctness',
  'performance',
  'security',
  'documentation',
  'testing',
] as const;
export const QualityDimension = z.enum(QUALITY_DIMENSIONS);
export type QualityDimension = z.infer<typeof QualityDimension>;
export const Scores = z.partialRecord(QualityDimension, z.number().min(0).max(1));
export type Scores = z.infer<typeof Scores>;

export const TestRun = z.object({
  command: z.string(),
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().nonnegative(),
  passed: z.number().int().nonnegative().optional(),
  failed: z.number().int().nonnegative().optional(),
});
export type TestRun = z.infer<typeof TestRun>;

/** What the assessor found; bounded so it can travel in messages. */
export const Assessment = z.object({
  attempt: z.number().int().positive(),
  passed: z.boolean(),
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  scores: Scores,
  tests: TestRun.nullable(),
  failingTests: z.array(z.string()).max(200),
  outputExcerpt: z.string().max(8000).describe('The end of the test output, secrets redacted'),
  outputRef: z.string().optional().describe('Object store name of the full output'),
  isolated: z.boolean().describe('Whether the run was network-isolated'),
});
export type Assessment = z.infer<typeof Assessment>;
