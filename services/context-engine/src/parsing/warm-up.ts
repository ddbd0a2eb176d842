import { type SymbolParser, loadSymbolParser, parsesSoFar } from './tree-sitter.js';

/** A module of the kinds of code the engine meets most, to run the parser's code once before the first request. */
function sampleModule(n: number): string {
  const parts = [`import { readFile } from 'node:fs/promises';\nimport type { Options } from './options.js';\n`];
  for (let i = 0; i < n; i++) {
    parts.push(
      `/** Step ${i}. */\nexport async function step${i}(value: number, options: Options): Promise<number> {\n  const text = await readFile(options.path, 'utf8');\n  return value + text.length * ${i};\n}\n`,
      `export class Worker${i} implements Runner {\n  private count = 0;\n  run(input: string): string {\n    this.count += 1;\n    return input.repeat(this.count);\n  }\n}\n`,
      `export interface Shape${i} { id: string; size: number }\nexport type Id${i} = Shape${i}['id'];\nconst helper${i} = (x: number) => x * ${i};\n`,
    );
  }
  return parts.join('\n');
}

/**
 * Loads the TypeScript grammars and parses a sample a few times, so that a service's first
 * request does not pay the grammar's compilation and the first, unoptimised runs of the
 * parsing code (a first parse runs several times slower than later ones). Stops once a
 * request parses files of its own: they warm the code as well, and the rounds would only
 * take turns with them on the thread. Resolves with the rounds it ran.
 */
export async function warmUpParser(parser: () => Promise<SymbolParser> = loadSymbolParser): Promise<number> {
  const ready = await parser();
  await ready.load(['typescript', 'tsx', 'javascript']);
  const sample = sampleModule(60);
  let rounds = 0;
  for (let expected = parsesSoFar(); rounds < 4 && parsesSoFar() === expected; rounds++, expected++) {
    ready.parse('typescript', sample);
    // Between rounds, let requests that arrive meanwhile go first.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rounds;
}
