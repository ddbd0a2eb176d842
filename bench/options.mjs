/**
 * What the bench scripts share: the repository's root and their `--name value` options (a
 * count that is not a positive whole number is refused with exit 2).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function benchOptions(args = process.argv.slice(2)) {
  const text = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
  };
  const count = (name, fallback) => {
    const n = Number(text(name, String(fallback)));
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`${name} takes a positive whole number\n`);
      process.exit(2);
    }
    return n;
  };
  return { text, count };
}
