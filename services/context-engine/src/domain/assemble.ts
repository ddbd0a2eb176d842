import type { RepoContext } from '@patchbay/contracts';
import { redactSecrets } from '@patchbay/secrets';
import { isCode, isTestFile, languageOf } from './languages.js';
import type { ProjectFacts } from './project-facts.js';
import { rankFiles } from './relevance.js';

export interface RepoSnapshot {
  repo: string;
  commit: string;
  files: ReadonlyArray<{ path: string; size: number }>;
  /** Text of a file, or undefined when it is binary or was not read. */
  text(path: string): string | undefined;
}

const MAX_LISTED_FILES = 2_000;

/** Builds the context a codegen prompt is made from, within a character budget. */
export function assembleContext(
  snapshot: RepoSnapshot,
  facts: ProjectFacts,
  taskText: string,
  budgetChars: number,
  knownSecrets: readonly string[],
  fromBoard: readonly string[],
): RepoContext {
  const withLang = snapshot.files.map((f) => ({ ...f, language: languageOf(f.path) }));
  const languages = new Map<string, { files: number; lines: number }>();
  for (const f of withLang) {
    if (!isCode(f.language)) continue;
    const entry = languages.get(f.language as string) ?? { files: 0, lines: 0 };
    entry.files += 1;
    entry.lines += (snapshot.text(f.path)?.match(/\n/g)?.length ?? 0) + 1;
    languages.set(f.language as string, entry);
  }
  const testDirs = [
    ...new Set(
      withLang.filter((f) => isTestFile(f.path)).map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '.')),
    ),
  ].sort();

  const relevant: RepoContext['relevant'] = [];
  const skipped: RepoContext['skipped'] = [];
  let used = 0;
  for (const ranked of rankFiles(withLang, taskText)) {
    if (ranked.score <= 0) break;
    const text = snapshot.text(ranked.path);
    if (text === undefined) {
      skipped.push({ path: ranked.path, reason: 'binary or unreadable' });
      continue;
    }
    // Measured after masking: "[REDACTED]" can be longer than the secret it replaces.
    const content = redactSecrets(text, { knownSecrets });
    if (content.length > budgetChars / 2) {
      skipped.push({ path: ranked.path, reason: `too large (${content.length} chars) for the budget` });
      continue;
    }
    if (used + content.length > budgetChars) {
      skipped.push({ path: ranked.path, reason: 'over the context budget' });
      continue;
    }
    used += content.length;
    relevant.push({ path: ranked.path, reason: ranked.reason, content });
  }

  return {
    repo: snapshot.repo,
    commit: snapshot.commit,
    languages: [...languages.entries()]
      .map(([name, v]) => ({ name, ...v }))
      .sort((a, b) => b.lines - a.lines),
    manifests: facts.manifests,
    dependencies: facts.dependencies,
    frameworks: facts.frameworks,
    ...(facts.testCommand !== undefined ? { testCommand: facts.testCommand } : {}),
    ...(facts.testFramework !== undefined ? { testFramework: facts.testFramework } : {}),
    testDirs,
    files: withLang.slice(0, MAX_LISTED_FILES).map((f) => ({ path: f.path, size: f.size, ...(f.language ? { language: f.language } : {}) })),
    filesOmitted: Math.max(0, withLang.length - MAX_LISTED_FILES),
    relevant,
    skipped: skipped.slice(0, 50),
    fromBoard: [...fromBoard],
  };
}
