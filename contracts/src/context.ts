import { z } from 'zod';

const PathReason = z.object({ path: z.string(), reason: z.string() });

/** Lint, format and type-check tools the repository configures. */
export const ToolInfo = z.object({
  tool: z.string(),
  kind: z.enum(['lint', 'format', 'types']),
  config: z.string().optional().describe('File that configures it'),
  notes: z.array(z.string()).describe('Settings worth following, e.g. "singleQuote: true"'),
});
export type ToolInfo = z.infer<typeof ToolInfo>;

export const Architecture = z.object({
  /** e.g. "layered", "monorepo", "src/test mirroring". */
  patterns: z.array(z.string()),
  /** The layered layout found (routes, services, repositories, transformers, domain_models) and where. */
  layers: z.array(z.object({ layer: z.string(), dirs: z.array(z.string()) })),
  workspaces: z.array(z.string()),
  testLayout: z.enum(['mirrored', 'colocated', 'separate', 'mixed', 'none']),
  entryPoints: z.array(z.string()),
});
export type Architecture = z.infer<typeof Architecture>;

/** Shares measured over the code (0..1), and the sentences they make. */
export const Conventions = z.object({
  naming: z.string(),
  imports: z.string(),
  formatting: z.string(),
  files: z.string(),
  measured: z.object({
    camelCase: z.number(),
    snake_case: z.number(),
    PascalCase: z.number(),
    relativeImports: z.number(),
    aliasImports: z.number(),
    packageImports: z.number(),
  }),
});
export type Conventions = z.infer<typeof Conventions>;

export const QualityMetrics = z.object({
  sourceFiles: z.number().int().nonnegative(),
  testFiles: z.number().int().nonnegative(),
  sourceLines: z.number().int().nonnegative(),
  testLines: z.number().int().nonnegative(),
  /** Test files per source file. */
  testToSourceRatio: z.number().nonnegative(),
  /** Comment lines per line of code. */
  commentDensity: z.number().nonnegative(),
  largestFiles: z.array(z.object({ path: z.string(), lines: z.number().int() })),
});
export type QualityMetrics = z.infer<typeof QualityMetrics>;

/** What the task asks, read from its text against the repository. */
export const TaskContext = z.object({
  requirements: z.array(z.string()),
  constraints: z.array(z.string()),
  priorities: z.array(z.string()),
  /** Repository files the task names. */
  files: z.array(z.string()),
  /** Symbols defined in the repository that the task names. */
  identifiers: z.array(z.string()),
});
export type TaskContext = z.infer<typeof TaskContext>;

/** How the team works, from the repository's own files and its configuration. */
export const TeamContext = z.object({
  standards: z.array(z.string()),
  patterns: z.array(z.string()),
  testing: z.array(z.string()),
  /** Files these came from. */
  sources: z.array(z.string()),
});
export type TeamContext = z.infer<typeof TeamContext>;

/** Signatures of the most relevant symbols, ranked over the reference graph and cut to a token budget. */
export const RepoMap = z.object({
  text: z.string(),
  tokens: z.number().int().nonnegative(),
  budget: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  symbols: z.number().int().nonnegative(),
  /** The best-ranked files, most relevant first, with why. */
  ranked: z.array(z.object({ path: z.string(), rank: z.number(), reason: z.string() })),
});
export type RepoMap = z.infer<typeof RepoMap>;

/**
 * What the context engine learned about a repository for one task, stored in the object
 * store and read by codegen. Large by nature, so it never travels in a message. The engine
 * always fills every field; the later additions are optional so that a context stored by an
 * older engine (or written by hand) still reads.
 */
export const RepoContext = z.object({
  repo: z.string(),
  commit: z.string(),
  languages: z.array(z.object({ name: z.string(), files: z.number().int(), lines: z.number().int() })),
  manifests: z.array(z.object({ path: z.string(), kind: z.string() })),
  dependencies: z.array(
    z.object({
      name: z.string(),
      version: z.string().optional(),
      /** The version a lockfile pins. */
      resolved: z.string().optional(),
      manifest: z.string(),
      dev: z.boolean(),
    }),
  ),
  frameworks: z.array(z.string()),
  testCommand: z.string().optional(),
  testFramework: z.string().optional(),
  testDirs: z.array(z.string()),
  tooling: z.array(ToolInfo).optional(),
  architecture: Architecture.optional(),
  conventions: Conventions.optional(),
  quality: QualityMetrics.optional(),
  repoMap: RepoMap.optional(),
  task: TaskContext.optional(),
  team: TeamContext.optional(),
  files: z.array(z.object({ path: z.string(), size: z.number().int(), language: z.string().optional() })),
  filesOmitted: z.number().int().nonnegative(),
  /** Files the task most likely touches, most relevant first, with their content (secrets masked). */
  relevant: z.array(z.object({ path: z.string(), reason: z.string(), content: z.string() })),
  /** Files left out of `relevant` for the budget or for safety, with why. */
  skipped: z.array(PathReason),
  /** Files not analysed at all (binary, too large, symlinks, unreadable), with why. */
  unanalysed: z.array(PathReason).optional(),
  /** Everything the budget left out, by rank, so the reader knows the context is partial. */
  leftOut: z.array(z.object({ what: z.string(), reason: z.string() })).optional(),
  fromBoard: z.array(z.string()),
  /** How the analysis was obtained: from the cache by tree hash, incrementally, or from scratch. */
  cache: z
    .object({
      analysis: z.enum(['hit', 'incremental', 'cold']),
      filesParsed: z.number().int().nonnegative(),
      filesReused: z.number().int().nonnegative(),
      ms: z.number().nonnegative(),
    })
    .optional(),
});
export type RepoContext = z.infer<typeof RepoContext>;

/** A context as the engine writes it: every field filled. */
export const CompleteRepoContext = RepoContext.required({
  tooling: true,
  architecture: true,
  conventions: true,
  quality: true,
  repoMap: true,
  task: true,
  team: true,
  unanalysed: true,
  leftOut: true,
  cache: true,
});
export type CompleteRepoContext = z.infer<typeof CompleteRepoContext>;

/**
 * Request/reply (`patchbay context` asks a running engine): the context of a checkout on the
 * engine's own machine, working-tree changes included. The engine answers only for paths
 * under its configured local roots, and only when it sees the same HEAD as the asker.
 */
export const ContextQuery = z.object({
  path: z.string().startsWith('/').describe("Absolute path of the checkout's top-level directory"),
  head: z.string().regex(/^[0-9a-f]{40,64}$/).describe('The commit the asker sees checked out, so both know they look at the same repository'),
  title: z.string().min(1).max(2_000),
  description: z.string().max(20_000).optional(),
  mapBudget: z.number().int().min(1).max(10_000_000).describe('Tokens of repo map'),
});
export type ContextQuery = z.infer<typeof ContextQuery>;

export const ContextAnswer = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** Artifact holding the CompleteRepoContext. */
    contextRef: z.string(),
    /** The instance that answered (its NATS client name and process id). */
    servedBy: z.string(),
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }),
  }),
]);
export type ContextAnswer = z.infer<typeof ContextAnswer>;
