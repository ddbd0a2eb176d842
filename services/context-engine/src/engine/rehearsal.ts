import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from '@patchbay/workspace';
import type { SymbolParser } from '../parsing/tree-sitter.js';
import { memoryContextCache } from './cache.js';
import { contextForTask } from './context-for-task.js';
import { checkoutSource } from './source.js';

/** Modules of a small TypeScript project, each importing the next: enough bytes that parsing takes a thread, as a real repository's does. */
function rehearsalFiles(modules: number, functions: number): Map<string, string> {
  const files = new Map<string, string>([['package.json', JSON.stringify({ name: 'rehearsal', type: 'module', scripts: { test: 'vitest run' }, devDependencies: { vitest: '^4.0.0' } })]]);
  for (let i = 0; i < modules; i++) {
    const next = (i + 1) % modules;
    const body = Array.from(
      { length: functions },
      (_, k) => `/** Step ${k}. */\nexport function step${i}x${k}(value: number, options: Options): number {\n  return helper${next}(value + ${k}) * options.scale;\n}\n`,
    );
    files.set(
      `src/module${i}.ts`,
      `import { helper${next} } from './module${next}.js';\nimport type { Options } from './options.js';\n\nexport class Runner${i} {\n  private count = 0;\n  run(input: string): string {\n    this.count += 1;\n    return input.repeat(this.count);\n  }\n}\n\nexport function helper${i}(value: number): number {\n  return value > 100 ? value : helper${next}(value + ${i});\n}\n\n${body.join('\n')}`,
    );
  }
  files.set('src/options.ts', 'export interface Options {\n  scale: number;\n}\n');
  files.set('test/module0.test.ts', "import { helper0 } from '../src/module0.js';\n\ntest('helper0', () => expect(helper0(101)).toBe(101));\n");
  return files;
}

/**
 * Serves one made-up repository's context twice (cold, then after an edit) in memory, so that
 * an engine's first real request finds its code compiled, its grammars loaded and a parsing
 * thread idle (a first run of each is several times slower than later ones). No shared cache
 * is touched; the repository is removed afterwards.
 */
export async function rehearse(options: { workdir: string; parser: () => Promise<SymbolParser>; maxFileBytes: number }): Promise<void> {
  await mkdir(options.workdir, { recursive: true });
  // The checkout and the engine's state of it (its index copy) side by side, removed together.
  const root = await mkdtemp(join(options.workdir, 'context-rehearsal-'));
  const dir = join(root, 'repo');
  try {
    for (const [path, text] of rehearsalFiles(40, 100)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const git = (...args: string[]) => runGit(dir, ['-c', 'user.name=patchbay', '-c', 'user.email=patchbay@localhost', '-c', 'commit.gpgsign=false', ...args]);
    await git('init', '-q');
    await git('add', '-A');
    await git('commit', '-qm', 'rehearsal');
    const cache = memoryContextCache();
    const source = checkoutSource(dir, { cache, workdir: join(root, 'state'), maxFileBytes: options.maxFileBytes, ttlMs: 60_000 });
    const ask = () =>
      contextForTask(source, { title: 'Fix helper3 in src/module3.ts', mapBudget: 2048, fileBudgetChars: 8_000, knownSecrets: [] }, { cache, parser: options.parser, maxFileBytes: options.maxFileBytes });
    await (await ask()).stored;
    await appendFile(join(dir, 'src/module0.ts'), '\nexport function rehearsed(value: number): number {\n  return helper1(value);\n}\n');
    await (await ask()).stored;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
