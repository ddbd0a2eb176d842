import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

/**
 * Every grammar patchbay parses with: the prebuilt wasm each grammar's own registry package
 * ships, all loaded by one web-tree-sitter runtime (the context engine and the quality
 * assessor read the same trees).
 */
export const GRAMMARS = {
  typescript: 'tree-sitter-typescript/tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-typescript/tree-sitter-tsx.wasm',
  javascript: 'tree-sitter-javascript/tree-sitter-javascript.wasm',
  python: 'tree-sitter-python/tree-sitter-python.wasm',
  go: 'tree-sitter-go/tree-sitter-go.wasm',
  bash: 'tree-sitter-bash/tree-sitter-bash.wasm',
  java: 'tree-sitter-java/tree-sitter-java.wasm',
  ruby: 'tree-sitter-ruby/tree-sitter-ruby.wasm',
  rust: 'tree-sitter-rust/tree-sitter-rust.wasm',
} as const;

export type Grammar = keyof typeof GRAMMARS;

const require = createRequire(import.meta.url);
let runtime: Promise<void> | undefined;
const languages = new Map<Grammar, Promise<Language>>();

/**
 * A grammar, compiled once per thread on first use (a TypeScript repository never pays for
 * the Go grammar); the wasm runtime initialises with the first one. A grammar that fails to
 * load is tried again next time.
 */
export function loadLanguage(grammar: Grammar): Promise<Language> {
  let language = languages.get(grammar);
  if (!language) {
    runtime ??= Parser.init().catch((err: unknown) => {
      runtime = undefined;
      throw err;
    });
    language = runtime.then(() => Language.load(require.resolve(GRAMMARS[grammar])));
    language.catch(() => languages.delete(grammar));
    languages.set(grammar, language);
  }
  return language;
}

let version: string | undefined;

/** web-tree-sitter's version, for cache keys of what its trees produce (its package.json sits beside its entry point; read when first asked). */
export function runtimeVersion(): string {
  version ??= (JSON.parse(readFileSync(join(dirname(require.resolve('web-tree-sitter')), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
