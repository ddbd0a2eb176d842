const STOP = new Set(['the', 'and', 'for', 'with', 'this', 'that', 'from', 'into', 'test', 'tests', 'fix', 'add', 'make', 'when', 'should']);

/** Identifier-like words of the task (3+ characters), lower-cased, without stop words. */
export function mentionedTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z_][a-z0-9_.-]{2,}/g) ?? [];
  return [...new Set(words.map((w) => w.replace(/[.-]+$/, '').replace(/\(\)$/, '')).filter((w) => w.length >= 3 && !STOP.has(w)))];
}
