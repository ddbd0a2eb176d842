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

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** The analysis types of the analyze endpoint; every finding belongs to one. */
export const ANALYSIS_TYPES = ['security', 'performance', 'quality', 'compatibility'] as const;
export const AnalysisType = z.enum(ANALYSIS_TYPES);
export type AnalysisType = z.infer<typeof AnalysisType>;

/** One thing an analyser found, mapped to the dimension it costs. */
export const Finding = z.object({
  tool: z.string().max(40).describe('The analyser: tsc, eslint, pyflakes, bandit, shellcheck, tree-sitter, checklist, tests, ...'),
  rule: z.string().max(160).describe('The rule or diagnostic code, e.g. security/detect-eval-with-expression, B602, SC2086, TS2322'),
  dimension: QualityDimension,
  analysis: AnalysisType,
  severity: Severity,
  file: z.string().max(500),
  line: z.number().int().nonnegative().describe('1-based; 0 when the finding is about the whole file'),
  column: z.number().int().nonnegative().optional(),
  message: z.string().max(500),
  touched: z.boolean().describe('On a line the diff added or changed: charged to the attempt'),
  category: z.string().max(40).optional().describe('Vulnerability class, e.g. sql-injection, command-injection'),
});
export type Finding = z.infer<typeof Finding>;

/** How one analyser fared on one assessment. */
export const AnalyserRun = z.object({
  name: z.string().max(40),
  version: z.string().max(200).optional(),
  status: z.enum(['ok', 'missing', 'failed', 'skipped']),
  files: z.number().int().nonnegative(),
  findings: z.number().int().nonnegative(),
  cached: z.number().int().nonnegative().describe('Files whose result came from the cache'),
  durationMs: z.number().nonnegative(),
  note: z.string().max(500).optional(),
});
export type AnalyserRun = z.infer<typeof AnalyserRun>;

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
  findings: z
    .array(Finding)
    .max(100)
    .optional()
    .describe('Findings on lines the diff touched (charged to the attempt), worst first; at most 100'),
  findingsTotal: z.number().int().nonnegative().optional().describe('Charged findings before the cap'),
  preexisting: z
    .object({
      count: z.number().int().nonnegative(),
      byDimension: z.partialRecord(QualityDimension, z.number().int().nonnegative()),
      sample: z.array(Finding).max(20),
    })
    .optional()
    .describe('Findings on lines the diff did not touch: the repository\'s existing debt, not charged'),
  reasons: z.array(z.string().max(500)).max(20).optional().describe('Why the attempt did not pass, beyond the score'),
  analysers: z.array(AnalyserRun).max(40).optional(),
  notices: z.array(z.string().max(500)).max(20).optional().describe('E.g. that the run was not isolated, or an analyser is missing'),
  findingsRef: z.string().optional().describe('Object store name of every finding, as JSON'),
});
export type Assessment = z.infer<typeof Assessment>;
