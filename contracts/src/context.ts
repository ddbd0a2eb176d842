import { z } from 'zod';

/**
 * What the context engine learned about a repository for one task, stored in the object
 * store and read by codegen. Large by nature, so it never travels in a message.
 */
export const RepoContext = z.object({
  repo: z.string(),
  commit: z.string(),
  languages: z.array(z.object({ name: z.string(), files: z.number().int(), lines: z.number().int() })),
  manifests: z.array(z.object({ path: z.string(), kind: z.string() })),
  dependencies: z.array(z.object({ name: z.string(), version: z.string().optional(), manifest: z.string(), dev: z.boolean() })),
  frameworks: z.array(z.string()),
  testCommand: z.string().optional(),
  testFramework: z.string().optional(),
  testDirs: z.array(z.string()),
  files: z.array(z.object({ path: z.string(), size: z.number().int(), language: z.string().optional() })),
  filesOmitted: z.number().int().nonnegative(),
  /** Files the task most likely touches, most relevant first, with their content (secrets masked). */
  relevant: z.array(z.object({ path: z.string(), reason: z.string(), content: z.string() })),
  /** Files left out of `relevant` for the budget or for safety, with why. */
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  fromBoard: z.array(z.string()),
});
export type RepoContext = z.infer<typeof RepoContext>;
