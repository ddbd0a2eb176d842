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
  if (rel === '..' || rel.startsWith(`..${sep}`) || rel.split(sep).includes('..')) {
    throw new InputError(`path "${path}" leaves the repository`);
  }
  if (rel.split(sep)[0] === '.git' || rel === '.') throw new InputError(`path "${path}" is inside .git or is the root`);
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
  if (relative(realRoot, target).startsWith('..')) throw new InputError(`path "${path}" leaves the repository`);
  return target;
}
