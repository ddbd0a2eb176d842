import { isSecretFile } from '@patchbay/secrets';
import { isNoise } from './languages.js';
import { manifestKind } from './project-facts.js';
import { isTeamDoc } from './team-context.js';
import { isToolConfig } from './tooling.js';

/** Lockfiles can be large yet are worth reading for pinned versions. */
const LOCKFILE_MAX_BYTES = 8_000_000;
const LAYOUT = /(^|\/)(pnpm-workspace\.yaml|lerna\.json|go\.work|tsconfig(\.base)?\.json|setup\.cfg|tox\.ini)$/;

/** Small files facts are read from: manifests, lockfiles, tool configs, team documents. */
export function isFactFile(path: string): boolean {
  if (isSecretFile(path)) return false;
  if (manifestKind(path) !== undefined) return !path.includes('node_modules/');
  return isToolConfig(path) || isTeamDoc(path) || (LAYOUT.test(path) && !isNoise(path) && path.split('/').length <= 3);
}

const BINARY = /\.(png|jpe?g|gif|bmp|ico|webp|tiff?|pdf|zip|gz|tgz|bz2|xz|7z|rar|jar|war|class|so|dylib|dll|exe|bin|o|a|wasm|woff2?|ttf|otf|eot|mp[34]|mov|avi|webm|ogg|wav|flac|sqlite3?|db|pyc|node)$/i;

/** Why a listed file is not analysed at all, before reading it; undefined when it is. */
export function skipReason(path: string, size: number, maxBytes: number): string | undefined {
  if (isNoise(path) && manifestKind(path) === undefined) return 'dependency or build output';
  if (BINARY.test(path)) return 'binary';
  const kind = manifestKind(path);
  const limit = kind === 'pnpm-lock' || kind === 'yarn-lock' || kind === 'npm-lock' ? LOCKFILE_MAX_BYTES : maxBytes;
  if (size > limit) return `too large (${size} bytes; the limit is ${limit})`;
  return undefined;
}
