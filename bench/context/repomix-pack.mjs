#!/usr/bin/env node
/**
 * repomix's pack of a tree timed inside its process, after its modules have loaded: what
 * compares with the analysis time patchbay reports (`cache.ms`), as the whole processes
 * compare with each other. Prints {"importMs", "packMs"}.
 *
 *   node bench/context/repomix-pack.mjs <dir> <output file>
 */
import { join } from 'node:path';
import { root } from '../options.mjs';

const [dir, output] = process.argv.slice(2);
if (!dir || !output) {
  process.stderr.write('usage: repomix-pack.mjs <dir> <output file>\n');
  process.exit(2);
}
const started = performance.now();
const { runCli } = await import(join(root, 'node_modules/repomix/lib/index.js'));
const imported = performance.now();
await runCli([dir], process.cwd(), { style: 'plain', quiet: true, output });
const packed = performance.now();
process.stdout.write(`${JSON.stringify({ importMs: Math.round(imported - started), packMs: Math.round(packed - imported) })}\n`);
