import { isSecretFile } from '@patchbay/secrets';
import { isCode, isNoise, isTestFile } from './languages.js';

export interface Candidate {
  path: string;
  size: number;
  language?: string | undefined;
}

export interface Ranked {
  path: string;
  score: number;
  reason: string;
}

const STOP = new Set(['the', 'and', 'for', 'with', 'this', 'that', 'from', 'into', 'test', 'tests', 'fix', 'add', 'make', 'when', 'should']);

/** Identifier-like words of the task (3+ characters), lower-cased, without stop words. */
export function mentionedTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z_][a-z0-9_.-]{2,}/g) ?? [];
  return [...new Set(words.map((w) => w.replace(/[.-]+$/, '').replace(/\(\)$/, '')).filter((w) => w.length >= 3 && !STOP.has(w)))];
}

/**
 * Orders files by how likely the task touches them: files whose names the task mentions,
 * then tests (bug fixes are driven by them), then small code files.
 */
export function rankFiles(files: readonly Candidate[], taskText: string): Ranked[] {
  const terms = mentionedTerms(taskText);
  return files
    .filter((f) => !isNoise(f.path) && !isSecretFile(f.path))
    .map((f) => {
      const lower = f.path.toLowerCase();
      const base = lower.split('/').pop() ?? lower;
      const stem = base.replace(/(\.(test|spec))?\.[a-z0-9]+$/, '').replace(/^test_|_test$/, '');
      let score = 0;
      const reasons: string[] = [];
      const named = terms.filter((t) => base === t || stem === t || lower === t);
      const partial = terms.filter((t) => !named.includes(t) && (lower.includes(t) || (stem.length > 2 && t.includes(stem))));
      if (named.length) {
        score += 10;
        reasons.push(`named in the task (${named.join(', ')})`);
      } else if (partial.length) {
        score += 5;
        reasons.push(`matches ${partial.slice(0, 3).join(', ')}`);
      }
      if (isTestFile(f.path)) {
        score += 2;
        reasons.push('test');
      } else if (isCode(f.language)) {
        score += 1;
        reasons.push('source');
      } else if (/^(readme|contributing)/i.test(base)) {
        score += 0.5;
        reasons.push('project docs');
      }
      // Among equals, smaller files first: more of them fit.
      score -= Math.min(1, f.size / 200_000);
      return { path: f.path, score, reason: reasons.join('; ') || 'other' };
    })
    .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path));
}
