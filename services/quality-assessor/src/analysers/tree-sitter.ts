import { type Node, Parser, type Tree, loadLanguage, runtimeVersion } from '@patchbay/grammars';
import { checklist } from '../domain/checklist.js';
import type { RawFinding } from '../domain/findings.js';
import { GRAMMARS } from '../domain/languages.js';
import { lineOf } from '../domain/syntax-tree.js';
import type { Analyser, AnalyserContext, SourceFile } from './types.js';
import picomatch from 'picomatch';

/** Parses source text with the grammar of a language (TSX for .tsx files). */
export async function parse(language: string, path: string, content: string): Promise<Tree | null> {
  const base = GRAMMARS[language];
  if (!base) return null;
  const grammar = base === 'typescript' && path.endsWith('.tsx') ? 'tsx' : base;
  const lang = await loadLanguage(grammar);
  const parser = new Parser();
  try {
    parser.setLanguage(lang);
    return parser.parse(content);
  } finally {
    parser.delete();
  }
}

/** Languages whose syntax another analyser checks with the real compiler. */
const COMPILER_CHECKED = new Set(['javascript', 'typescript', 'python']);

function syntaxErrors(root: Node, file: string): RawFinding[] {
  if (!root.hasError) return [];
  const out: RawFinding[] = [];
  // Missing tokens are anonymous nodes: walk every child, not only the named ones.
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.hasError || node.isMissing) for (const child of [...node.children].reverse()) if (child) stack.push(child);
    if (node.isError || node.isMissing) {
      out.push({
        tool: 'tree-sitter',
        rule: 'syntax-error',
        severity: 'error',
        file,
        line: lineOf(node),
        message: node.isMissing ? `syntax error: missing ${node.type}` : `syntax error near "${node.text.slice(0, 40).replace(/\s+/g, ' ')}"`,
        dimension: 'correctness',
      });
      if (out.length >= 5) break;
    }
  }
  return out;
}

export function matchesAny(path: string, globs: readonly string[]): boolean {
  return globs.length > 0 && picomatch(globs as string[], { dot: true })(path);
}

/**
 * Syntax for languages without a compiler check of ours, and the checklist, security and
 * complexity rules for every language with a grammar. Only reads files.
 */
export const treeSitterAnalyser: Analyser = {
  name: 'tree-sitter',
  languages: Object.keys(GRAMMARS),
  scope: 'file',
  probe: async () => ({ version: `web-tree-sitter ${runtimeVersion()}; rules 1` }),
  async run(files: readonly SourceFile[], ctx: AnalyserContext) {
    const findings: RawFinding[] = [];
    for (const file of files) {
      const settings = ctx.settings(file.language);
      if (!settings) continue;
      const tree = await parse(file.language, file.path, file.content);
      if (!tree) continue;
      try {
        if (!COMPILER_CHECKED.has(file.language)) findings.push(...syntaxErrors(tree.rootNode, file.path));
        findings.push(
          ...checklist({
            file: file.path,
            language: file.language,
            root: tree.rootNode,
            settings,
            isTest: matchesAny(file.path, settings.testFiles),
            printAllowed: matchesAny(file.path, settings.printAllowed),
            complexityFromEslint: true,
          }),
        );
      } finally {
        tree.delete();
      }
    }
    return { findings };
  },
};
