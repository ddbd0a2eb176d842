import { describe, expect, it } from 'vitest';
import { GRAMMARS, type Grammar, Parser, loadLanguage, runtimeVersion } from '@patchbay/grammars';

const SAMPLES: Record<Grammar, string> = {
  typescript: 'export function add(a: number, b: number): number { return a + b; }\n',
  tsx: 'export const App = () => <div className="x">{1 + 1}</div>;\n',
  javascript: 'export function add(a, b) { return a + b; }\n',
  python: 'def add(a: int, b: int) -> int:\n    return a + b\n',
  go: 'package main\n\nfunc add(a, b int) int { return a + b }\n',
  bash: '#!/bin/sh\nadd() { echo $(( $1 + $2 )); }\n',
  java: 'class A { int add(int a, int b) { return a + b; } }\n',
  ruby: 'def add(a, b)\n  a + b\nend\n',
  rust: 'fn add(a: i32, b: i32) -> i32 { a + b }\n',
};

describe('grammars', () => {
  it('loads every grammar with the one runtime and parses its language without errors', async () => {
    for (const grammar of Object.keys(GRAMMARS) as Grammar[]) {
      const language = await loadLanguage(grammar);
      const parser = new Parser();
      try {
        parser.setLanguage(language);
        const tree = parser.parse(SAMPLES[grammar]);
        expect(tree, grammar).not.toBeNull();
        expect(tree?.rootNode.hasError, `${grammar}: ${tree?.rootNode.toString()}`).toBe(false);
        // The TypeScript grammar must not accept JSX: tsx is its own grammar.
        if (grammar === 'typescript') expect(parser.parse(SAMPLES.tsx)?.rootNode.hasError).toBe(true);
        tree?.delete();
      } finally {
        parser.delete();
      }
    }
  });

  it('compiles a grammar once per thread and names the runtime version', async () => {
    const [a, b] = await Promise.all([loadLanguage('python'), loadLanguage('python')]);
    expect(a).toBe(b);
    expect(await loadLanguage('python')).toBe(a);
    expect(runtimeVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
