import type { LanguageSettings, QualityConfig } from '@patchbay/config';
import type { SandboxResult } from '@patchbay/workspace';
import type { RawFinding } from '../domain/findings.js';

/** A file to analyse: where it is, its language, its content and its git blob id. */
export interface SourceFile {
  /** Repository-relative, with forward slashes. */
  path: string;
  abs: string;
  language: string;
  content: string;
  blob: string;
}

/** Runs a command in the sandbox, in the tree being analysed. */
export type SandboxRun = (command: string, options?: { timeoutMs?: number; readOnly?: readonly string[] }) => Promise<SandboxResult>;

export interface AnalyserContext {
  /** The tree being analysed (a worktree with the candidate diff, or a path given to `analyze`). */
  dir: string;
  config: QualityConfig;
  settings(language: string): LanguageSettings | undefined;
  sandbox: SandboxRun;
  /** A scratch directory the sandboxed command may write (for reports such as JSON or JUnit files). */
  scratch: string;
  /** PATH for finding analyser binaries. */
  path: string;
  /** git blob ids of every file in the tree, by path. */
  blobs: ReadonlyMap<string, string>;
  signal?: AbortSignal;
}

export type Probe = { version: string } | { missing: string };

export interface Analyser {
  name: string;
  /** Languages whose files it reads. */
  languages: readonly string[];
  /** Its version (part of the cache key), or why it cannot run here. */
  probe(ctx: AnalyserContext): Promise<Probe>;
  /**
   * file: results depend only on one file (and the configuration): cached per file.
   * tree: results depend on other files too: cached by the blobs of the whole set.
   */
  scope: 'file' | 'tree';
  /** What else changes its findings (e.g. the repository's own ESLint config). */
  fingerprint?(ctx: AnalyserContext): string;
  run(files: readonly SourceFile[], ctx: AnalyserContext): Promise<AnalyserResult>;
}

export interface AnalyserResult {
  findings: RawFinding[];
  note?: string;
  /** Files it could not read (e.g. a parse failure in the tool itself). */
  failed?: boolean;
}

/** Quotes a word for /bin/sh; paths never start with "-" so no tool reads them as options. */
export function shellQuote(word: string): string {
  const safe = word.startsWith('-') ? `./${word}` : word;
  return `'${safe.replace(/'/g, `'\\''`)}'`;
}
