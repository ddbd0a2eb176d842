import { describe, expect, it } from 'vitest';
import { loadSymbolParser } from '../src/parsing/tree-sitter.js';
import { warmUpParser } from '../src/parsing/warm-up.js';

describe('the parser warm-up', () => {
  it('runs its rounds when nothing else parses, and stops as soon as a request parses a file of its own', async () => {
    expect(await warmUpParser()).toBe(4);
    const parser = await loadSymbolParser();
    const warming = warmUpParser();
    // A request's parse while the warm-up waits between rounds.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    parser.parse('typescript', 'export const answer = 42;\n');
    const rounds = await warming;
    expect(rounds).toBeGreaterThanOrEqual(1);
    expect(rounds).toBeLessThan(4);
  });
});
