import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { InputError } from '@patchbay/errors';

/**
 * Resolves a repository-relative path inside a worktree, refusing anything that could
 * land outside it: absolute paths, `..`, `.git/`, and symlinks that lead elsewhere.
 */
export async function resolveInside(root: string, path: string): Promise<string> {
  const cleaned = path.replace(/\\/g, '/');
  if (cleaned === '' || isAbsolute(cleaned) || /^[a-zA-Z]:/.test(cleaned)) {
    throw new InputError(`path "${path}" must be relative to the repository root`);
  }
  const rel = normalize(cleaned);
  const segments = rel.split(sep);
  // Segment by segment: "..foo" is a name, ".." is not.
  if (segments.includes('..')) throw new InputError(`path "${path}" leaves the repository`);
  if (rel === '.' || rel === '') throw new InputError(`path "${path}" is the repository root, not a file`);
  // Any .git (a submodule's too, in any letter case for case-insensitive file systems).
  if (segments.some((s) => s.toLowerCase() === '.git')) throw new InputError(`path "${path}" is inside .git`);
  const realRoot = await realpath(root);
  // Walk up to the nearest existing ancestor and check where it really is.
  let probe = join(realRoot, rel);
  for (;;) {
    const info = await lstat(probe).catch(() => null);
    if (info !== null) {
      const real = await realpath(probe).catch(() => null);
      if (real === null || (real !== realRoot && !real.startsWith(`${realRoot}${sep}`))) {
        throw new InputError(`path "${path}" goes through a link that leaves the repository`);
      }
      break;
    }
    const parent = dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  const target = join(realRoot, rel);
  const back = relative(realRoot, target);
  if (back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back)) throw new InputError(`path "${path}" leaves the repository`);
  return target;
}
